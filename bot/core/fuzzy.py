"""The closest spellings of a word among many, as `rapidfuzz.process.extract` with `fuzz.ratio` finds
them, without comparing the word with every one.

fuzz.ratio is 100 * 2k / L for an LCS of k characters and lengths l1 + l2 = L. A score of at least
`cutoff` needs k >= cutoff/200 * L, hence lengths within a ratio of each other (for 80: 2/3 .. 3/2),
and it leaves enough of the word's letter pairs intact: of its l1 - 1 pairs, a deleted letter breaks
at most two and an inserted one at most one, so at least 3k - 1 - L pairs appear in the other word
too. Only words with the length and enough pairs in common are passed to rapidfuzz, in their
original order, so the result (ties included) is exactly the full comparison's.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from itertools import chain
from typing import Sequence

from rapidfuzz import fuzz, process


def _pairs(word: str) -> list[str]:
    return [word[i:i + 2] for i in range(len(word) - 1)]


class FuzzyVocabulary:
    def __init__(self, words: Sequence[str], cutoff: float):
        self.words = list(words)
        self.cutoff = cutoff
        self.lengths = [len(w) for w in self.words]
        postings: dict[str, list[int]] = defaultdict(list)
        for index, word in enumerate(self.words):
            for pair in _pairs(word):  # a repeated pair is listed again: counts stay an upper bound
                postings[pair].append(index)
        self.postings = dict(postings)

    def _needed(self, l1: int, l2: int) -> int:
        """Letter pairs two words of these lengths must share to reach the cutoff."""
        total = l1 + l2
        k = math.ceil(self.cutoff / 200.0 * total - 1e-9)
        return 3 * k - 1 - total

    def extract(self, word: str, limit: int) -> list[tuple[str, float, int]]:
        """As process.extract(word, words, scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit)."""
        l1 = len(word)
        if l1 < 2:
            return process.extract(word, self.words, scorer=fuzz.ratio, score_cutoff=self.cutoff, limit=limit)
        share = self.cutoff / 200.0
        low, high = math.ceil(l1 * share / (1 - share) - 1e-9), math.floor(l1 * (1 - share) / share + 1e-9)
        needed = {l2: self._needed(l1, l2) for l2 in range(low, high + 1)}
        counts = Counter(chain.from_iterable(self.postings.get(p, ()) for p in set(_pairs(word))))
        lengths = self.lengths
        chosen = sorted(i for i, n in counts.items() if lengths[i] in needed and n >= needed[lengths[i]])
        if any(n <= 0 for n in needed.values()):  # too short to need a shared pair: every word of those lengths
            chosen = sorted(set(chosen) | {i for i, n in enumerate(lengths) if n in needed and needed[n] <= 0})
        found = process.extract(word, [self.words[i] for i in chosen], scorer=fuzz.ratio,
                                score_cutoff=self.cutoff, limit=limit)
        return [(choice, score, chosen[position]) for choice, score, position in found]
