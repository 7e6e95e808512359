"""The model that holds back answers in doubt: a question next to a covered topic gets a choice, not an answer."""

import dataclasses
import random

import pytest

from bot.core.doubt import DOUBT, Evidence, fit
from bot.core.matcher import Matcher, Thresholds

SURE = Evidence(
    runner_up=0.0005,
    lexical=70.0,
    lexical_entry=70.0,
    lexical_offtopic=0.0,
    in_family=1.0,
    unknown=0.0,
    offtopic_only=0.0,
    words=5,
)
UNSURE = Evidence(
    runner_up=0.15,
    lexical=30.0,
    lexical_entry=28.0,
    lexical_offtopic=30.0,
    in_family=0.4,
    unknown=0.3,
    offtopic_only=0.2,
    words=5,
)


def _jittered(evidence: Evidence, rng: random.Random) -> Evidence:
    return dataclasses.replace(
        evidence,
        runner_up=evidence.runner_up * rng.uniform(0.5, 2.0),
        lexical=evidence.lexical * rng.uniform(0.8, 1.2),
        in_family=min(1.0, evidence.in_family * rng.uniform(0.8, 1.2)),
    )


def test_the_shipped_model_holds_back_the_unsure_answer_only():
    assert DOUBT is not None
    assert DOUBT.in_doubt(UNSURE) and not DOUBT.in_doubt(SURE)


def test_a_fit_separates_right_answers_from_wrong_ones_and_keeps_its_budget():
    rng = random.Random(0)
    evidences = [_jittered(SURE, rng) for _ in range(200)] + [_jittered(UNSURE, rng) for _ in range(40)]
    right = [True] * 200 + [False] * 40
    model = fit(evidences, right, [True] * 240, budget=0.05)
    held_back_right = sum(model.in_doubt(e) for e in evidences[:200])
    assert held_back_right <= 0.05 * 200 + 1
    assert all(model.in_doubt(e) for e in evidences[200:])
    assert "DOUBT = Doubt(" in model.as_python() and f"cut={model.cut:.4f}" in model.as_python()


@pytest.mark.parametrize(
    "neighbour, covered",
    [
        ("Можно ли застраховать квартиру иностранцу?", "Можно ли снять квартиру иностранцу без ИИН?"),
        ("any good gyms in Almaty with a monthly pass under 20k tenge?", "how much is a monthly bus pass in Almaty?"),
    ],
)
def test_a_neighbour_of_a_covered_topic_gets_a_choice_and_the_topic_an_answer(knowledge, matcher, neighbour, covered):
    """The classifier alone answers both (their words are the topic's); the doubt model tells them apart."""
    assert Matcher(knowledge, Thresholds(doubt=None)).match(neighbour).outcome == "answer"
    assert matcher.match(neighbour).outcome != "answer"
    assert matcher.match(covered).outcome == "answer"
