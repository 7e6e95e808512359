"""Writes the query log in the background so that answering never waits for the disk.

Records and feedback go through one queue in order (feedback can never overtake its question).
When the database fails (locked, read-only, disk full), what is queued stays in memory and is
retried until the database recovers. `add()` acknowledges a record by returning True; once
`max_pending` records wait, new ones are refused (False, counted in `refused`) rather than dropping
acknowledged ones. `close()` drains everything before the bot exits, retrying for a few seconds; what
still cannot be written goes to `spill_path` (a JSON-lines file next to the database, owner-only),
which the next start queues again. With `linger`, the writer waits that long after the first new record
to write what came meanwhile in one transaction (a burst costs a few commits, not one per question).
Only a hard kill loses what was still in memory (well under a second's worth while the database is
healthy).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.storage import QueryRecord, Storage, clean_record, clean_text
from bot.storage.rows import ForgetCounts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Feedback:
    ref: str
    helpful: bool


class QueryLog:
    def __init__(
        self,
        storage: Storage,
        max_pending: int = 10_000,
        retry_seconds: float = 2.0,
        spill_path: Path | None = None,
        close_timeout: float = 5.0,
        linger: float = 0.0,
    ):
        self._storage = storage
        self._pending: deque[QueryRecord | _Feedback] = deque()
        self._max_pending = max_pending
        self._retry_seconds = retry_seconds
        self._spill_path = Path(spill_path) if spill_path else None
        self._close_timeout = close_timeout
        self._linger = linger
        self._writing = 0  # items taken from the queue for the write under way
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()  # set by close(): also cuts a linger short
        self._task: asyncio.Task | None = None
        self._write_lock = asyncio.Lock()
        self.refused = 0  # records and feedback not accepted because the buffer was full
        self.written = 0  # records written to the database by this writer
        self._warned_at = 0.0
        self._unspilled = False  # records from the spill file are queued; the file goes once they are written
        self._forgotten: dict[str, dt.datetime] = {}  # user key -> when /forgetme deleted it (see forget())

    @property
    def pending(self) -> int:
        """Records and feedback acknowledged and not yet written (a batch being written included)."""
        return len(self._pending) + self._writing

    def start(self) -> None:
        self._unspill()
        self._task = asyncio.create_task(self._run(), name="query-log-writer")

    def add(self, record: QueryRecord) -> bool:
        """Queue a record; True once it is acknowledged (it will be written), False when refused.

        Its text is made storable first (a lone surrogate from Telegram becomes U+FFFD): nothing a user
        types may stop the writer, the spill file at exit or shutdown."""
        return self._push(clean_record(record))

    def feedback(self, ref: str, helpful: bool) -> bool:
        return self._push(_Feedback(clean_text(ref), helpful))

    def _push(self, item: QueryRecord | _Feedback) -> bool:
        if (
            isinstance(item, QueryRecord)
            and item.user_key in self._forgotten
            and item.created_at <= self._forgotten[item.user_key]
        ):
            return (
                False  # asked before the user's /forgetme (a delayed inline log, a question in flight): never written
            )
        if len(self._pending) >= self._max_pending:
            self.refused += 1
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                log.warning(
                    "query log: %d records wait for the database; refusing new ones (%d so far)",
                    len(self._pending),
                    self.refused,
                )
            return False
        self._pending.append(item)
        self._wake.set()
        return True

    async def _run(self) -> None:
        while not self._closing.is_set():
            await self._wake.wait()
            if self._linger and not self._closing.is_set():  # gather what follows: one transaction instead of many
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), self._linger)
            self._wake.clear()
            if not await self._write_pending():
                await asyncio.sleep(self._retry_seconds)
                self._wake.set()

    async def _write_pending(self) -> bool:
        """Write what is queued, in order; False (and everything kept) when the database fails."""
        async with self._write_lock:
            done = await self._write_locked()
        if done and self._unspilled and self._spill_path is not None:
            self._unspilled = False
            with contextlib.suppress(OSError):
                self._spill_path.unlink()
        return done

    async def _write_locked(self) -> bool:
        """Write what is queued now; what comes meanwhile waits for the next round (and its linger)."""
        remaining = len(self._pending)
        while remaining and self._pending:
            batch: list[QueryRecord] = []
            while (
                remaining and self._pending and isinstance(head := self._pending[0], QueryRecord) and len(batch) < 500
            ):
                batch.append(head)
                self._pending.popleft()
                remaining -= 1
            self._writing = len(batch)
            try:
                if batch:
                    await self._storage.add_queries(batch)
                    self.written += len(batch)
                elif self._pending:
                    item = self._pending[0]
                    assert isinstance(item, _Feedback)  # the batch above stops only at feedback
                    await self._storage.set_feedback(item.ref, item.helpful)
                    self._pending.popleft()
                    remaining -= 1
            except Exception as exc:  # noqa: BLE001 - any database failure must not reach the handlers
                self._pending.extendleft(reversed(batch))
                log.warning("query log write failed, will retry: %s", exc)
                return False
            finally:
                self._writing = 0
        return True

    async def forget(self, user_key: str) -> ForgetCounts:
        """/forgetme: delete the user's rows and language, drop their queued records, and refuse any record
        of theirs dated before now that arrives later: nothing of the user is written after this returns."""
        async with self._write_lock:  # no batch of theirs is half-way to the database meanwhile
            now = dt.datetime.now(dt.UTC)
            if len(self._forgotten) > 10_000:  # in flight for an hour: long gone
                self._forgotten = {k: v for k, v in self._forgotten.items() if now - v < dt.timedelta(hours=1)}
            self._forgotten[user_key] = now
            kept = deque(
                item for item in self._pending if not (isinstance(item, QueryRecord) and item.user_key == user_key)
            )
            dropped = len(self._pending) - len(kept)
            self._pending = kept
            deleted = await self._storage.forget_user(user_key)
        deleted["questions"] += dropped
        return deleted

    async def flush(self) -> bool:
        """Write everything queued so far; False when the database fails."""
        while self._pending:
            if not await self._write_pending():
                return False
        return True

    async def close(self) -> None:
        """Stop the writer and write everything still queued (called before the database closes)."""
        self._closing.set()
        self._wake.set()
        if self._task is not None:
            await self._task
        deadline = time.monotonic() + self._close_timeout
        while not await self.flush():
            if time.monotonic() >= deadline:
                self._spill()
                break
            await asyncio.sleep(min(self._retry_seconds, 0.5))

    # --- across restarts: what the database would not take at exit -----------------------------

    def _spill(self) -> None:
        if self._spill_path is None:
            log.error("query log: %d records could not be written at exit", len(self._pending))
            return
        try:
            self._spill_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._spill_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                for item in self._pending:
                    data = asdict(item)
                    if isinstance(item, QueryRecord):
                        data["created_at"] = item.created_at.isoformat()
                    handle.write(json.dumps({"kind": type(item).__name__, **data}, ensure_ascii=False) + "\n")
            log.error(
                "query log: the database would not take %d records at exit; kept in %s for the next start",
                len(self._pending),
                self._spill_path,
            )
            self._pending.clear()
        except (OSError, ValueError) as exc:  # ValueError: text that cannot be encoded (cleaned on the way in)
            log.error(
                "query log: %d records could not be written at exit, nor kept in %s: %s",
                len(self._pending),
                self._spill_path,
                exc,
            )

    def _unspill(self) -> None:
        if self._spill_path is None or not self._spill_path.exists():
            return
        try:  # the file stays until these records are in the database (a repeated record is ignored there)
            lines = self._spill_path.read_text(encoding="utf-8").splitlines()
            self._unspilled = True
        except OSError as exc:
            log.error("query log: cannot read %s: %s", self._spill_path, exc)
            return
        items: list[QueryRecord | _Feedback] = []
        for line in lines:
            try:
                data = json.loads(line)
                kind = data.pop("kind")
                if kind == "QueryRecord":
                    data["created_at"] = dt.datetime.fromisoformat(data["created_at"])
                    items.append(QueryRecord(**data))
                else:
                    items.append(_Feedback(**data))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("query log: skipped an unreadable line of %s: %s", self._spill_path, exc)
        self._pending.extendleft(reversed(items))
        self._wake.set()
        log.info("query log: %d records from the last run queued again", len(items))
