"""`python -m bot bench` still works (tiny sizes; numbers are not checked: this is not a timed test)."""

import asyncio

import pytest

from bot import bench
from bot.benchdata import synthetic_knowledge, targeted_questions, typo


def test_generated_knowledge_has_the_validators_shape_and_its_questions_find_their_entries(knowledge, matcher):
    generated = synthetic_knowledge(knowledge, 30)
    assert len(generated.entries) == 30
    for entry in generated.entries.values():
        assert (
            len(entry.texts["ru"].phrasings) == 6
            and len(entry.texts["en"].phrasings) == 3
            and entry.texts["ru"].keywords
        )
    from bot.core.matcher import Matcher

    found = Matcher(generated)
    questions = targeted_questions(generated, 20)
    assert sum(found.match(q).entry_id == e for q, e in questions) >= 18


@pytest.mark.slow
def test_the_matcher_benchmark_reports_latency_and_the_plain_baseline(knowledge):
    result = bench.bench_matcher(knowledge, 20, ["где получить иин", "kak otkryt schet"], baseline_questions=3)
    assert result["questions"] == 302 and result["p50_ms"] > 0 and result["plain_p50_ms"] > 0


@pytest.mark.slow
def test_the_end_to_end_benchmark_answers_and_logs_every_update():
    questions = ["где получить иин", "как открыть счет в банке", "привет"]
    result = bench.bench_e2e(None, questions, count=60, rounds=1)
    assert result["logged"] == [60] and result["bot_ups"] > 0 and result["echo_ups"] > 0
    assert len({u["message"]["text"] for u in bench._updates(questions, 60)}) == 60  # every text different


def test_the_query_log_benchmark_writes_everything():
    assert asyncio.run(bench._log_rate(300)) > 0


def test_a_typo_changes_one_word_at_most():
    import random

    text = "как получить индивидуальный номер"
    changed = typo(random.Random(1), text)
    assert sum(a != b for a, b in zip(text.split(), changed.split(), strict=False)) <= 1
