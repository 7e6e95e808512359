"""Property-based tests (hypothesis): whatever people type (any Unicode, nothing, 4,096 characters,
emoji, right-to-left scripts, zero-width characters), the matcher, the moderation command and
duration parsers and the knowledge loader never raise anything but their own documented errors;
the fuzzy look-up equals rapidfuzz's full comparison; split answers stay valid and complete."""

import datetime as dt
import shutil

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from bot.core.fuzzy import FuzzyVocabulary
from bot.core.html_check import telegram_html_problems
from bot.core.knowledge import Knowledge, KnowledgeError, load_knowledge
from bot.core.matcher import Matcher
from bot.core.moderation.commands import parse_target_args
from bot.core.moderation.durations import (
    MAX_DURATION,
    MIN_DURATION,
    DurationError,
    looks_like_duration,
    parse_duration,
    split_duration,
)
from bot.core.split import split_html, visible_units
from tests.support import KNOWLEDGE_DIR
from tests.support.fake_bot_api import parse_html

OUTCOMES = {"answer", "clarify", "none", "smalltalk"}
EMOJI = "😀🙏🇰🇿👍🏽❤️‍🔥👨‍👩‍👧"
RTL = "مرحبا كيف حالك שלום עליכם"
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u202e\u034f"
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"

# what people type: anything at all, and mixtures of the scripts and oddities that reach the bot
anything = st.text(max_size=300)
typed = st.text(
    alphabet=st.sampled_from(
        list(CYRILLIC + "abcdefghijklmnopqrstuvwxyz0123456789 ,.?!-@/#") + list(EMOJI + RTL + INVISIBLE)
    ),
    max_size=200,
)
huge = st.one_of(
    st.text(min_size=4096, max_size=4096, alphabet=st.characters(codec="utf-8")),
    st.builds(lambda w: (w + " ") * (4096 // (len(w) + 1)), st.text(min_size=1, max_size=12)),
)
texts = st.one_of(
    st.just(""), anything, typed, huge, st.sampled_from([EMOJI, RTL, INVISIBLE, " " * 50, "\n\t\r", "иин" + INVISIBLE])
)
SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@SETTINGS
@given(text=texts)
def test_the_matcher_never_raises_and_always_decides(matcher, text):
    match = matcher.match(text)
    assert match.outcome in OUTCOMES
    assert 0.0 <= match.score <= 100.0 + 1e-6
    assert match.language in ("ru", "en", "kk", "uk")
    assert (match.entry_id is not None) == (match.outcome == "answer")
    assert len(match.alternatives) <= 3
    kind, ranking = matcher.rank(text, depth=5)
    assert kind in ("typed", "layout", "translit") and len(ranking) <= 5
    assert [s for _, s, _ in ranking] == sorted((s for _, s, _ in ranking), reverse=True)


@SETTINGS
@given(
    args=st.lists(
        st.one_of(
            texts.filter(lambda t: len(t) < 500),
            st.sampled_from(["@troll_42", "123456", "2d", "30m", "1h30m", "7д", "0m", "99999w"]),
        ),
        max_size=6,
    ),
    target_known=st.booleans(),
    wants_duration=st.booleans(),
)
def test_moderation_command_words_never_raise(args, target_known, wants_duration):
    parsed = parse_target_args([a for a in args], target_known=target_known, wants_duration=wants_duration)
    assert parsed.error in (None, "no_target", "bad_id", "bad_duration")
    if parsed.error is None and not target_known:
        assert parsed.username is not None or parsed.user_id is not None
    if parsed.duration is not None:
        assert MIN_DURATION <= parsed.duration <= MAX_DURATION


@SETTINGS
@given(token=st.one_of(texts, st.from_regex(r"\A\d{1,7}[a-zа-яё]{1,6}(\d{1,3}[a-zа-яё]{1,6})?\Z")))
def test_durations_parse_or_raise_their_own_error_only(token):
    assert isinstance(looks_like_duration(token), bool)
    try:
        duration = parse_duration(token)
    except DurationError:
        return
    assert MIN_DURATION <= duration <= MAX_DURATION
    assert split_duration(duration)


@pytest.fixture(scope="module")
def small_knowledge(tmp_path_factory):
    """topics, synonyms, small talk and the schemas of the real knowledge, and one FAQ file the test writes."""
    folder = tmp_path_factory.mktemp("knowledge")
    for name in (
        "topics.yaml",
        "families.yaml",
        "synonyms.yaml",
        "smalltalk.yaml",
        *(p.name for p in KNOWLEDGE_DIR.glob("*.json")),
    ):
        shutil.copy(KNOWLEDGE_DIR / name, folder / name)
    (folder / "faq").mkdir()
    return folder


def load_or_report(folder):
    try:
        return load_knowledge(folder, today=dt.date(2026, 1, 1))
    except KnowledgeError as exc:
        assert exc.problems and all(":" in str(p) for p in exc.problems)  # file:line: message, one per problem
        return None


@SETTINGS
@given(content=st.one_of(texts.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=400)))
def test_the_loader_reports_any_file_content_as_problems_never_a_crash(small_knowledge, content):
    (small_knowledge / "faq" / "fuzzed.yaml").write_bytes(content)
    load_or_report(small_knowledge)  # a Knowledge or a KnowledgeError listing file:line problems, nothing else


def _yaml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # JSON strings are YAML strings


@SETTINGS
@given(question=texts, phrasing=texts, keyword=texts, answer=texts)
def test_entries_with_any_text_load_or_report_and_what_loads_can_be_matched(
    small_knowledge, question, phrasing, keyword, answer
):
    assume("\x00" not in question + phrasing + keyword + answer)
    phrasings = ", ".join(
        _yaml_string(p) for p in [phrasing, phrasing + " 2", "где получить иин", "иин", "документы", "номер"]
    )
    ru = (
        f"question: {_yaml_string(question)}, phrasings: [{phrasings}], "
        f"keywords: [{_yaml_string(keyword)}], answer: {_yaml_string(answer)}"
    )
    entry = f"""id: fuzzed
family: iin
reviewed: 2025-12-01
sources: [{{title: "t", url: "https://example.org"}}]
text:
  ru: {{{ru}}}
  en: {{question: "How?", phrasings: ["a b", "c d", "e f"], keywords: [], answer: "Fine."}}
  kk: {{question: "Қалай?", phrasings: ["а б", "в г", "д е"], keywords: [], answer: "Жақсы."}}
"""
    (small_knowledge / "faq" / "fuzzed.yaml").write_text(entry, encoding="utf-8")
    knowledge = load_or_report(small_knowledge)
    if knowledge is not None:
        assert isinstance(knowledge, Knowledge)
        matcher = Matcher(knowledge)
        for text in (question, phrasing, keyword, "где получить иин"):
            assert matcher.match(text).outcome in OUTCOMES


words = st.text(alphabet=st.sampled_from(list("абвгдеиклмнопрстabcdeiklmnoprst")), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(vocabulary=st.lists(words, min_size=1, max_size=60, unique=True), word=words, limit=st.integers(1, 4))
def test_the_fuzzy_prefilter_finds_exactly_what_the_full_comparison_finds(vocabulary, word, limit):
    expected = process.extract(word, vocabulary, scorer=fuzz.ratio, score_cutoff=80.0, limit=limit)
    prefiltered = FuzzyVocabulary(vocabulary, 80.0, small=0)
    assert prefiltered.extract(word, limit) == expected
    assert prefiltered.possible(word) or not expected  # ruled out only when nothing is close
    assert FuzzyVocabulary(vocabulary, 80.0).extract(word, limit) == expected  # small: compared in full


fragment = st.one_of(
    st.lists(st.sampled_from([*CYRILLIC, *"abc ", "\n", "\n\n", "😀", "&amp;", "&lt;"]), min_size=1, max_size=80).map(
        "".join
    ),
    st.builds(
        lambda tag, inner: f"<{tag}>{inner}</{tag}>",
        st.sampled_from(["b", "i", "u", "code", "s"]),
        st.text(alphabet=st.sampled_from([*CYRILLIC, " ", "\n"]), min_size=1, max_size=60),
    ),
    st.builds(
        lambda inner: f'<a href="https://example.org/x">{inner}</a>',
        st.text(alphabet=st.sampled_from(list("ссылка ")), min_size=1, max_size=60),
    ),
)


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(fragment, min_size=1, max_size=60), limit=st.integers(20, 400))
def test_split_answers_are_valid_within_the_limit_and_complete(parts, limit):
    text = "".join(parts)
    assume(not telegram_html_problems(text) and parse_html(text)[1].strip())
    pieces = split_html(text, limit)
    assert pieces
    for piece in pieces:
        assert not telegram_html_problems(piece)
        assert visible_units(piece) <= limit
    original = "".join(parse_html(text)[1].split())
    assert "".join("".join(parse_html(p)[1].split()) for p in pieces) == original  # only whitespace at the cuts goes


@SETTINGS
@given(data=st.one_of(texts, st.from_regex(r"\A(fb|t|e|lang|menu|mod:anon)(:[0-9a-fA-Fx]{0,17}){0,4}\Z")))
def test_callback_data_is_read_strictly_and_never_raises(data):
    """Issue 11, item 3: whatever a client sends as callback data, the parser answers a press or None."""
    from bot import render

    press = render.parse_callback(data)
    if press is not None:  # only what the bot itself writes: it writes the same data back
        parts = {
            render.FEEDBACK: lambda p: [p.value, "1" if p.helpful else "0"] + ([str(p.asker)] if p.asker else []),
            render.MENU: lambda p: [],
        }.get(press.kind, lambda p: [p.value])(press)
        assert render.callback(press.kind, *parts) == data
