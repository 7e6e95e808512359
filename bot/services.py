"""What the handlers share, kept in `application.bot_data` under one key."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from typing import Callable

from telegram import User
from telegram.ext import CallbackContext

from bot.config import Config
from bot.core.knowledge import Knowledge
from bot.core.matcher import Match, Matcher
from bot.i18n import language_from_telegram
from bot.matchworker import MatchWorker, WorkerGone
from bot.querylog import QueryLog
from bot.storage import QueryRecord, Storage, UserKeys, utcnow

log = logging.getLogger(__name__)

KEY = "services"
REF_BYTES = 8


class _Refs:
    """Unguessable query-log references, drawn from the system's randomness a few thousand bytes at a time:
    os.urandom per question releases the GIL, and another thread may then hold the event loop up."""

    def __init__(self, batch: int = 512):
        self._batch = batch
        self._pool = b""
        self._at = 0

    def next(self) -> str:
        if self._at >= len(self._pool):
            self._pool, self._at = secrets.token_bytes(REF_BYTES * self._batch), 0
        self._at += REF_BYTES
        return self._pool[self._at - REF_BYTES:self._at].hex()


@dataclass
class Services:
    config: Config
    knowledge: Knowledge
    matcher: Matcher
    user_keys: UserKeys
    storage: Storage | None = None
    query_log: QueryLog | None = None
    match_worker: MatchWorker | None = None
    today: Callable[[], dt.date] = field(default=dt.date.today)
    now: Callable[[], dt.datetime] = field(default=utcnow)  # the clock for statistics and retention (tests inject one)
    _refs: _Refs = field(default_factory=_Refs, repr=False)

    async def user_language(self, user: User | None) -> str:
        """The language the user chose with /lang, else Telegram's; a database in trouble must not stop the answer."""
        if user is None:
            return "ru"
        if self.storage is not None:
            try:
                stored = await self.storage.language(self.user_keys.key(user.id))
            except Exception as exc:  # noqa: BLE001 - any database failure: answer in the client's language
                log.warning("could not read the language preference: %s", exc)
                stored = None
            if stored:
                return stored
        return language_from_telegram(user.language_code)

    async def match(self, text: str, follows: str | None = None) -> Match:
        """The question (after the answer `follows`, in a conversation) matched in the worker process when
        there is one ready, else here (same matcher)."""
        if self.match_worker is not None and self.match_worker.ready:
            try:
                return await self.match_worker.match(text, follows)
            except WorkerGone:
                pass
        return self.matcher.match(text, follows)

    def log_question(self, *, user_id: int, chat_type: str, language: str, question: str,
                     matched_id: str | None, score: float, outcome: str, asked_at: dt.datetime | None = None) -> str:
        """Queue a query-log row and return its reference (used by the feedback buttons).

        `asked_at`: when the question came in, if it was handled or logged later; a row dated before the
        user's /forgetme is never written."""
        ref = self._refs.next()
        if self.query_log is not None:
            self.query_log.add(QueryRecord(ref, asked_at or utcnow(), language, chat_type, self.user_keys.key(user_id),
                                           question, matched_id, round(score, 2), outcome))
        return ref


def services(context: CallbackContext) -> Services:
    return context.application.bot_data[KEY]
