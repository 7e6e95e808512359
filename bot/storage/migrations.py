"""The database file: its versioned schema, the connection's set-up (WAL, busy timeout) and its checks.

The schema carries its version in `PRAGMA user_version` and is migrated forward on open. aiosqlite runs
one worker thread per connection and transactions on a shared connection interleave, so every unit of
work in the stores takes `self._lock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from pathlib import Path
from typing import Self

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


class Database:
    """One connection to the database file, opened, migrated and reopened when the file goes; the stores
    (`QueryStore`, `ModerationStore`) add their named methods on top of it."""

    def __init__(self, connection: aiosqlite.Connection, path: Path | None = None):
        self._db = connection
        self._path = Path(path) if path is not None else None
        self._identity = _identity(self._path) if self._path is not None else None  # (device, inode) opened
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Self:
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
        except BaseException:  # cancelled too (a stop during start-up): an open connection keeps the process alive
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
            assert self._path is not None  # only open(), which has a path, probes
            raise StorageError(
                f"cannot use the data folder {str(self._path.parent)!r}: the database {self._path.name} "
                f"cannot be written ({exc})"
            ) from exc

    async def _prepare(self) -> None:
        """Set the connection up and migrate the schema to this code's version (on open and on every reopen)."""
        try:
            await self._db.execute("PRAGMA busy_timeout = 5000")
            await self._db.execute("PRAGMA journal_mode = WAL")
            await self._db.execute("PRAGMA synchronous = NORMAL")
            async with self._db.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
                assert row is not None  # a PRAGMA that reads a value always returns one row
                (version,) = row
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

    async def _same_file(self) -> None:
        """Before a write (under the lock): is the file at the path still the one the connection writes to?

        Deleted or replaced under the running bot, SQLite would go on writing into the unlinked file and every
        row would vanish at the next start. Then the connection is closed (its WAL with it) and the path opened
        again (a new, empty database if the file is gone); if that fails, StorageError keeps the rows queued."""
        if self._path is None or _identity(self._path) == self._identity:
            return
        what = "deleted" if not self._path.exists() else "replaced"
        log.error(
            "the database file %s was %s while the bot ran; opening %s again (rows since its last write are "
            "kept in memory until written)",
            self._path,
            what,
            self._path,
        )
        with contextlib.suppress(aiosqlite.Error, ValueError):
            await self._db.close()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._db = await aiosqlite.connect(self._path)
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
            row = await cursor.fetchone()
            assert row is not None  # a PRAGMA that reads a value always returns one row
            return row[0]

    async def _checkpoint(self) -> None:
        """After a delete: copy the write-ahead log into the database file and empty it. secure_delete zeroes
        the freed bytes in the database file, but until this the WAL still holds copies of the old pages."""
        # TRUNCATE waits (busy_timeout, 5 s) for another connection's read, such as a CLI report, to end
        async with self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
            assert row is not None  # wal_checkpoint always returns one row
            busy, _, _ = row
        if busy:
            log.warning(
                "the write-ahead log could not be emptied after a delete (another connection is reading); "
                "the deleted text stays in it until the next checkpoint"
            )


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
