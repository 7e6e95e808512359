"""The closest spellings of a word among many, as `rapidfuzz.process.extract` with `fuzz.ratio` finds
them, without comparing the word with every one.

fuzz.ratio is 100 * 2k / L for an LCS of k characters and lengths l1 + l2 = L. A score of at least
`cutoff` needs k >= cutoff/200 * L, hence lengths within a ratio of each other (for 80: 2/3 .. 3/2),
and it leaves enough of the word's letter pairs intact: of its l1 - 1 pairs, a deleted letter breaks
at most two and an inserted one at most one, so at least 3k - 1 - L pairs appear in the other word
too. Only words with the length and enough pairs in common are passed to rapidfuzz, in their
original order, so the result (ties included) is exactly the full comparison's. A small vocabulary
(a few hundred words) is compared in full: rapidfuzz does that faster than the prefilter is built.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

SMALL_VOCABULARY = 200  # words; measured: 51 words compare in full in 2.6 µs, prefiltered in 5-7 µs


def _pairs(word: str) -> list[str]:
    return [word[i : i + 2] for i in range(len(word) - 1)]


class FuzzyVocabulary:
    def __init__(self, words: Sequence[str], cutoff: float, small: int = SMALL_VOCABULARY):
        self.words = list(words)
        self.cutoff = cutoff
        self.compare_all = len(self.words) < small
        self.lengths = np.array([len(w) for w in self.words], np.int64)
        postings: dict[str, list[int]] = defaultdict(list)
        for index, word in enumerate(self.words):
            for pair in _pairs(word):  # a repeated pair is listed again: counts stay an upper bound
                postings[pair].append(index)
        self.postings = {pair: np.array(found, np.int64) for pair, found in postings.items()}
        self._longest = int(self.lengths.max(initial=0))
        self._needed_for: dict[int, tuple[np.ndarray, int]] = {}

    def _needed(self, l1: int, l2: int) -> int:
        """Letter pairs two words of these lengths must share to reach the cutoff."""
        total = l1 + l2
        k = math.ceil(self.cutoff / 200.0 * total - 1e-9)
        return 3 * k - 1 - total

    def _by_length(self, l1: int) -> tuple[np.ndarray, int]:
        """Per vocabulary word, the letter pairs it must share with a word of length l1 (a huge number
        where the lengths alone rule it out); worked out once per length."""
        found = self._needed_for.get(l1)
        if found is None:
            share = self.cutoff / 200.0
            low, high = math.ceil(l1 * share / (1 - share) - 1e-9), math.floor(l1 * (1 - share) / share + 1e-9)
            by_length = np.full(self._longest + 1, np.iinfo(np.int64).max)
            for l2 in range(low, min(high, self._longest) + 1):
                by_length[l2] = self._needed(l1, l2)
            found = self._needed_for[l1] = (by_length[self.lengths], int(by_length.min(initial=np.iinfo(np.int64).max)))
        return found

    def possible(self, word: str) -> bool:
        """False when no word can be close enough: fewer of its letter pairs occur in the whole vocabulary
        than the most lenient length allows (cheap: no word is compared; a small vocabulary may always be)."""
        if len(word) < 2 or self.compare_all:
            return bool(self.words)
        least = self._by_length(len(word))[1]
        return sum(1 for p in set(_pairs(word)) if p in self.postings) >= least

    def extract(self, word: str, limit: int) -> list[tuple[str, float, int]]:
        """As process.extract(word, words, scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit)."""
        if len(word) < 2 or self.compare_all:
            return process.extract(word, self.words, scorer=fuzz.ratio, score_cutoff=self.cutoff, limit=limit)
        needed = self._by_length(len(word))[0]
        lists = [self.postings[p] for p in set(_pairs(word)) if p in self.postings]
        counts = (
            np.bincount(np.concatenate(lists), minlength=len(self.words))
            if lists
            else np.zeros(len(self.words), np.int64)
        )
        chosen = np.flatnonzero(counts >= needed).tolist()  # ascending: the original order
        found = process.extract(
            word, [self.words[i] for i in chosen], scorer=fuzz.ratio, score_cutoff=self.cutoff, limit=limit
        )
        return [(choice, score, chosen[position]) for choice, score, position in found]
