"""The large index (candidates read row by row, its largest entries by n-gram) scores the entries it returns exactly as
the small one scores every entry: a FAQ that grows changes speed, not answers."""

from collections import Counter

import pytest

from bot.core.index import Index, Limits, ngrams
from bot.core.text import normalise

QUESTIONS = [
    "где получить иин в алматы",
    "можно ли открыть карту без вида на жительство",
    "сколько дней можно жить в казахстане",
    "how do I register a sim card",
    "где купить машину в кредит",  # close to the off-topic entry's neighbours
    "рецепт борща",
]


def _build(knowledge, limits: Limits) -> Index:
    entries = sorted(knowledge.entries)
    docs = [
        (number, lang, ngrams(normalise(phrasing).split()))
        for number, entry_id in enumerate(entries)
        for lang, text in sorted(knowledge.entries[entry_id].texts.items())
        for phrasing in (text.question, *text.phrasings)
    ]
    return Index(docs, len(entries), {}, limits=limits)


def _top(index: Index, question: str, depth: int | None) -> list[tuple[int, float, str]]:
    known, unknown = Counter(), Counter()
    for word in normalise(question).split():
        ids, others = index.encode(ngrams([word]))
        known.update(ids)
        unknown.update(others)
    return index.query(known, unknown, []).top(depth) or []


@pytest.fixture(scope="module")
def small_and_large(knowledge):
    large = _build(knowledge, Limits(dense_docs=0, posted_rows=2000, candidates=8))
    assert not large.dense and large.postings, "some entries are read by n-gram"
    return _build(knowledge, Limits()), large


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_large_index_scores_every_entry_as_the_small_one_does(small_and_large, question):
    small, large = small_and_large
    exact = {e: (score, lang) for e, score, lang in _top(small, question, None)}
    read = _top(large, question, None)
    assert read and len(read) == len(exact)
    for entry, score, lang in read:
        assert score == pytest.approx(exact[entry][0], abs=1e-9) and lang == exact[entry][1]


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_large_index_finds_the_small_ones_best_entry(small_and_large, question):
    small, large = small_and_large
    assert _top(large, question, 5)[0][0] == _top(small, question, 5)[0][0]
