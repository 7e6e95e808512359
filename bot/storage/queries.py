"""The query log and each user's language preference: written for every question, read by insights and
export, deleted by the retention job and /forgetme (with secure_delete, so the removed text is
overwritten on disk)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import cast

import aiosqlite

from bot.storage.migrations import Database
from bot.storage.rows import ForgetCounts, LoggedQuery, QueryRecord, QueryRow, clean_record, clean_text, ts, utcnow


class QueryStore(Database):
    LANGUAGE_CACHE = 100_000  # users whose language preference (or its absence) is remembered in memory

    def __init__(self, connection: aiosqlite.Connection, path: Path | None = None):
        super().__init__(connection, path)
        # user_prefs is read for every message: kept in memory after the first read. Every method that
        # changes user_prefs updates this too (set_language, forget_user).
        self._languages: dict[str, str | None] = {}
        self._all_languages = False  # True while _languages holds every stored preference

    async def _prepare(self) -> None:
        """Also fill the language cache afresh: on a reopen the old one may describe another file."""
        self._languages, self._all_languages = {}, False
        await super()._prepare()
        async with self._db.execute("SELECT COUNT(*) FROM user_prefs") as cursor:
            row = await cursor.fetchone()
            assert row is not None  # COUNT(*) always returns one row
            (count,) = row
        if count <= self.LANGUAGE_CACHE:  # all of them in memory: a user without a row needs no look-up
            async with self._db.execute("SELECT user_key, language FROM user_prefs") as cursor:
                self._languages = {key: language for key, language in await cursor.fetchall()}
            self._all_languages = True

    # --- query log ----------------------------------------------------------------------------

    async def add_queries(self, records: list[QueryRecord]) -> None:
        """All or none: a failed batch (locked, read-only, disk full) is rolled back, to be retried whole."""
        records = [clean_record(r) for r in records]
        rows = [
            (
                r.ref,
                r.created_at.isoformat(),
                r.language,
                r.chat_type,
                r.user_key,
                r.question,
                r.matched_id,
                r.score,
                r.outcome,
            )
            for r in records
        ]
        async with self._lock:
            await self._same_file()
            try:
                if any("\x00" in value for row in rows for value in row if isinstance(value, str)):
                    # json_extract returns text only up to a NUL: such a (rare) batch is bound row by row
                    await self._db.executemany(
                        """INSERT OR IGNORE INTO query_log
                           (ref, created_at, language, chat_type, user_key, question, matched_id, score, outcome)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        rows,
                    )
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
                with contextlib.suppress(aiosqlite.Error):
                    await self._db.rollback()
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

    async def queries(self, limit: int = 1000) -> list[QueryRow]:
        async with (
            self._lock,
            self._db.execute(
                """SELECT ref, created_at, language, chat_type, user_key, question, matched_id, score, outcome, feedback
               FROM query_log ORDER BY id DESC LIMIT ?""",
                (limit,),
            ) as cursor,
        ):
            names = [d[0] for d in cursor.description]
            return [cast(QueryRow, dict(zip(names, row, strict=True))) for row in await cursor.fetchall()]

    async def most_asked(self, since: dt.datetime, limit: int = 10) -> list[str]:
        """Entry ids answered most often since `since`, most first (what inline mode shows for an empty query)."""
        async with (
            self._lock,
            self._db.execute(
                """SELECT matched_id FROM query_log WHERE outcome IN ('answer', 'browse') AND matched_id IS NOT NULL
               AND created_at >= ? GROUP BY matched_id ORDER BY COUNT(*) DESC, matched_id LIMIT ?""",
                (since.isoformat(), limit),
            ) as cursor,
        ):
            return [row[0] for row in await cursor.fetchall()]

    # --- preferences --------------------------------------------------------------------------

    async def language(self, user_key: str) -> str | None:
        if user_key in self._languages:
            return self._languages[user_key]
        if self._all_languages:
            return None
        async with (
            self._lock,
            self._db.execute("SELECT language FROM user_prefs WHERE user_key = ?", (user_key,)) as cursor,
        ):
            row = await cursor.fetchone()
            if len(self._languages) >= self.LANGUAGE_CACHE:
                self._languages.clear()
            self._languages[user_key] = row[0] if row else None
            return row[0] if row else None

    async def set_language(self, user_key: str, language: str) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO user_prefs (user_key, language, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT (user_key) DO UPDATE SET language = excluded.language,
                   updated_at = excluded.updated_at""",
                (user_key, language, utcnow().isoformat()),
            )
            await self._db.commit()
            self._languages[user_key] = language

    # --- insights and privacy -----------------------------------------------------------------
    # Issue 5. Statistics, suggestions and export read the query log; the retention job and /forgetme
    # delete from it.

    async def queries_since(self, since: dt.datetime) -> list[LoggedQuery]:
        """Query-log rows created at or after `since`, oldest first (without `ref`, which only feedback needs)."""
        async with (
            self._lock,
            self._db.execute(
                """SELECT created_at, language, chat_type, user_key, question, matched_id, score, outcome, feedback
               FROM query_log WHERE created_at >= ? ORDER BY created_at, id""",
                (ts(since),),
            ) as cursor,
        ):
            names = [d[0] for d in cursor.description]
            return [cast(LoggedQuery, dict(zip(names, row, strict=True))) for row in await cursor.fetchall()]

    async def purge_queries(self, before: dt.datetime) -> int:
        """Delete query-log rows older than `before` (the retention period); returns how many went."""
        async with self._lock:
            await self._db.execute("PRAGMA secure_delete = ON")
            cursor = await self._db.execute("DELETE FROM query_log WHERE created_at < ?", (ts(before),))
            await self._db.commit()
            await self._checkpoint()
            return cursor.rowcount

    async def forget_user(self, user_key: str) -> ForgetCounts:
        """Delete one user's query-log rows and language preference; moderation tables are not touched."""
        async with self._lock:
            await self._db.execute("PRAGMA secure_delete = ON")
            questions = await self._db.execute("DELETE FROM query_log WHERE user_key = ?", (user_key,))
            preferences = await self._db.execute("DELETE FROM user_prefs WHERE user_key = ?", (user_key,))
            await self._db.commit()
            self._languages.pop(user_key, None)
            await self._checkpoint()
            return {"questions": questions.rowcount, "preferences": preferences.rowcount}
