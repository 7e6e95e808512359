"""`python -m bot validate` on one broken copy of the knowledge per kind of problem: each is reported as
`file:line: message` at the line a maintainer has to fix, errors exit 1, warnings alone exit 0 (1 with --strict)."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.core.html_check import visible_length
from tests.conftest import KNOWLEDGE_DIR


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """The 1-based line of the first `needle` (after the first `after`, when given)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines[start:], start + 1) if needle in line)


def drop_block(path: Path, start: str, end: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index(start)] + text[text.index(end):], encoding="utf-8")


# Each case: (edit the copy in `k`, return the expected "file:line: message" start).
def yaml_syntax(k):
    edit(k / "faq/work.yaml", "topic: work", "topic: work: jobs")
    return f"knowledge/faq/work.yaml:{line_of(k / 'faq/work.yaml', 'topic: work')}: YAML syntax error"


def unknown_field(k):
    edit(k / "faq/work.yaml", "topic: work", "topik: work")
    return f"knowledge/faq/work.yaml:{line_of(k / 'faq/work.yaml', 'topik:')}: entry: unknown field 'topik'"


def missing_field(k):
    edit(k / "faq/work.yaml", "reviewed: 2026-11-22\n", "")
    return f"knowledge/faq/work.yaml:{line_of(k / 'faq/work.yaml', 'id: work')}: entry: missing field 'reviewed'"


def duplicate_id(k):
    shutil.copy(k / "faq/work.yaml", k / "faq/work2.yaml")  # read after work.yaml
    line = line_of(k / "faq/work2.yaml", "id: work")
    return f"knowledge/faq/work2.yaml:{line}: duplicate id 'work', also in knowledge/faq/work.yaml"


def unknown_related(k):
    edit(k / "faq/housing.yaml", "related: [", "related: [no-such-entry, ")
    return f"knowledge/faq/housing.yaml:{line_of(k / 'faq/housing.yaml', 'related:')}: unknown related id 'no-such-entry'"


def unknown_topic(k):
    edit(k / "faq/housing.yaml", "topic: housing", "topic: nowhere")
    return f"knowledge/faq/housing.yaml:{line_of(k / 'faq/housing.yaml', 'topic:')}: unknown topic 'nowhere'"


def missing_language(k):
    drop_block(k / "faq/shelter.yaml", "\n  en:", "\n  kk:")
    return f"knowledge/faq/shelter.yaml:{line_of(k / 'faq/shelter.yaml', '  ru:')}: text: missing field 'en'"


def empty_answer(k):
    path = k / "faq/language.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    answer: |", text.index("\n  en:"))
    path.write_text(text[:start] + '    answer: ""' + text[text.index("\n  kk:"):], encoding="utf-8")
    line = line_of(path, 'answer: ""')
    return f"knowledge/faq/language.yaml:{line}: text.en: 'answer' must be a non-empty text"


def long_answer(k):
    path = k / "faq/iin.yaml"
    edit(path, "answer: |\n", "answer: |\n      " + "очень длинно " * 400 + "\n")
    length = visible_length(yaml.safe_load(path.read_text(encoding="utf-8"))["text"]["ru"]["answer"].strip())
    return f"knowledge/faq/iin.yaml:{line_of(path, 'answer: |')}: text.ru.answer: {length} characters; keep answers under 3000"


def bad_html(k):
    edit(k / "faq/language.yaml", "answer: |\n", "answer: |\n      <div>broken</div>\n")
    line = line_of(k / "faq/language.yaml", "answer: |")
    return f"knowledge/faq/language.yaml:{line}: text.ru.answer: tag <div> is not supported by Telegram"


def collision(k):
    edit(k / "faq/work.yaml", "    phrasings:\n", '    phrasings:\n      - "где получить иин"\n')
    line = line_of(k / "faq/work.yaml", "где получить иин")
    return f"knowledge/faq/work.yaml:{line}: collision: ru phrasing 'где получить иин' matches 'iin'"


def blocked_word_star(k):
    edit(k / "blocked_words.yaml", "  - хач\n", "  - хач\n  - ха*ч\n")
    line = line_of(k / "blocked_words.yaml", "ха*ч")
    return f"knowledge/blocked_words.yaml:{line}: ru: 'ха*ч': '*' is allowed once, at the end"


