"""Which family a question belongs to: a multinomial logistic regression over the question's features.

The lexical index (bot/core/index.py) finds the phrasings closest to a question; it remembers them.
A classifier trained on every phrasing of every entry, labelled with the entry's family, learns which
n-grams and stems tell one family from the others, so a question worded unlike any phrasing still
lands in its family, and its probability is a confidence that cross-validation can calibrate
(`python -m bot eval --cv`). Trained with scikit-learn at load; asked with a few numpy look-ups.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from bot.core.embeddings import WordVectors

REGULARISATION = 60.0  # scikit-learn's C, chosen by cross-validation over the phrasings (5, 20, 60 tried)
VECTOR_WEIGHT = 0.5  # the words' mean vector beside the n-grams and stems (each of length 1)
TRAINING_LIMIT = 40_000  # phrasings at most (a generated knowledge of 10,000 entries is sampled)
SOLVER, TOLERANCE = "saga", 1e-3  # six seconds on this FAQ; 1e-2 took four, but its figures moved a point with the
# random seed (1e-4: half a minute, the same figures as 1e-3; lbfgs took 5-15 s for the same model)
WORD_CACHE = 50_000  # words whose feature columns are remembered, then forgotten all at once
TRAINED_KEPT = 4  # classifiers remembered by their training data


Words = list[tuple[str, float]]  # a text as its words, each with the weight of the part of the message it is in
Sample = tuple[Words, str, float]  # a text, its label, and how much it counts in training (1.0: fully)


_TRAINED: dict[tuple, FamilyClassifier] = {}


class FamilyClassifier:
    """P(label | words) for every label seen in training.

    A word's features (`featurise`: its character n-grams, its stem…) are looked up once and remembered as
    columns; a text's vector is the sublinear TF-IDF of its words' features, L2-normalised, followed by the
    mean of its words' vectors (also of length 1, times `vector_weight`) when there are word vectors."""

    def __init__(
        self,
        docs: Iterable[Sample],
        featurise: Callable[[str], Iterable[str]],
        meaningful: Callable[[str], bool],
        regularisation: float = REGULARISATION,
        seed: int = 0,
        vectors: WordVectors | None = None,
        vector_weight: float = VECTOR_WEIGHT,
    ):
        self._featurise, self._meaningful = featurise, meaningful  # meaningful: a word read through its vector
        self._vectors, self._vector_weight = vectors, vector_weight
        self._word_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        samples = list(docs)
        if len(samples) > TRAINING_LIMIT:
            samples = random.Random(seed).sample(samples, TRAINING_LIMIT)
        self.labels: tuple[str, ...] = tuple(sorted({label for _, label, _ in samples}))
        self._label_index = label_index = {label: i for i, label in enumerate(self.labels)}
        frequency: Counter = Counter()
        for words, _, _ in samples:
            frequency.update({f for word, _ in words for f in featurise(word)})
        self._columns = {feature: i for i, feature in enumerate(frequency)}
        self._idf = np.array(
            [math.log((1 + len(samples)) / (1 + n)) + 1.0 for n in frequency.values()], dtype=np.float32
        )
        self._dense_start = len(self._columns)
        width = self._dense_start + (vectors.size if vectors is not None else 0)
        if len(self.labels) < 2:  # nothing to tell apart
            self._weights = np.zeros((width, len(self.labels)), dtype=np.float32)
            self._bias = np.zeros(len(self.labels), dtype=np.float32)
            self._dense_weights = self._weights[self._dense_start :]
            return
        rows, cols, values = [], [], []
        for row, (words, _, _) in enumerate(samples):
            found_cols, found_values, mean = self._vector(words)
            if mean is not None:
                found_cols = np.concatenate([found_cols, np.arange(self._dense_start, width)])
                found_values = np.concatenate([found_values, mean])
            rows.append(np.full(len(found_cols), row))
            cols.append(found_cols)
            values.append(found_values)
        matrix = csr_matrix(
            (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(len(samples), width)
        )
        target = np.array([label_index[label] for _, label, _ in samples])
        sample_weight = np.array([weight for _, _, weight in samples])
        model = LogisticRegression(C=regularisation, solver=SOLVER, tol=TOLERANCE, max_iter=300, random_state=seed)
        model.fit(matrix, target, sample_weight=sample_weight)
        self._weights = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        self._bias = model.intercept_.astype(np.float32)
        self._dense_weights = self._weights[self._dense_start :]

    def _word(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, counts) of a word's known features, worked out once per word."""
        found = self._word_cache.get(word)
        if found is None:
            if len(self._word_cache) >= WORD_CACHE:
                self._word_cache.clear()
            counts = Counter(self._columns[f] for f in self._featurise(word) if f in self._columns)
            found = self._word_cache[word] = (
                np.fromiter(counts.keys(), np.int64, len(counts)),
                np.fromiter(counts.values(), np.float32, len(counts)),
            )
        return found

    def _vector(self, words: Words) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(columns, values) of a text's n-grams and stems, and its words' mean vector times `vector_weight`
        (None without a known word); unknown features carry no evidence."""
        found = [
            (cols, counts * weight)
            for cols, counts, weight in ((*self._word(w), weight) for w, weight in words)
            if len(cols)
        ]
        if found:
            every = np.concatenate([c for c, _ in found])
            order = np.argsort(every, kind="stable")  # a feature of several words: its counts summed
            every, counts = every[order], np.concatenate([n for _, n in found])[order]
            starts = np.flatnonzero(np.concatenate(([True], every[1:] != every[:-1])))
            columns, counts = every[starts], np.add.reduceat(counts, starts)
            # a weighted-down part counts less than once
            tf = np.where(counts >= 1.0, 1.0 + np.log(np.maximum(counts, 1.0)), counts)
            values = tf * self._idf[columns]
            values /= math.sqrt(float(values @ values))
        else:
            columns, values = np.empty(0, np.int64), np.empty(0, np.float32)
        mean = (
            self._vectors.mean([(w, n) for w, n in words if self._meaningful(w)]) if self._vectors is not None else None
        )
        return columns, values, None if mean is None else mean * self._vector_weight

    def logits(self, words: Words) -> np.ndarray:
        cols, values, mean = self._vector(words)
        found = self._bias + values.astype(np.float32) @ self._weights[cols]
        return found if mean is None else found + mean.astype(np.float32) @ self._dense_weights

    @classmethod
    def trained(
        cls,
        docs: list[Sample],
        featurise: Callable[[str], Iterable[str]],
        meaningful: Callable[[str], bool],
        vectors: WordVectors | None = None,
    ) -> FamilyClassifier:
        """A classifier for these docs, trained once per process: a reload that changed no phrasing, a match
        worker's second build and the tests' many bots reuse it (training takes seconds, a look-up milliseconds)."""
        texts = tuple((tuple(w for w, _ in words), label, weight) for words, label, weight in docs)
        key = (texts, featurise, meaningful, id(vectors))
        found = _TRAINED.get(key)
        if found is None:
            if len(_TRAINED) >= TRAINED_KEPT:
                _TRAINED.clear()
            found = _TRAINED[key] = cls(docs, featurise, meaningful, vectors=vectors)
        return found

    def place(self, label: str) -> int | None:
        """`label`'s position in the logits (None for a label not seen in training)."""
        return self._label_index.get(label)

    def one_hot(self, label: str) -> np.ndarray:
        """1 at `label`'s place (none for an unknown label): to shift the logits towards a label."""
        vector = np.zeros(len(self.labels), dtype=np.float32)
        place = self.place(label)
        if place is not None:
            vector[place] = 1.0
        return vector

    @staticmethod
    def softmax(logits: np.ndarray) -> np.ndarray:
        shifted = np.exp(logits - logits.max())
        return shifted / shifted.sum()

    def probabilities(self, words: Words) -> np.ndarray:
        return self.softmax(self.logits(words))

    def ranked(self, probabilities: np.ndarray, depth: int = 3) -> Sequence[tuple[str, float]]:
        order = np.argsort(-probabilities)[:depth]
        return [(self.labels[i], float(probabilities[i])) for i in order]
