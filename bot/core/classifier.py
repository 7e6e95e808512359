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
from typing import Iterable, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from bot.core.embeddings import WordVectors

REGULARISATION = 60.0  # scikit-learn's C, chosen by cross-validation over the phrasings (5, 20, 60 tried)
VECTOR_WEIGHT = 0.5  # the words' mean vector beside the n-grams and stems (each of length 1)
WORD = "@"  # a feature "@врач" is the word itself: read through word vectors when there are some, never counted as a string
TRAINING_LIMIT = 40_000  # phrasings at most (a generated knowledge of 10,000 entries is sampled)


class FamilyClassifier:
    """P(label | features) for every label seen in training; features are strings with counts."""

    def __init__(self, docs: Iterable[tuple[Counter, str]], regularisation: float = REGULARISATION,
                 seed: int = 0, vectors: WordVectors | None = None, vector_weight: float = VECTOR_WEIGHT):
        self._vectors, self._vector_weight = vectors, vector_weight
        samples = list(docs)
        if len(samples) > TRAINING_LIMIT:
            samples = random.Random(seed).sample(samples, TRAINING_LIMIT)
        self.labels: tuple[str, ...] = tuple(sorted({label for _, label in samples}))
        self._label_index = label_index = {label: i for i, label in enumerate(self.labels)}
        frequency: Counter = Counter()
        for features, _ in samples:
            frequency.update(f for f in features if not f.startswith(WORD))
        self._columns = {feature: i for i, feature in enumerate(frequency)}
        self._idf = np.array([math.log((1 + len(samples)) / (1 + n)) + 1.0 for n in frequency.values()], dtype=np.float64)
        if len(self.labels) < 2:  # nothing to tell apart
            self._weights = np.zeros((self._width, len(self.labels)), dtype=np.float32)
            self._bias = np.zeros(len(self.labels), dtype=np.float32)
            return
        rows, cols, values = [], [], []
        for row, (features, _) in enumerate(samples):
            found_cols, found_values = self._vector(features)
            rows.extend([row] * len(found_cols))
            cols.extend(found_cols)
            values.extend(found_values)
        matrix = csr_matrix((values, (rows, cols)), shape=(len(samples), self._width))
        target = np.array([label_index[label] for _, label in samples])
        model = LogisticRegression(C=regularisation, max_iter=300, tol=1e-3)
        model.fit(matrix, target)
        self._weights = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        self._bias = model.intercept_.astype(np.float32)

    @property
    def _width(self) -> int:
        return len(self._columns) + (self._vectors.size if self._vectors is not None else 0)

    def _vector(self, features: Counter) -> tuple[list[int], list[float]]:
        """Sublinear TF-IDF of the known features, L2-normalised, then the words' mean vector (also of
        length 1, times the vector weight); unknown features carry no evidence."""
        cols, values = self._sparse(features)
        if self._vectors is not None:
            mean = self._vectors.mean({f[1:]: w for f, w in features.items() if f.startswith(WORD)})
            if mean is not None:
                start = len(self._columns)
                cols = cols + list(range(start, start + len(mean)))
                values = values + (mean * self._vector_weight).tolist()
        return cols, values

    def _sparse(self, features: Counter) -> tuple[list[int], list[float]]:
        cols = [self._columns[f] for f in features if f in self._columns]
        if not cols:
            return [], []
        counts = np.array([features[f] for f in features if f in self._columns], dtype=np.float64)
        tf = np.where(counts >= 1.0, 1.0 + np.log(np.maximum(counts, 1.0)), counts)  # a weighted-down part counts less than once
        values = tf * self._idf[cols]
        values /= np.linalg.norm(values)
        return cols, values.tolist()

    def logits(self, features: Counter) -> np.ndarray:
        cols, values = self._vector(features)
        if not cols:
            return self._bias.astype(np.float64)
        return self._bias + np.asarray(values, dtype=np.float32) @ self._weights[cols]

    def one_hot(self, label: str) -> np.ndarray:
        """1 at `label`'s place (none for an unknown label): to shift the logits towards a label."""
        vector = np.zeros(len(self.labels), dtype=np.float32)
        if label in self._label_index:
            vector[self._label_index[label]] = 1.0
        return vector

    @staticmethod
    def softmax(logits: np.ndarray) -> np.ndarray:
        shifted = np.exp(logits - logits.max())
        return shifted / shifted.sum()

    def probabilities(self, features: Counter) -> np.ndarray:
        return self.softmax(self.logits(features))

    def ranked(self, probabilities: np.ndarray, depth: int = 3) -> Sequence[tuple[str, float]]:
        order = np.argsort(-probabilities)[:depth]
        return [(self.labels[i], float(probabilities[i])) for i in order]
