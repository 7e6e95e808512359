"""All persistent state in one SQLite database, reached only through `Storage`'s named methods.

aiosqlite runs one worker thread per connection and transactions on a shared connection interleave,
so every unit of work takes `self._lock`. The schema carries its version in `PRAGMA user_version`
and is migrated forward on open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # version 1: the query log and per-user preferences
        """CREATE TABLE query_log (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            language TEXT NOT NULL,
            chat_type TEXT NOT NULL,
            user_key TEXT NOT NULL,
            question TEXT NOT NULL,
            matched_id TEXT,
            score REAL NOT NULL,
            outcome TEXT NOT NULL,
            feedback INTEGER,
            feedback_at TEXT
        )""",
        "CREATE INDEX query_log_created_at ON query_log (created_at)",
        "CREATE INDEX query_log_user_key ON query_log (user_key)",
        """CREATE TABLE user_prefs (
            user_key TEXT PRIMARY KEY,
            language TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class StorageError(Exception):
    """The database cannot be opened or is newer than this code."""


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


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Storage:
    def __init__(self, connection: aiosqlite.Connection):
        self._db = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> "Storage":
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = await aiosqlite.connect(path)
        except (OSError, aiosqlite.Error) as exc:
            raise StorageError(f"cannot open the database {str(path)!r}: {exc}") from exc
        storage = cls(connection)
        try:
            await storage._prepare()
        except Exception:
            await connection.close()
            raise
        return storage

    async def _prepare(self) -> None:
        try:
            await self._db.execute("PRAGMA busy_timeout = 5000")
            await self._db.execute("PRAGMA journal_mode = WAL")
            await self._db.execute("PRAGMA synchronous = NORMAL")
            async with self._db.execute("PRAGMA user_version") as cursor:
                (version,) = await cursor.fetchone()
        except aiosqlite.Error as exc:
            raise StorageError(f"cannot use the database: {exc}") from exc
        if version > SCHEMA_VERSION:
            raise StorageError(f"the database has schema version {version}, newer than this bot's {SCHEMA_VERSION}")
        for number in range(version, SCHEMA_VERSION):
            await self._db.execute("BEGIN")
            try:
                for statement in MIGRATIONS[number]:
                    await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version = {number + 1}")
                await self._db.commit()
            except aiosqlite.Error:
                await self._db.rollback()
                raise

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        async with self._lock, self._db.execute("PRAGMA user_version") as cursor:
            return (await cursor.fetchone())[0]

    # --- query log ----------------------------------------------------------------------------

    async def add_queries(self, records: list[QueryRecord]) -> None:
        async with self._lock:
            await self._db.executemany(
                """INSERT OR IGNORE INTO query_log
                   (ref, created_at, language, chat_type, user_key, question, matched_id, score, outcome)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (r.ref, r.created_at.isoformat(), r.language, r.chat_type, r.user_key, r.question,
                     r.matched_id, r.score, r.outcome)
                    for r in records
                ],
            )
            await self._db.commit()

    async def set_feedback(self, ref: str, helpful: bool, when: dt.datetime | None = None) -> bool:
        """Record a helpful / not helpful press; False when no logged question has that reference."""
        async with self._lock:
            cursor = await self._db.execute(
                "UPDATE query_log SET feedback = ?, feedback_at = ? WHERE ref = ?",
                (1 if helpful else 0, (when or utcnow()).isoformat(), ref),
            )
            await self._db.commit()
            return cursor.rowcount > 0

    async def queries(self, limit: int = 1000) -> list[dict]:
        async with self._lock, self._db.execute(
            """SELECT ref, created_at, language, chat_type, user_key, question, matched_id, score, outcome, feedback
               FROM query_log ORDER BY id DESC LIMIT ?""",
            (limit,),
        ) as cursor:
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in await cursor.fetchall()]

    # --- preferences --------------------------------------------------------------------------

    async def language(self, user_key: str) -> str | None:
        async with self._lock, self._db.execute(
            "SELECT language FROM user_prefs WHERE user_key = ?", (user_key,)
        ) as cursor:
            row = await cursor.fetchone()
            return row[0] if row else None

    async def set_language(self, user_key: str, language: str) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO user_prefs (user_key, language, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT (user_key) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at""",
                (user_key, language, utcnow().isoformat()),
            )
            await self._db.commit()


class UserKeys:
    """Pseudonymous user keys: a keyed hash of the Telegram id, so the log never holds the id itself."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def key(self, telegram_id: int) -> str:
        return hmac.new(self._secret, str(telegram_id).encode(), hashlib.sha256).hexdigest()[:32]

    @classmethod
    def from_config(cls, secret: str | None, data_dir: Path) -> "UserKeys":
        """Use the configured secret, or one generated once and kept owner-only in the data folder."""
        if secret:
            return cls(secret.encode())
        path = Path(data_dir) / "user-key.secret"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return cls(path.read_text().strip().encode())
