"""The typed state every handler shares (`BotData`) and the context that carries it (`BotContext`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Message, User
from telegram.ext import CallbackContext, ExtBot, Job

from bot.config import Config
from bot.core.knowledge import Knowledge
from bot.core.matcher import Match, Matcher
from bot.core.moderation.flood import FloodTracker
from bot.core.moderation.permissions import Member
from bot.core.moderation.settings import ChatSettings
from bot.core.moderation.words import BlockedWords
from bot.core.validation import Checked
from bot.i18n import language_from_telegram
from bot.matchworker import MatchWorker, WorkerGone
from bot.querylog import QueryLog
from bot.reload import Reloader
from bot.storage import QueryRecord, Storage, UserKeys, utcnow

log = logging.getLogger(__name__)

REF_BYTES = 8


@dataclass
class Pending:
    """An anonymous admin's moderation command, waiting for the button that proves who sent it."""

    name: str
    message: Message
    args: list[str]
    created: dt.datetime


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
        return self._pool[self._at - REF_BYTES : self._at].hex()


@dataclass
class Moderation:
    """Moderation's state in memory: the word list and what is cached or remembered per chat and user."""

    words: BlockedWords
    clock: Callable[[], dt.datetime] = utcnow
    flood: FloodTracker = field(default_factory=FloodTracker)
    admins: dict[int, tuple[float, dict[int, Member]]] = field(default_factory=dict)
    admin_names: dict[int, dict[int, str]] = field(default_factory=dict)  # for /report's mentions
    settings: dict[int, ChatSettings] = field(default_factory=dict)
    blocked: set[int] | None = None
    pending: dict[str, Pending] = field(default_factory=dict)  # anonymous admins' commands awaiting the button
    reports: dict[tuple[int, int], dt.datetime] = field(default_factory=dict)
    recent_joins: dict[tuple[int, int], dt.datetime] = field(default_factory=dict)
    seen: dict[int, tuple[str | None, dt.datetime]] = field(default_factory=dict)
    night_failures: dict[int, dt.datetime] = field(default_factory=dict)
    notices: dict[int, list[float]] = field(
        default_factory=dict
    )  # recent automatic notices per chat (a raid stays quiet)

    def now(self) -> dt.datetime:
        return self.clock()


class BotData:
    """Everything the handlers share, as typed attributes (the Application's `bot_data`).

    PTB makes it empty (`ContextTypes` calls the class without arguments); `setup` fills it, once, in
    `bot.app.build_application`; storage, query log and match worker come in post_init."""

    config: Config
    knowledge: Knowledge
    matcher: Matcher
    user_keys: UserKeys
    moderation: Moderation
    reloader: Reloader

    def __init__(self) -> None:
        self.storage: Storage | None = None
        self.query_log: QueryLog | None = None
        self.match_worker: MatchWorker | None = None
        self.starting: asyncio.Task | None = None  # post_init, while it runs: a stop waits for it
        self.today: Callable[[], dt.date] = dt.date.today
        self.now: Callable[[], dt.datetime] = utcnow  # the clock for statistics and retention (tests inject one)
        self.inline_pending: dict[int, Job] = {}  # a user's inline query waiting for its pause before it is logged
        self._refs = _Refs()

    def setup(self, config: Config, knowledge: Knowledge, matcher: Matcher, words: BlockedWords) -> None:
        self.config, self.knowledge, self.matcher = config, knowledge, matcher
        self.user_keys = UserKeys.from_config(config.user_key_secret, config.data_dir)
        self.moderation = Moderation(words=words)
        self.reloader = Reloader(config.knowledge_dir, lambda: self.today(), self._swap)

    def _swap(self, checked: Checked, matcher: Matcher) -> Knowledge:
        """A reload's result put in place: knowledge, matcher and word list together, with no await between."""
        assert checked.knowledge is not None and checked.words is not None  # the reloader swaps only a good build
        old = self.knowledge
        self.knowledge, self.matcher = checked.knowledge, matcher
        if self.match_worker is not None:
            self.match_worker.reload(checked.knowledge)  # until it has built it, questions are matched here
        self.moderation.words = checked.words
        return old

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

    def log_question(
        self,
        *,
        user_id: int,
        chat_type: str,
        language: str,
        question: str,
        matched_id: str | None,
        score: float,
        outcome: str,
        asked_at: dt.datetime | None = None,
    ) -> str:
        """Queue a query-log row and return its reference (used by the feedback buttons).

        `asked_at`: when the question came in, if it was handled or logged later; a row dated before the
        user's /forgetme is never written."""
        ref = self._refs.next()
        if self.query_log is not None:
            self.query_log.add(
                QueryRecord(
                    ref,
                    asked_at or utcnow(),
                    language,
                    chat_type,
                    self.user_keys.key(user_id),
                    question,
                    matched_id,
                    round(score, 2),
                    outcome,
                )
            )
        return ref


class BotContext(CallbackContext[ExtBot, dict, dict, BotData]):
    """The context every handler and job gets: `context.bot_data` is the typed `BotData` (PTB's ContextTypes)."""
