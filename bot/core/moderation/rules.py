"""Small decisions shared by the commands and the automatic rules: newcomers, warnings, purges, reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DELETE_WINDOW = dt.timedelta(hours=48)  # Telegram lets bots delete messages for 48 hours
DELETE_MARGIN = dt.timedelta(minutes=1)  # the command takes a moment to arrive; stay clear of the edge
PURGE_LIMIT = 1000  # message ids per /purge (deleteMessages takes 100 at a time)
BATCH = 100
REPORT_COOLDOWN = dt.timedelta(minutes=5)
REASON_LIMIT = 200


def is_newcomer(joined_at: dt.datetime | None, now: dt.datetime, hours: int) -> bool:
    """Joined less than `hours` ago. Members who joined before the bot was watching have no join time and are not
    newcomers."""
    return joined_at is not None and now - joined_at < dt.timedelta(hours=hours)


def links_rule_applies(*, scope: str, newcomer: bool) -> bool:
    """`newcomers`: members who joined recently (and are not approved); `all`: every member who is not approved."""
    return scope == "all" or newcomer


def warn_limit_reached(active_warnings: int, limit: int) -> bool:
    return active_warnings >= limit


def warning_expiry(now: dt.datetime, expiry: dt.timedelta | None) -> dt.datetime | None:
    return None if expiry is None else now + expiry


def can_delete(sent_at: dt.datetime, now: dt.datetime) -> bool:
    """Still inside Telegram's 48-hour window for bots (with a minute's margin)."""
    return now - sent_at < DELETE_WINDOW - DELETE_MARGIN


@dataclass(frozen=True)
class PurgePlan:
    batches: tuple[tuple[int, ...], ...]
    count: int
    error: str | None = None  # "too_old", "too_many", "order"


def plan_purge(
    first_id: int, last_id: int, first_sent_at: dt.datetime, now: dt.datetime, limit: int = PURGE_LIMIT
) -> PurgePlan:
    """Message ids from `first_id` to `last_id` inclusive, in batches of 100 for deleteMessages."""
    if last_id < first_id:
        return PurgePlan((), 0, "order")
    if not can_delete(first_sent_at, now):
        return PurgePlan((), 0, "too_old")
    count = last_id - first_id + 1
    if count > limit:
        return PurgePlan((), 0, "too_many")
    ids = list(range(first_id, last_id + 1))
    return PurgePlan(tuple(tuple(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH)), count)


def report_allowed(last_report: dt.datetime | None, now: dt.datetime, cooldown: dt.timedelta = REPORT_COOLDOWN) -> bool:
    return last_report is None or now - last_report >= cooldown


def clip_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= REASON_LIMIT else reason[: REASON_LIMIT - 1] + "…"
