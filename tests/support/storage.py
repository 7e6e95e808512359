"""A storage that fails its writes, as a full disk does, for the query log's tests."""

from __future__ import annotations

import sqlite3


class Failing:
    """A storage that fails until `healthy` is set."""

    def __init__(self, storage):
        self.storage, self.healthy = storage, False

    async def add_queries(self, records):
        if not self.healthy:
            raise sqlite3.OperationalError("database or disk is full")
        await self.storage.add_queries(records)

    async def set_feedback(self, ref, helpful):
        if not self.healthy:
            raise sqlite3.OperationalError("database or disk is full")
        return await self.storage.set_feedback(ref, helpful)
