"""Flood: more than N messages in M seconds from one member of one chat. Kept in memory only."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable


class FloodTracker:
    def __init__(self, max_keys: int = 20_000):
        self._hits: dict[Hashable, deque[float]] = {}
        self._max_keys = max_keys

    def hit(self, key: Hashable, now: float, limit: int, window: float) -> bool:
        """Count one message at `now` (seconds); True when the member has sent more than `limit` within `window`."""
        hits = self._hits.setdefault(key, deque())
        hits.append(now)
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(self._hits) > self._max_keys:
            self._forget_older_than(now - window)
        return len(hits) > limit

    def reset(self, key: Hashable) -> None:
        self._hits.pop(key, None)

    def _forget_older_than(self, moment: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= moment]:
            del self._hits[key]
