"""Whether an answer the family classifier is sure of is still in doubt: a question next to a covered topic ("Кредитку
в Каспи одобряют?", "gyms with a monthly pass") is answered with the classifier's confidence, because its words are
the topic's words. What tells it apart is several weak signs at once — how sure the classifier is, how close the
entry's phrasings are, how much of the question the answered family's words explain, what the off-topic class
gets — weighed by a logistic regression over them. An answer in doubt is offered as a choice instead.

The weights are fitted by `python -m bot fit-doubt` (cross-validation over the knowledge's phrasings and labelled
question files written apart from it) and kept below as constants: a new fit is a reviewed change, like a threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

SMALLEST = 1e-6  # probabilities are read as log-odds; this keeps 0 and 1 finite
MANY_WORDS = 12  # content words counted up to this many


@dataclass(frozen=True)
class Evidence:
    """What the matcher knows of an answer it is about to give."""

    probability: float  # the answered family's probability
    runner_up: float  # the next label's probability (the off-topic class included)
    offtopic: float  # the off-topic class's probability
    lexical: float  # the closest phrasing's lexical score (0-100), of any entry
    lexical_entry: float  # ... of the answered entry
    lexical_offtopic: float  # ... of an off-topic phrasing (0 when none is among the closest)
    in_family: float  # the share of the question's word weight (IDF) that the answered family's phrasings use
    unknown: float  # ... that no phrasing uses
    offtopic_only: float  # ... that only off-topic phrasings use
    words: int  # content words of the question
    words_offtopic: float  # the off-topic class's probability for the question's words alone (no story, no lexical say)
    words_family: float  # the answered family's probability for the question's words alone

    def features(self) -> tuple[float, ...]:
        p, runner_up, offtopic, lexical, lexical_entry, lexical_offtopic, in_family, unknown, only, words, wo, wf = (
            astuple(self)
        )
        return (
            _log_odds(p),
            _log(runner_up),
            _log(offtopic),
            lexical / 100.0,
            lexical_entry / 100.0,
            lexical_offtopic / 100.0,
            in_family,
            unknown,
            only,
            min(words, MANY_WORDS) / MANY_WORDS,
            _log(wo),
            _log_odds(wf),
        )


def _log(x: float) -> float:
    return math.log(max(x, SMALLEST))


def _log_odds(x: float) -> float:
    x = min(max(x, SMALLEST), 1.0 - SMALLEST)
    return math.log(x / (1.0 - x))


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
        x = (np.array(evidence.features()) - np.array(self.mean)) / np.array(self.scale)
        return float(x @ np.array(self.weights) + self.bias)

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
    model = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced").fit((x - mean) / scale, y)
    found = Doubt(tuple(model.coef_[0]), float(model.intercept_[0]), tuple(mean), tuple(scale), 0.0)
    scores = sorted(found.score(e) for e, r, c in zip(evidences, right, cut_on, strict=True) if r and c)
    cut = scores[min(int(budget * len(scores)), len(scores) - 1)] if scores else 0.0
    return Doubt(found.weights, found.bias, found.mean, found.scale, cut)


# python -m bot fit-doubt tests/data/{fresh,third,fourth,fifth,seventh,pairs}.yaml --budget 0.016
DOUBT = Doubt(
    weights=(1.4119, -1.1177, -0.1187, -0.6517, 0.5286, -0.1604, 0.4762, -0.2300, -0.0758, 0.0977, 0.3390, -0.8558),
    bias=1.3293,
    mean=(5.1084, -5.8575, -8.4945, 0.5221, 0.5146, 0.0687, 0.8304, 0.0325, 0.0062, 0.3542, -6.3073, 3.2063),
    scale=(2.6693, 2.7165, 2.8870, 0.1435, 0.1509, 0.1288, 0.2076, 0.0869, 0.0459, 0.1214, 2.4069, 2.2917),
    cut=-1.7535,
)