def blocked_word_language(k):
    edit(k / "blocked_words.yaml", "\nen:", "\nde:")
    return f"knowledge/blocked_words.yaml:{line_of(k / 'blocked_words.yaml', 'de:')}: unknown language 'de'; use ru, en, kk"


def offtopic_language(k):
    edit(k / "offtopic.yaml", "\n  en:", "\n  fr:")
    line = line_of(k / "offtopic.yaml", "phrasings:")
    return f"knowledge/offtopic.yaml:{line}: offtopic: 'phrasings' maps ru, en, kk to lists of texts"


def offtopic_collision(k):
    edit(k / "offtopic.yaml", "  ru:\n", '  ru:\n    - "где получить иин"\n')
    line = line_of(k / "offtopic.yaml", "где получить иин")
    return f"knowledge/offtopic.yaml:{line}: collision: off-topic ru phrasing 'где получить иин' matches 'iin'"


ERRORS = [yaml_syntax, unknown_field, missing_field, duplicate_id, unknown_related, unknown_topic, missing_language,
          empty_answer, long_answer, bad_html, collision, blocked_word_star, blocked_word_language, offtopic_language,
          offtopic_collision]


def validate(directory: Path, capsys, *extra: str) -> tuple[int, list[str]]:
    code = main(["--knowledge", str(directory), "validate", *extra])
    return code, capsys.readouterr().out.splitlines()


@pytest.fixture
def knowledge_copy(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


@pytest.mark.parametrize("case", ERRORS, ids=lambda case: case.__name__)
def test_each_kind_of_error_is_reported_at_its_line_and_exits_1(case, knowledge_copy, capsys):
    expected = case(knowledge_copy)
    code, lines = validate(knowledge_copy, capsys)
    assert code == 1
    assert any(line.startswith(expected) for line in lines), (expected, lines)


def test_an_expired_offer_and_an_old_review_are_warnings_that_fail_only_with_strict(knowledge_copy, capsys):
    path = knowledge_copy / "faq/shelter.yaml"
    edit(path, "reviewed: 2026-11-22", "reviewed: 2024-01-15\nvalid_until: 2022-04-25")
    code, lines = validate(knowledge_copy, capsys)
    assert code == 0
    assert f"knowledge/faq/shelter.yaml:{line_of(path, 'valid_until')}: warning: entry: the offer ended on 2022-04-25; it is shown as ended" in lines
    assert any(line.startswith(f"knowledge/faq/shelter.yaml:{line_of(path, 'reviewed')}: warning: entry: reviewed 2024-01-15")
               for line in lines)
    code, _ = validate(knowledge_copy, capsys, "--strict")
    assert code == 1


def test_the_shipped_knowledge_is_clean(capsys):
    code, lines = validate(KNOWLEDGE_DIR, capsys)
    assert (code, lines) == (0, [])


def test_the_json_schema_editors_complete_from_says_what_the_validator_checks():
    from bot.core import knowledge as k

    schema = json.loads((KNOWLEDGE_DIR / "schema.json").read_text(encoding="utf-8"))
    assert set(schema["required"]) == k._ENTRY_FIELDS
    assert set(schema["properties"]) == k._ENTRY_FIELDS | k._ENTRY_OPTIONAL
    text = schema["properties"]["text"]
    assert set(text["required"]) == set(k.REQUIRED_LANGUAGES) and set(text["properties"]) == set(k.LANGUAGES)
    partial, complete = schema["$defs"]["partial"], schema["$defs"]["complete"]
    assert set(partial["required"]) == {"question", "phrasings", "keywords"} and "answer" in partial["properties"]
    assert set(complete["required"]) == set(partial["required"]) | {"answer"}
    assert text["properties"]["ru"]["properties"]["phrasings"]["minItems"] == k._MIN_PHRASINGS["ru"]
    assert complete["properties"]["phrasings"]["minItems"] == k._MIN_PHRASINGS["en"]
    assert partial["properties"]["phrasings"]["minItems"] == k._MIN_PHRASINGS["kk"]
    source = schema["properties"]["sources"]["items"]
    assert set(source["required"]) == {"title"} and set(source["properties"]) == {"title", "url", "seed"}
    for path in (KNOWLEDGE_DIR / "faq").glob("*.yaml"):
        assert path.read_text(encoding="utf-8").splitlines()[0] == "# yaml-language-server: $schema=../schema.json", path
