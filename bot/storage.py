"""All persistent state in one SQLite database, reached only through `Storage`'s named methods.

aiosqlite runs one worker thread per connection and transactions on a shared connection interleave,
so every unit of work takes `self._lock`. The schema carries its version in `PRAGMA user_version`
and is migrated forward on open.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

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
    (  # version 2: moderation (issue 3). Only what moderation needs: ids, usernames, times, reasons.
        """CREATE TABLE mod_seen_users (
            user_id INTEGER PRIMARY KEY,
            username TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        )""",
        "CREATE INDEX mod_seen_users_username ON mod_seen_users (username)",
        """CREATE TABLE mod_chat_settings (
            chat_id INTEGER PRIMARY KEY,
            settings TEXT NOT NULL,
            night_saved TEXT,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE mod_warnings (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            actor_id INTEGER,
            rule TEXT,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT
        )""",
        "CREATE INDEX mod_warnings_member ON mod_warnings (chat_id, user_id)",
        """CREATE TABLE mod_approvals (
            chat_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            approved_by INTEGER,
            approved_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        )""",
        """CREATE TABLE mod_members (
            chat_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            joined_at TEXT NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        )""",
        """CREATE TABLE mod_networks (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner_id INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE mod_network_chats (
            chat_id INTEGER PRIMARY KEY,
            network_id TEXT NOT NULL REFERENCES mod_networks (id),
            title TEXT NOT NULL DEFAULT '',
            joined_by INTEGER NOT NULL,
            joined_at TEXT NOT NULL
        )""",
        "CREATE INDEX mod_network_chats_network ON mod_network_chats (network_id)",
        """CREATE TABLE mod_network_admins (
            network_id TEXT NOT NULL REFERENCES mod_networks (id),
            user_id INTEGER NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (network_id, user_id)
        )""",
        """CREATE TABLE mod_network_bans (
            network_id TEXT NOT NULL REFERENCES mod_networks (id),
            user_id INTEGER NOT NULL,
            actor_id INTEGER NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (network_id, user_id)
        )""",
        """CREATE TABLE mod_blocked_users (
            user_id INTEGER PRIMARY KEY,
            actor_id INTEGER NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE mod_audit (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            chat_id INTEGER NOT NULL,
            actor_id INTEGER,
            rule TEXT,
            target_id INTEGER,
            action TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            duration INTEGER,
            result TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX mod_audit_chat ON mod_audit (chat_id, id)",
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str | None) -> str | None:
    """Text that UTF-8 can hold: a lone surrogate (a Bot API's JSON may carry "\\ud800") becomes U+FFFD.

    Such a code point cannot be encoded, so SQLite, JSON files and logs would all raise on it; a valid
    pair left as two code points is joined into its character."""
    if text is None or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_record(record: QueryRecord) -> QueryRecord:
    """The record with every text field clean (see `clean_text`); the same object when nothing needs it."""
    fields = (record.ref, record.language, record.chat_type, record.user_key, record.question, record.matched_id,
              record.outcome)
    if not any(value is not None and _SURROGATE.search(value) for value in fields):
        return record
    return QueryRecord(clean_text(record.ref), record.created_at, clean_text(record.language),
                       clean_text(record.chat_type), clean_text(record.user_key), clean_text(record.question),
                       clean_text(record.matched_id), record.score, clean_text(record.outcome))


class Storage:
    LANGUAGE_CACHE = 100_000  # users whose language preference (or its absence) is remembered in memory

    def __init__(self, connection: aiosqlite.Connection, path: Path | None = None):
        self._db = connection
        self._path = Path(path) if path is not None else None
        self._identity = _identity(self._path) if self._path is not None else None  # (device, inode) opened
        self._lock = asyncio.Lock()
        # user_prefs is read for every message: kept in memory after the first read. Every method that
        # changes user_prefs updates this too (set_language, forget_user).
        self._languages: dict[str, str | None] = {}
        self._all_languages = False  # True while _languages holds every stored preference

    @classmethod
    async def open(cls, path: Path) -> "Storage":
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _probe_folder(path.parent)
        except OSError as exc:
            raise StorageError(f"cannot use the data folder {str(path.parent)!r}: {exc.strerror or exc}") from exc
        try:
            connection = await aiosqlite.connect(path)
        except (OSError, aiosqlite.Error) as exc:
            raise StorageError(f"cannot open the database {str(path)!r}: {exc}") from exc
        storage = cls(connection, path)
        try:
            await storage._prepare()
            await storage._probe_write()
        except Exception:
            await connection.close()
            raise
        return storage

    async def _probe_write(self) -> None:
        """SQLite opens a database it cannot write (a read-only folder with the WAL files left by a kill) without
        complaint and only refuses the first write: try one now, so such a start stops at once, not at exit."""
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            await self._db.execute("UPDATE user_prefs SET language = language WHERE 0")
            await self._db.rollback()
        except aiosqlite.Error as exc:
            with contextlib.suppress(aiosqlite.Error):
                await self._db.rollback()
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in _CANNOT_WRITE:  # locked, full: passes, the log waits
                log.warning("the database cannot be written just now (%s); the query log will wait for it", exc)
                return
            raise StorageError(f"cannot use the data folder {str(self._path.parent)!r}: the database {self._path.name} "
                               f"cannot be written ({exc})") from exc

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
        async with self._db.execute("SELECT COUNT(*) FROM user_prefs") as cursor:
            (count,) = await cursor.fetchone()
        if count <= self.LANGUAGE_CACHE:  # all of them in memory: a user without a row needs no look-up
            async with self._db.execute("SELECT user_key, language FROM user_prefs") as cursor:
                self._languages = dict(await cursor.fetchall())
            self._all_languages = True

    async def close(self) -> None:
        await self._db.close()

    async def _same_file(self) -> None:
        """Before a write (under the lock): is the file at the path still the one the connection writes to?

        Deleted or replaced under the running bot, SQLite would go on writing into the unlinked file and every
        row would vanish at the next start. Then the connection is closed (its WAL with it) and the path opened
        again (a new, empty database if the file is gone); if that fails, StorageError keeps the rows queued."""
        if self._path is None or _identity(self._path) == self._identity:
            return
        what = "deleted" if not self._path.exists() else "replaced"
        log.error("the database file %s was %s while the bot ran; opening %s again (rows since its last write are "
                  "kept in memory until written)", self._path, what, self._path)
        with contextlib.suppress(aiosqlite.Error, ValueError):
            await self._db.close()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._db = await aiosqlite.connect(self._path)
            self._languages, self._all_languages = {}, False
            await self._prepare()
        except (OSError, aiosqlite.Error, StorageError) as exc:
            raise StorageError(f"cannot open the database {str(self._path)!r} again: {exc}") from exc
        self._identity = _identity(self._path)

    async def _still_same_file(self) -> None:
        """After a commit: if the file went meanwhile, the rows may be in the unlinked one; write them again."""
        if self._path is not None and _identity(self._path) != self._identity:
            raise StorageError(f"the database file {self._path} changed during a write")

    async def schema_version(self) -> int:
        async with self._lock, self._db.execute("PRAGMA user_version") as cursor:
            return (await cursor.fetchone())[0]

    # --- query log ----------------------------------------------------------------------------

    async def add_queries(self, records: list[QueryRecord]) -> None:
        """All or none: a failed batch (locked, read-only, disk full) is rolled back, to be retried whole."""
        records = [clean_record(r) for r in records]
        rows = [(r.ref, r.created_at.isoformat(), r.language, r.chat_type, r.user_key, r.question,
                 r.matched_id, r.score, r.outcome) for r in records]
        async with self._lock:
            await self._same_file()
            try:
                if any("\x00" in value for row in rows for value in row if isinstance(value, str)):
                    # json_extract returns text only up to a NUL: such a (rare) batch is bound row by row
                    await self._db.executemany(
                        """INSERT OR IGNORE INTO query_log
                           (ref, created_at, language, chat_type, user_key, question, matched_id, score, outcome)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
                else:
                    # one statement for the whole batch: SQLite reads the rows from one JSON parameter, so the
                    # writer thread gives the interpreter lock back once per batch, not once per row
                    await self._db.execute(
                        f"""INSERT OR IGNORE INTO query_log
                           (ref, created_at, language, chat_type, user_key, question, matched_id, score, outcome)
                           SELECT {", ".join(f"json_extract(value, '$[{i}]')" for i in range(9))} FROM json_each(?)""",
                        (json.dumps(rows, ensure_ascii=False),),
                    )
                await self._db.commit()
                await self._still_same_file()  # INSERT OR IGNORE: a batch written twice is stored once
            except aiosqlite.Error:
                try:
                    await self._db.rollback()
                except aiosqlite.Error:
                    pass
                raise

    async def set_feedback(self, ref: str, helpful: bool, when: dt.datetime | None = None) -> bool:
        """Record a helpful / not helpful press; False when no logged question has that reference."""
        async with self._lock:
            await self._same_file()
            cursor = await self._db.execute(
                "UPDATE query_log SET feedback = ?, feedback_at = ? WHERE ref = ?",
                (1 if helpful else 0, (when or utcnow()).isoformat(), clean_text(ref)),
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

    async def most_asked(self, since: dt.datetime, limit: int = 10) -> list[str]:
        """Entry ids answered most often since `since`, most first (what inline mode shows for an empty query)."""
        async with self._lock, self._db.execute(
            """SELECT matched_id FROM query_log WHERE outcome IN ('answer', 'browse') AND matched_id IS NOT NULL
               AND created_at >= ? GROUP BY matched_id ORDER BY COUNT(*) DESC, matched_id LIMIT ?""",
            (since.isoformat(), limit),
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    # --- preferences --------------------------------------------------------------------------

    async def language(self, user_key: str) -> str | None:
        if user_key in self._languages:
            return self._languages[user_key]
        if self._all_languages:
            return None
        async with self._lock, self._db.execute(
            "SELECT language FROM user_prefs WHERE user_key = ?", (user_key,)
        ) as cursor:
            row = await cursor.fetchone()
            if len(self._languages) >= self.LANGUAGE_CACHE:
                self._languages.clear()
            self._languages[user_key] = row[0] if row else None
            return row[0] if row else None

    async def set_language(self, user_key: str, language: str) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO user_prefs (user_key, language, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT (user_key) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at""",
                (user_key, language, utcnow().isoformat()),
            )
            await self._db.commit()
            self._languages[user_key] = language


    # --- moderation ---------------------------------------------------------------------------
    # Issue 3. Times are UTC ISO strings to the second (`_ts`), so they compare as text.

    async def mod_seen_user(self, user_id: int, username: str | None, when: dt.datetime | None = None) -> None:
        """Remember a user the bot has seen in a group (id and @username only), for /ban @username."""
        now = _ts(when)
        username = username.lower() if username else None
        async with self._lock:
            if username:  # a username belongs to one account at a time
                await self._db.execute("UPDATE mod_seen_users SET username = NULL WHERE username = ? AND user_id != ?",
                                       (username, user_id))
            await self._db.execute(
                """INSERT INTO mod_seen_users (user_id, username, first_seen, last_seen) VALUES (?, ?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, last_seen = excluded.last_seen""",
                (user_id, username, now, now),
            )
            await self._db.commit()

    async def mod_user_by_username(self, username: str) -> int | None:
        async with self._lock, self._db.execute(
            "SELECT user_id FROM mod_seen_users WHERE username = ? ORDER BY last_seen DESC LIMIT 1",
            (username.lower().lstrip("@"),),
        ) as cursor:
            row = await cursor.fetchone()
            return row[0] if row else None

    async def mod_usernames(self, user_ids: list[int]) -> dict[int, str]:
        """id -> "@username" for the ids whose username is known."""
        ids = sorted({i for i in user_ids if i is not None})
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with self._lock, self._db.execute(
            f"SELECT user_id, username FROM mod_seen_users WHERE user_id IN ({marks}) AND username IS NOT NULL", ids
        ) as cursor:
            return {row[0]: "@" + row[1] for row in await cursor.fetchall()}

    async def mod_chat_settings(self, chat_id: int) -> tuple[dict | None, dict | None]:
        """(settings, permissions saved by night mode) for a chat; (None, None) when never set."""
        async with self._lock, self._db.execute(
            "SELECT settings, night_saved FROM mod_chat_settings WHERE chat_id = ?", (chat_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None, None
        return json.loads(row[0]), (json.loads(row[1]) if row[1] else None)

    async def mod_save_chat_settings(self, chat_id: int, settings: dict) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_chat_settings (chat_id, settings, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at""",
                (chat_id, json.dumps(settings, ensure_ascii=False, sort_keys=True), _ts()),
            )
            await self._db.commit()

    async def mod_set_night_saved(self, chat_id: int, permissions: dict | None) -> None:
        """Night mode's copy of the chat's daytime permissions (None once they are restored)."""
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_chat_settings (chat_id, settings, night_saved, updated_at) VALUES (?, '{}', ?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET night_saved = excluded.night_saved, updated_at = excluded.updated_at""",
                (chat_id, json.dumps(permissions) if permissions is not None else None, _ts()),
            )
            await self._db.commit()

    async def mod_all_chat_settings(self) -> list[tuple[int, dict, dict | None]]:
        async with self._lock, self._db.execute(
            "SELECT chat_id, settings, night_saved FROM mod_chat_settings ORDER BY chat_id"
        ) as cursor:
            return [(r[0], json.loads(r[1]), json.loads(r[2]) if r[2] else None) for r in await cursor.fetchall()]

    async def mod_add_warning(self, chat_id: int, user_id: int, *, actor_id: int | None, rule: str | None,
                              reason: str, when: dt.datetime, expires_at: dt.datetime | None) -> int:
        """Store a warning and return how many unexpired warnings the member now has in this chat.

        One write transaction (BEGIN IMMEDIATE takes the write lock first) inserts and counts, so the
        count is this warning's own: concurrent warnings, even from other connections, never share one."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute(
                    """INSERT INTO mod_warnings (chat_id, user_id, actor_id, rule, reason, created_at, expires_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    (chat_id, user_id, actor_id, rule, reason, _ts(when), _ts(expires_at) if expires_at else None),
                )
                async with self._db.execute(
                    """SELECT COUNT(*) FROM mod_warnings WHERE chat_id = ? AND user_id = ?
                       AND (expires_at IS NULL OR expires_at > ?)""",
                    (chat_id, user_id, _ts(when)),
                ) as cursor:
                    count = (await cursor.fetchone())[0]
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise
            return count

    async def mod_warnings(self, chat_id: int, user_id: int, when: dt.datetime) -> list[dict]:
        """Unexpired warnings, oldest first."""
        async with self._lock, self._db.execute(
            """SELECT id, actor_id, rule, reason, created_at, expires_at FROM mod_warnings
               WHERE chat_id = ? AND user_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id""",
            (chat_id, user_id, _ts(when)),
        ) as cursor:
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in await cursor.fetchall()]

    async def mod_remove_last_warning(self, chat_id: int, user_id: int, when: dt.datetime) -> bool:
        async with self._lock:
            cursor = await self._db.execute(
                """DELETE FROM mod_warnings WHERE id = (
                       SELECT id FROM mod_warnings WHERE chat_id = ? AND user_id = ?
                       AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC LIMIT 1)""",
                (chat_id, user_id, _ts(when)),
            )
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_clear_warnings(self, chat_id: int, user_id: int) -> int:
        async with self._lock:
            cursor = await self._db.execute("DELETE FROM mod_warnings WHERE chat_id = ? AND user_id = ?", (chat_id, user_id))
            await self._db.commit()
            return cursor.rowcount

    async def mod_approve(self, chat_id: int, user_id: int, actor_id: int | None, when: dt.datetime | None = None) -> bool:
        """False when the member was already approved."""
        async with self._lock:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO mod_approvals (chat_id, user_id, approved_by, approved_at) VALUES (?, ?, ?, ?)",
                (chat_id, user_id, actor_id, _ts(when)),
            )
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_unapprove(self, chat_id: int, user_id: int) -> bool:
        async with self._lock:
            cursor = await self._db.execute("DELETE FROM mod_approvals WHERE chat_id = ? AND user_id = ?", (chat_id, user_id))
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_approved(self, chat_id: int) -> list[int]:
        async with self._lock, self._db.execute(
            "SELECT user_id FROM mod_approvals WHERE chat_id = ? ORDER BY approved_at", (chat_id,)
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def mod_record_join(self, chat_id: int, user_id: int, when: dt.datetime) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_members (chat_id, user_id, joined_at) VALUES (?, ?, ?)
                   ON CONFLICT (chat_id, user_id) DO UPDATE SET joined_at = excluded.joined_at""",
                (chat_id, user_id, _ts(when)),
            )
            await self._db.commit()

    async def mod_forget_member(self, chat_id: int, user_id: int) -> None:
        """A member left: their join time is no longer needed."""
        async with self._lock:
            await self._db.execute("DELETE FROM mod_members WHERE chat_id = ? AND user_id = ?", (chat_id, user_id))
            await self._db.commit()

    async def mod_member_state(self, chat_id: int, user_id: int) -> dict:
        """What the automatic rules need about one member: approved?, join time, network and network ban."""
        async with self._lock, self._db.execute(
            """SELECT
                 EXISTS (SELECT 1 FROM mod_approvals WHERE chat_id = :chat AND user_id = :user),
                 (SELECT joined_at FROM mod_members WHERE chat_id = :chat AND user_id = :user),
                 (SELECT network_id FROM mod_network_chats WHERE chat_id = :chat),
                 EXISTS (SELECT 1 FROM mod_network_bans b JOIN mod_network_chats c ON c.network_id = b.network_id
                         WHERE c.chat_id = :chat AND b.user_id = :user)""",
            {"chat": chat_id, "user": user_id},
        ) as cursor:
            approved, joined_at, network_id, banned = await cursor.fetchone()
        return {"approved": bool(approved), "joined_at": _parse_ts(joined_at), "network_id": network_id,
                "network_banned": bool(banned)}

    async def mod_create_network(self, name: str, owner_id: int, when: dt.datetime | None = None) -> str:
        async with self._lock:
            while True:
                network_id = secrets.token_hex(4)
                async with self._db.execute("SELECT 1 FROM mod_networks WHERE id = ?", (network_id,)) as cursor:
                    if await cursor.fetchone() is None:
                        break
            await self._db.execute("INSERT INTO mod_networks (id, name, owner_id, created_at) VALUES (?, ?, ?, ?)",
                                   (network_id, name, owner_id, _ts(when)))
            await self._db.commit()
            return network_id

    async def mod_network(self, network_id: str) -> dict | None:
        """The network with its admins and chats, or None."""
        async with self._lock:
            async with self._db.execute("SELECT id, name, owner_id, created_at FROM mod_networks WHERE id = ?",
                                        (network_id,)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            async with self._db.execute("SELECT user_id FROM mod_network_admins WHERE network_id = ?", (network_id,)) as cursor:
                admins = frozenset(r[0] for r in await cursor.fetchall())
            async with self._db.execute(
                "SELECT chat_id, title FROM mod_network_chats WHERE network_id = ? ORDER BY joined_at", (network_id,)
            ) as cursor:
                chats = [(r[0], r[1]) for r in await cursor.fetchall()]
            async with self._db.execute("SELECT COUNT(*) FROM mod_network_bans WHERE network_id = ?", (network_id,)) as cursor:
                bans = (await cursor.fetchone())[0]
        return {"id": row[0], "name": row[1], "owner_id": row[2], "created_at": row[3], "admins": admins,
                "chats": chats, "bans": bans}

    async def mod_networks_owned(self, owner_id: int) -> list[dict]:
        async with self._lock, self._db.execute(
            "SELECT id, name FROM mod_networks WHERE owner_id = ? ORDER BY created_at", (owner_id,)
        ) as cursor:
            return [{"id": r[0], "name": r[1]} for r in await cursor.fetchall()]

    async def mod_network_of_chat(self, chat_id: int) -> str | None:
        async with self._lock, self._db.execute(
            "SELECT network_id FROM mod_network_chats WHERE chat_id = ?", (chat_id,)
        ) as cursor:
            row = await cursor.fetchone()
            return row[0] if row else None

    async def mod_join_network(self, chat_id: int, network_id: str, *, title: str, joined_by: int,
                               when: dt.datetime | None = None) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_network_chats (chat_id, network_id, title, joined_by, joined_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET network_id = excluded.network_id, title = excluded.title,
                   joined_by = excluded.joined_by, joined_at = excluded.joined_at""",
                (chat_id, network_id, title, joined_by, _ts(when)),
            )
            await self._db.commit()

    async def mod_leave_network(self, chat_id: int) -> bool:
        async with self._lock:
            cursor = await self._db.execute("DELETE FROM mod_network_chats WHERE chat_id = ?", (chat_id,))
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_set_network_admin(self, network_id: str, user_id: int, admin: bool) -> bool:
        """Add or remove a network admin; False when nothing changed."""
        async with self._lock:
            if admin:
                cursor = await self._db.execute(
                    "INSERT OR IGNORE INTO mod_network_admins (network_id, user_id, added_at) VALUES (?, ?, ?)",
                    (network_id, user_id, _ts()),
                )
            else:
                cursor = await self._db.execute("DELETE FROM mod_network_admins WHERE network_id = ? AND user_id = ?",
                                                (network_id, user_id))
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_add_network_ban(self, network_id: str, user_id: int, *, actor_id: int, reason: str,
                                  when: dt.datetime | None = None) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_network_bans (network_id, user_id, actor_id, reason, created_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (network_id, user_id) DO UPDATE SET actor_id = excluded.actor_id,
                   reason = excluded.reason, created_at = excluded.created_at""",
                (network_id, user_id, actor_id, reason, _ts(when)),
            )
            await self._db.commit()

    async def mod_remove_network_ban(self, network_id: str, user_id: int) -> bool:
        async with self._lock:
            cursor = await self._db.execute("DELETE FROM mod_network_bans WHERE network_id = ? AND user_id = ?",
                                            (network_id, user_id))
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_network_ban(self, network_id: str, user_id: int) -> dict | None:
        async with self._lock, self._db.execute(
            "SELECT actor_id, reason, created_at FROM mod_network_bans WHERE network_id = ? AND user_id = ?",
            (network_id, user_id),
        ) as cursor:
            row = await cursor.fetchone()
            return {"actor_id": row[0], "reason": row[1], "created_at": row[2]} if row else None

    async def mod_block_user(self, user_id: int, *, actor_id: int, reason: str, when: dt.datetime | None = None) -> bool:
        """False when the user was already blocked."""
        async with self._lock:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO mod_blocked_users (user_id, actor_id, reason, created_at) VALUES (?, ?, ?, ?)",
                (user_id, actor_id, reason, _ts(when)),
            )
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_unblock_user(self, user_id: int) -> bool:
        async with self._lock:
            cursor = await self._db.execute("DELETE FROM mod_blocked_users WHERE user_id = ?", (user_id,))
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_blocked_ids(self) -> set[int]:
        async with self._lock, self._db.execute("SELECT user_id FROM mod_blocked_users") as cursor:
            return {row[0] for row in await cursor.fetchall()}

    async def mod_add_audit(self, *, chat_id: int, action: str, result: str = "ok", actor_id: int | None = None,
                            rule: str | None = None, target_id: int | None = None, reason: str = "",
                            duration: int | None = None, detail: str = "", when: dt.datetime | None = None) -> int:
        """One row per action, manual or automatic, as it really ended (`ok` or `failed` with Telegram's words)."""
        async with self._lock:
            cursor = await self._db.execute(
                """INSERT INTO mod_audit (created_at, chat_id, actor_id, rule, target_id, action, reason, duration, result, detail)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (_ts(when), chat_id, actor_id, rule, target_id, action, reason, duration, result, detail),
            )
            await self._db.commit()
            return cursor.lastrowid

    async def mod_audit(self, chat_id: int | None = None, limit: int = 20) -> list[dict]:
        """Recent audit rows, newest first (all chats when `chat_id` is None)."""
        where, params = ("WHERE chat_id = ?", (chat_id, limit)) if chat_id is not None else ("", (limit,))
        async with self._lock, self._db.execute(
            f"""SELECT id, created_at, chat_id, actor_id, rule, target_id, action, reason, duration, result, detail
                FROM mod_audit {where} ORDER BY id DESC LIMIT ?""",
            params,
        ) as cursor:
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in await cursor.fetchall()]

    async def mod_prune(self, when: dt.datetime, *, members_before: dt.datetime, seen_before: dt.datetime,
                        audit_before: dt.datetime) -> dict[str, int]:
        """Forget what moderation no longer needs: expired warnings, old join times, long-unseen users, old audit rows."""
        counts = {}
        async with self._lock:
            for name, sql, params in (
                ("warnings", "DELETE FROM mod_warnings WHERE expires_at IS NOT NULL AND expires_at <= ?", (_ts(when),)),
                ("members", "DELETE FROM mod_members WHERE joined_at < ?", (_ts(members_before),)),
                ("seen_users", "DELETE FROM mod_seen_users WHERE last_seen < ?", (_ts(seen_before),)),
                ("audit", "DELETE FROM mod_audit WHERE created_at < ?", (_ts(audit_before),)),
            ):
                cursor = await self._db.execute(sql, params)
                counts[name] = cursor.rowcount
            await self._db.commit()
        return counts

    # --- insights and privacy -----------------------------------------------------------------
    # Issue 5. Statistics, suggestions and export read the query log; the retention job and /forgetme
    # delete from it. Deletes run with secure_delete so that the removed text is overwritten on disk.

    async def queries_since(self, since: dt.datetime) -> list[dict]:
        """Query-log rows created at or after `since`, oldest first (without `ref`, which only feedback needs)."""
        async with self._lock, self._db.execute(
            """SELECT created_at, language, chat_type, user_key, question, matched_id, score, outcome, feedback
               FROM query_log WHERE created_at >= ? ORDER BY created_at, id""",
            (_ts(since),),
        ) as cursor:
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in await cursor.fetchall()]

    async def purge_queries(self, before: dt.datetime) -> int:
        """Delete query-log rows older than `before` (the retention period); returns how many went."""
        async with self._lock:
            await self._db.execute("PRAGMA secure_delete = ON")
            cursor = await self._db.execute("DELETE FROM query_log WHERE created_at < ?", (_ts(before),))
            await self._db.commit()
            await self._checkpoint()
            return cursor.rowcount

    async def forget_user(self, user_key: str) -> dict[str, int]:
        """Delete one user's query-log rows and language preference; moderation tables are not touched."""
        async with self._lock:
            await self._db.execute("PRAGMA secure_delete = ON")
            questions = await self._db.execute("DELETE FROM query_log WHERE user_key = ?", (user_key,))
            preferences = await self._db.execute("DELETE FROM user_prefs WHERE user_key = ?", (user_key,))
            await self._db.commit()
            self._languages.pop(user_key, None)
            await self._checkpoint()
            return {"questions": questions.rowcount, "preferences": preferences.rowcount}

    async def _checkpoint(self) -> None:
        """After a delete: copy the write-ahead log into the database file and empty it. secure_delete zeroes
        the freed bytes in the database file, but until this the WAL still holds copies of the old pages."""
        # TRUNCATE waits (busy_timeout, 5 s) for another connection's read, such as a CLI report, to end
        async with self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            busy, _, _ = await cursor.fetchone()
        if busy:
            log.warning("the write-ahead log could not be emptied after a delete (another connection is reading); "
                        "the deleted text stays in it until the next checkpoint")


_CANNOT_WRITE = {3, 8, 14}  # SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN (primary result codes)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _probe_folder(folder: Path) -> None:
    """Raise OSError unless a file can be created in `folder` (the WAL files and the query log's spill need it)."""
    probe = folder / f".write-probe-{os.getpid()}-{secrets.token_hex(4)}"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    probe.unlink()


def _ts(when: dt.datetime | None = None) -> str:
    return (when or utcnow()).astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _parse_ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


class UserKeys:
    """Pseudonymous user keys: a keyed hash of the Telegram id, so the log never holds the id itself."""

    def __init__(self, secret: bytes):
        self._secret = secret
        self._keys: dict[int, str] = {}  # computed keys, remembered (two per message otherwise)

    def key(self, telegram_id: int) -> str:
        found = self._keys.get(telegram_id)
        if found is None:
            if len(self._keys) >= 100_000:
                self._keys.clear()
            found = self._keys[telegram_id] = hmac.new(self._secret, str(telegram_id).encode(), hashlib.sha256).hexdigest()[:32]
        return found

    @classmethod
    def from_config(cls, secret: str | None, data_dir: Path) -> "UserKeys":
        """Use the configured secret, or one generated once and kept owner-only in the data folder."""
        if secret:
            return cls(secret.encode())
        path = Path(data_dir) / "user-key.secret"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_hex(32))
            return cls(path.read_text().strip().encode())
        except OSError as exc:
            raise StorageError(f"cannot use the data folder {str(path.parent)!r}: {exc.strerror or exc}") from exc
