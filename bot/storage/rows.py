"""What the stores take and give back: the query record, typed rows, storable text and stored times.

Rows are plain dicts typed with TypedDict, so callers read them as `row["field"]`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypedDict, overload


@dataclass(frozen=True)
class QueryRecord:
    ref: str
    created_at: dt.datetime
    language: str
    chat_type: str
    user_key: str
    question: str
    matched_id: str | None
    score: float
    outcome: str


class LoggedQuery(TypedDict):
    """A query-log row as insights and export read it (`Storage.queries_since`)."""

    created_at: str
    language: str
    chat_type: str
    user_key: str
    question: str
    matched_id: str | None
    score: float
    outcome: str
    feedback: int | None


class QueryRow(LoggedQuery):
    """A query-log row with the reference its feedback buttons carry (`Storage.queries`)."""

    ref: str


class ForgetCounts(TypedDict):
    questions: int
    preferences: int


class WarningRow(TypedDict):
    id: int
    actor_id: int | None
    rule: str | None
    reason: str
    created_at: str
    expires_at: str | None


class MemberState(TypedDict):
    """What the automatic rules need about one member."""

    approved: bool
    joined_at: dt.datetime | None
    network_id: str | None
    network_banned: bool


class NetworkName(TypedDict):
    id: str
    name: str


class Network(NetworkName):
    owner_id: int
    created_at: str
    admins: frozenset[int]
    chats: list[tuple[int, str]]  # (chat id, title), in the order they joined
    bans: int


class NetworkBan(TypedDict):
    actor_id: int
    reason: str
    created_at: str


class AuditRow(TypedDict):
    id: int
    created_at: str
    chat_id: int
    actor_id: int | None
    rule: str | None
    target_id: int | None
    action: str
    reason: str
    duration: int | None
    result: str
    detail: str


class PruneCounts(TypedDict):
    warnings: int
    members: int
    seen_users: int
    audit: int


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ts(when: dt.datetime | None = None) -> str:
    """A stored time: UTC ISO to the second, so that times compare as text."""
    return (when or utcnow()).astimezone(dt.UTC).isoformat(timespec="seconds")


def parse_ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


_SURROGATE = re.compile("[\ud800-\udfff]")


@overload
def clean_text(text: str) -> str: ...
@overload
def clean_text(text: None) -> None: ...
def clean_text(text: str | None) -> str | None:
    """Text that UTF-8 can hold: a lone surrogate (a Bot API's JSON may carry "\\ud800") becomes U+FFFD.

    Such a code point cannot be encoded, so SQLite, JSON files and logs would all raise on it; a valid
    pair left as two code points is joined into its character."""
    if text is None or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_record(record: QueryRecord) -> QueryRecord:
    """The record with every text field clean (see `clean_text`); the same object when nothing needs it."""
    fields = (
        record.ref,
        record.language,
        record.chat_type,
        record.user_key,
        record.question,
        record.matched_id,
        record.outcome,
    )
    if not any(value is not None and _SURROGATE.search(value) for value in fields):
        return record
    return QueryRecord(
        clean_text(record.ref),
        record.created_at,
        clean_text(record.language),
        clean_text(record.chat_type),
        clean_text(record.user_key),
        clean_text(record.question),
        clean_text(record.matched_id),
        record.score,
        clean_text(record.outcome),
    )
