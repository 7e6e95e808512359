"""Russian word vectors (navec, shipped inside the `natasha` package): words no phrasing uses still land near
the words that phrasings do use ("педиатр" near "врач"). Nothing is downloaded at run time; without the
package data (a trimmed install) the matcher works on n-grams and stems alone."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
from navec import Navec

NAVEC_FILE = Path("data") / "emb" / "navec_news_v1_1B_250K_300d_100q.tar"


class WordVectors:
    def __init__(self, model: Navec) -> None:
        self._model = model
        self.size = int(model.pq.dim)
        self._cache: dict[str, np.ndarray | None] = {}

    @staticmethod
    @lru_cache(maxsize=1)
    def shared() -> WordVectors | None:
        """The vectors, loaded once per process (every matcher built after a reload reads the same)."""
        return WordVectors.load()

    @classmethod
    def load(cls) -> WordVectors | None:
        """navec's news vectors from the installed `natasha` package, or None when it is not installed."""
        spec = importlib.util.find_spec("natasha")
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / NAVEC_FILE
        if not path.is_file():
            return None
        return cls(Navec.load(str(path)))

    def word(self, word: str) -> np.ndarray | None:
        if word not in self._cache:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[word] = self._model.get(word)
        return self._cache[word]

    def mean(self, words: list[tuple[str, float]]) -> np.ndarray | None:
        """The weighted mean of the known words' vectors, of length 1; None when no word is known."""
        known = [
            (vector, weight) for vector, weight in ((self.word(w), weight) for w, weight in words) if vector is not None
        ]
        if not known:
            return None
        mean = np.asarray([weight for _, weight in known], dtype=np.float32) @ np.stack([v for v, _ in known])
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm else None
