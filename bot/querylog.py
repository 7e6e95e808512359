"""Writes the query log in the background so that answering never waits for the disk.

Records and feedback go through one queue in order (feedback can never overtake its question).
When the database fails, the batch is kept in memory, up to `max_pending`, and retried; `close()`
drains everything before the bot exits.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass

from bot.storage import QueryRecord, Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Feedback:
    ref: str
    helpful: bool


class QueryLog:
    def __init__(self, storage: Storage, max_pending: int = 10_000, retry_seconds: float = 2.0):
        self._storage = storage
        self._pending: deque[QueryRecord | _Feedback] = deque()
        self._max_pending = max_pending
        self._retry_seconds = retry_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._closing = False
        self._write_lock = asyncio.Lock()
        self.dropped = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="query-log-writer")

    def add(self, record: QueryRecord) -> None:
        self._push(record)

    def feedback(self, ref: str, helpful: bool) -> None:
        self._push(_Feedback(ref, helpful))

    def _push(self, item: QueryRecord | _Feedback) -> None:
        if len(self._pending) >= self._max_pending:
            self._pending.popleft()
            self.dropped += 1
            log.warning("query log buffer full: dropped the oldest record")
        self._pending.append(item)
        self._wake.set()

    async def _run(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            if not await self._write_pending():
                await asyncio.sleep(self._retry_seconds)
                self._wake.set()

    async def _write_pending(self) -> bool:
        """Write what is queued, in order; False (and everything kept) when the database fails."""
        async with self._write_lock:
            return await self._write_locked()

    async def _write_locked(self) -> bool:
        while self._pending:
            batch: list[QueryRecord] = []
            while self._pending and isinstance(self._pending[0], QueryRecord) and len(batch) < 500:
                batch.append(self._pending.popleft())
            try:
                if batch:
                    await self._storage.add_queries(batch)
                elif self._pending:
                    item = self._pending[0]
                    await self._storage.set_feedback(item.ref, item.helpful)
                    self._pending.popleft()
            except Exception as exc:  # noqa: BLE001 - any database failure must not reach the handlers
                self._pending.extendleft(reversed(batch))
                log.warning("query log write failed, will retry: %s", exc)
                return False
        return True

    async def flush(self) -> bool:
        return await self._write_pending()

    async def close(self) -> None:
        """Stop the writer and write everything still queued (called before the database closes)."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if not await self._write_pending():
            log.error("query log: %d records could not be written at exit", len(self._pending))
