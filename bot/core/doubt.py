"""Whether an answer the family classifier is sure of is still in doubt: a question next to a covered topic ("Кредитку
в Каспи одобряют?", "gyms with a monthly pass") is answered with the classifier's confidence, because its words are
the topic's words. What tells it apart is several weak signs at once — how close the classifier's runner-up comes,
how close the entry's and the off-topic phrasings are, how much of the question the answered family's words explain —
weighed by a logistic regression over them. An answer in doubt is offered as a choice instead.

The weights are fitted by `python -m bot fit-doubt` (cross-validation over the knowledge's phrasings and labelled
question files written apart from it) and kept below as constants: a new fit is a reviewed change, like a threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

SMALLEST = 1e-6  # a probability is read as its logarithm; this keeps 0 finite
MANY_WORDS = 12  # content words counted up to this many
# which way each feature may push towards "right" (0: either). A weight of the wrong sign fits the bulk of the answers
# by playing two correlated signs against each other, and fails where they part: a story whose question the family's
# words alone answered with 0.9999 was held back. Such a feature is left out and the rest refitted. Four signs went
# that way and were dropped from the evidence: the family's and the off-topic class's probabilities, each with and
# without the story.
DIRECTIONS = (-1, 0, 1, -1, 1, -1, -1, 0)


@dataclass(frozen=True)
class Evidence:
    """What the matcher knows of an answer it is about to give."""

    runner_up: float  # the probability of the label after the answered family (the off-topic class included)
    lexical: float  # the closest phrasing's lexical score (0-100), of any entry
    lexical_entry: float  # ... of the answered entry
    lexical_offtopic: float  # ... of an off-topic phrasing (0 when none is among the closest)
    in_family: float  # the share of the question's word weight (IDF) that the answered family's phrasings use
    unknown: float  # ... that no phrasing uses
    offtopic_only: float  # ... that only off-topic phrasings use
    words: int  # content words of the question

    def features(self) -> tuple[float, ...]:
        return (
            math.log(max(self.runner_up, SMALLEST)),
            self.lexical / 100.0,
            self.lexical_entry / 100.0,
            self.lexical_offtopic / 100.0,
            self.in_family,
            self.unknown,
            self.offtopic_only,
            min(self.words, MANY_WORDS) / MANY_WORDS,
        )


@dataclass(frozen=True)
class Doubt:
    """A logistic regression over an answer's evidence (standardised features) and the cut below which it is in
    doubt."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    cut: float

    def score(self, evidence: Evidence) -> float:
        # eight numbers: plain arithmetic is several times quicker than numpy's arrays here
        standardised = zip(evidence.features(), self.mean, self.scale, self.weights, strict=True)
        return self.bias + sum(w * (x - m) / s for x, m, s, w in standardised)

    def in_doubt(self, evidence: Evidence) -> bool:
        return self.score(evidence) < self.cut

    def as_python(self) -> str:
        """The fit as the constant below, to paste."""

        def numbers(values: Sequence[float]) -> str:
            return "(" + ", ".join(f"{v:.4f}" for v in values) + ")"

        return (
            "DOUBT = Doubt(\n"
            f"    weights={numbers(self.weights)},\n"
            f"    bias={self.bias:.4f},\n"
            f"    mean={numbers(self.mean)},\n"
            f"    scale={numbers(self.scale)},\n"
            f"    cut={self.cut:.4f},\n"
            ")"
        )


def fit(evidences: Sequence[Evidence], right: Sequence[bool], cut_on: Sequence[bool], budget: float) -> Doubt:
    """A Doubt from answers known to be right or not (another family, or a question no family covers).

    The cut lets `budget` of the right answers among those marked `cut_on` (the questions written apart from the
    knowledge, not its own phrasings) fall into doubt."""
    x = np.array([e.features() for e in evidences])
    y = np.array(right, dtype=int)
    mean, scale = x.mean(axis=0), x.std(axis=0) + SMALLEST
    kept = list(range(x.shape[1]))
    while True:
        model = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced")
        model.fit(((x - mean) / scale)[:, kept], y)
        against = {k: DIRECTIONS[k] * w for k, w in zip(kept, model.coef_[0], strict=True) if DIRECTIONS[k] * w < 0}
        if not against or len(kept) == 1:
            break
        kept.remove(min(against, key=lambda k: against[k]))  # the most contrary first, then refit
    weights = np.zeros(x.shape[1])
    weights[kept] = model.coef_[0]
    found = Doubt(tuple(weights), float(model.intercept_[0]), tuple(mean), tuple(scale), 0.0)
    scores = sorted(found.score(e) for e, r, c in zip(evidences, right, cut_on, strict=True) if r and c)
    cut = scores[min(int(budget * len(scores)), len(scores) - 1)] if scores else 0.0
    return Doubt(found.weights, found.bias, found.mean, found.scale, cut)


# python -m bot fit-doubt tests/data/{fresh,third,fourth,fifth,seventh,pairs}.yaml --budget 0.016
DOUBT = Doubt(
    weights=(-1.5331, -0.9437, 0.9467, -0.1464, 0.4436, -0.2198, -0.0882, 0.0708),
    bias=1.2101,
    mean=(-5.8195, 0.5226, 0.5156, 0.0678, 0.8319, 0.0324, 0.0061, 0.3560),
    scale=(2.6784, 0.1434, 0.1504, 0.1281, 0.2060, 0.0866, 0.0453, 0.1209),
    cut=-1.7800,
)
