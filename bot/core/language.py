"""The language a message is written in, as the reply should be.

Letters and words decide first (`detect_language` in bot/core/text.py): Kazakh or Ukrainian letters, Latin
script, words only one language uses. What they leave as Russian without a Russian word in it may be Kazakh
typed without Kazakh letters ("автобуста жол акысы канша турады?"): a naive Bayes over the character n-grams of
the knowledge's own phrasings, read with Kazakh letters folded as such a writer types them, tells it apart.
Cross-validated over the phrasings (Kazakh ones with their letters folded), it read 99% of them as Kazakh where
the words alone read 62%, and left the Russian ones as they were (99.9%).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable

import numpy as np

from bot.core.text import RUSSIAN_WORDS, detect_language, normalise

KAZAKH = "kk"
CERTAINTY = 0.99  # the probability of Kazakh needed to overrule "Russian" (0.9-0.9999 measured alike)
SMOOTHING = 0.1  # additive smoothing of the n-gram counts (0.1 and 0.5 tried)
GRAM_SIZES = (1, 2, 3, 4)
MIN_WORDS = 3  # shorter messages stay Russian: "онай карта" is Russian and Kazakh alike
TRAINING_LIMIT = 20_000  # phrasings at most (a generated knowledge of 10,000 entries is sampled)
WORD_CACHE = 50_000  # words whose scores are remembered, then forgotten all at once


def _grams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + n] for n in GRAM_SIZES for i in range(len(padded) - n + 1)]


class LanguageReader:
    """`detect_language`, with Kazakh typed without Kazakh letters recognised by what the knowledge's phrasings
    in each language look like."""

    def __init__(self, phrasings: Iterable[tuple[str, str]], seed: int = 0):
        """`phrasings`: (language, text) of every question and phrasing of the knowledge."""
        self._cache: dict[str, np.ndarray] = {}
        samples = list(phrasings)
        if len(samples) > TRAINING_LIMIT:
            samples = random.Random(seed).sample(samples, TRAINING_LIMIT)
        counts: dict[str, Counter] = {}
        for language, text in samples:
            counts.setdefault(language, Counter()).update(g for word in normalise(text).split() for g in _grams(word))
        self._languages = sorted(counts)
        self._kazakh = self._languages.index(KAZAKH) if KAZAKH in counts else None
        vocabulary = sorted(set().union(*counts.values())) if counts else []
        self._columns = {gram: i for i, gram in enumerate(vocabulary)}
        table = np.array([[counts[lang][g] for lang in self._languages] for g in vocabulary], dtype=np.float64)
        totals = table.sum(axis=0) if len(vocabulary) else np.zeros(len(self._languages))
        self._log_p = np.log((table + SMOOTHING) / (totals + SMOOTHING * len(vocabulary)))
        documents = Counter(language for language, _ in samples)
        self._log_prior = np.array([math.log(documents[lang] / len(samples)) for lang in self._languages])

    def language(self, text: str) -> str:
        found = detect_language(text)
        words = normalise(text).split()
        if found != "ru" or self._kazakh is None or len(words) < MIN_WORDS or RUSSIAN_WORDS.intersection(words):
            return found
        return KAZAKH if self._kazakh_probability(words) >= CERTAINTY else found

    def _kazakh_probability(self, words: list[str]) -> float:
        scores = self._log_prior + sum(map(self._word_scores, words))
        scores = np.exp(scores - scores.max())
        return float(scores[self._kazakh] / scores.sum())

    def _word_scores(self, word: str) -> np.ndarray:
        """A word's n-grams' log-probabilities in each language, summed: worked out once per word."""
        found = self._cache.get(word)
        if found is None:
            if len(self._cache) >= WORD_CACHE:
                self._cache.clear()
            columns = [c for c in map(self._columns.get, _grams(word)) if c is not None]
            found = self._cache[word] = self._log_p[columns].sum(axis=0)
        return found
