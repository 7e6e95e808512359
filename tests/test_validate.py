"""`python -m bot validate` on one broken copy of the knowledge per kind of problem: each is reported as
`file:line: message` at the line a maintainer has to fix, errors exit 1, warnings alone exit 0 (1 with --strict)."""

import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.core.html_check import visible_length
from tests.support import KNOWLEDGE_DIR
from tests.support.knowledge_files import alias_bomb, append_top_level, edit, line_of


def drop_block(path: Path, start: str, end: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index(start)] + text[text.index(end) :], encoding="utf-8")


# Each case: (edit the copy in `k`, return the expected "file:line: message" start).
WORK = "faq/work/work.yaml"
HOUSING = "faq/housing/housing.yaml"
LANGUAGE = "faq/language/language.yaml"


def yaml_syntax(k):
    edit(k / WORK, "family: work", "family: work: jobs")
    return f"knowledge/{WORK}:{line_of(k / WORK, 'family: work')}: YAML syntax error"


def unknown_field(k):
    edit(k / WORK, "family: work", "famly: work")
    return f"knowledge/{WORK}:{line_of(k / WORK, 'famly:')}: entry: unknown field 'famly'"


def missing_field(k):
    edit(k / WORK, "reviewed: 2026-12-06\n", "")
    return f"knowledge/{WORK}:{line_of(k / WORK, 'id: work')}: entry: missing field 'reviewed'"


def duplicate_id(k):
    shutil.copy(k / WORK, k / "faq/work/work2.yaml")  # read after work.yaml
    line = line_of(k / "faq/work/work2.yaml", "id: work")
    return f"knowledge/faq/work/work2.yaml:{line}: duplicate id 'work', also in knowledge/{WORK}"


def unknown_related(k):
    edit(k / HOUSING, "related: [", "related: [no-such-entry, ")
    return f"knowledge/{HOUSING}:{line_of(k / HOUSING, 'related:')}: unknown related id 'no-such-entry'"


def unknown_family(k):
    edit(k / HOUSING, "family: housing", "family: nowhere")
    return (
        f"knowledge/{HOUSING}:{line_of(k / HOUSING, 'family:')}: entry: unknown family 'nowhere' "
        "(families.yaml lists them)"
    )


def missing_language(k):
    drop_block(k / "faq/shelter/shelter.yaml", "\n  en:", "\n  kk:")
    line = line_of(k / "faq/shelter/shelter.yaml", "  ru:")
    return f"knowledge/faq/shelter/shelter.yaml:{line}: text: missing field 'en'"


def empty_answer(k):
    path = k / LANGUAGE
    text = path.read_text(encoding="utf-8")
    start = text.index("    answer: |", text.index("\n  en:"))
    path.write_text(text[:start] + '    answer: ""' + text[text.index("\n  kk:") :], encoding="utf-8")
    line = line_of(path, 'answer: ""')
    return f"knowledge/{LANGUAGE}:{line}: text.en: 'answer' must be a non-empty text"


def long_answer(k):
    path = k / "faq/iin/iin.yaml"
    edit(path, "answer: |\n", "answer: |\n      " + "очень длинно " * 60 + "\n")
    length = visible_length(yaml.safe_load(path.read_text(encoding="utf-8"))["text"]["ru"]["answer"].strip())
    return (
        f"knowledge/faq/iin/iin.yaml:{line_of(path, 'answer: |')}: text.ru.answer: {length} characters; "
        "an overview answer has at most 700 (the rest belongs in related entries)"
    )


def bad_html(k):
    edit(k / LANGUAGE, "answer: |\n", "answer: |\n      <div>broken</div>\n")
    line = line_of(k / LANGUAGE, "answer: |")
    return f"knowledge/{LANGUAGE}:{line}: text.ru.answer: tag <div> is not supported by Telegram"


def collision(k):  # another entry's question, word for word, among the work overview's phrasings
    edit(k / WORK, "    phrasings:\n", '    phrasings:\n      - "Где получить ИИН?"\n')
    line = line_of(k / WORK, "Где получить ИИН?")
    return f"knowledge/{WORK}:{line}: collision: ru phrasing 'Где получить ИИН?' is answered with 'iin-where'"


def blocked_word_star(k):
    edit(k / "blocked_words.yaml", "  - хач\n", "  - хач\n  - ха*ч\n")
    line = line_of(k / "blocked_words.yaml", "ха*ч")
    return f"knowledge/blocked_words.yaml:{line}: ru: 'ха*ч': '*' is allowed once, at the end"


def blocked_word_language(k):
    edit(k / "blocked_words.yaml", "\nen:", "\nde:")
    line = line_of(k / "blocked_words.yaml", "de:")
    return f"knowledge/blocked_words.yaml:{line}: blocked_words: unknown field 'de'; use ru, en, kk"


def offtopic_language(k):
    edit(k / "offtopic.yaml", "\n  en:", "\n  fr:")
    line = line_of(k / "offtopic.yaml", "  fr:")
    return f"knowledge/offtopic.yaml:{line}: phrasings: unknown field 'fr'; use ru, en, kk"


def _offtopic_collision(k, russian_list: str):
    """An entry's own question added to one of offtopic.yaml's Russian lists: it is still answered."""
    edit(k / "offtopic.yaml", russian_list, russian_list + '    - "где получить иин"\n')
    line = line_of(k / "offtopic.yaml", "где получить иин")
    return (
        f"knowledge/offtopic.yaml:{line}: collision: off-topic ru phrasing 'где получить иин' "
        "is answered with 'iin-where'"
    )


def offtopic_collision(k):
    return _offtopic_collision(k, "  ru:\n")


def neighbour_language(k):
    edit(k / "offtopic.yaml", "\nneighbours:\n  ru:", "\nneighbours:\n  de:")
    line = line_of(k / "offtopic.yaml", "  de:")
    return f"knowledge/offtopic.yaml:{line}: neighbours: unknown field 'de'; use ru, en, kk"


def neighbour_collision(k):
    return _offtopic_collision(k, "\nneighbours:\n  ru:\n")


def abroad_two_words(k):
    edit(k / "offtopic.yaml", "\nabroad:\n", "\nabroad:\n  - Новая Зеландия\n")
    line = line_of(k / "offtopic.yaml", "Новая Зеландия")
    return f"knowledge/offtopic.yaml:{line}: abroad[0]: must be one word: a place's name in any language"


def uncovered_two_words(k):
    edit(k / "offtopic.yaml", "\nuncovered:\n", "\nuncovered:\n  - кредитная карта\n")
    line = line_of(k / "offtopic.yaml", "кредитная карта")
    return f"knowledge/offtopic.yaml:{line}: uncovered[0]: must be one word: a subject's name in any language"


def phrasing_left_out(k):  # a word added to `uncovered` that an entry's phrasing is asked with
    edit(k / "offtopic.yaml", "\nuncovered:\n", "\nuncovered:\n  - сдадут\n")
    path = "faq/housing/housing-rent-without-iin.yaml"
    line = line_of(k / path, "сдадут ли квартиру без иин")
    phrasing = "ru phrasing 'сдадут ли квартиру без иин'"
    return f"knowledge/{path}:{line}: collision: {phrasing} names what offtopic.yaml leaves out"


def pair_without_second(k):
    edit(k / "offtopic.yaml", "\n    second:\n", "\n    seconds:\n")
    line = line_of(k / "offtopic.yaml", "    seconds:")
    return f"knowledge/offtopic.yaml:{line}: pairs[0]: unknown field 'seconds'; use about, unless, first, second"


ERRORS = [
    yaml_syntax,
    unknown_field,
    missing_field,
    duplicate_id,
    unknown_related,
    unknown_family,
    missing_language,
    empty_answer,
    long_answer,
    bad_html,
    collision,
    blocked_word_star,
    blocked_word_language,
    offtopic_language,
    offtopic_collision,
    neighbour_language,
    neighbour_collision,
    abroad_two_words,
    uncovered_two_words,
    pair_without_second,
    phrasing_left_out,
]


def validate(directory: Path, capsys, *extra: str) -> tuple[int, list[str]]:
    code = main(["--knowledge", str(directory), "validate", *extra])
    return code, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("case", ERRORS, ids=lambda case: case.__name__)
def test_each_kind_of_error_is_reported_at_its_line_and_exits_1(case, knowledge_copy, capsys):
    expected = case(knowledge_copy)
    code, lines = validate(knowledge_copy, capsys)
    assert code == 1
    assert any(line.startswith(expected) for line in lines), (expected, lines)


def test_an_expired_offer_and_an_old_review_are_warnings_that_fail_only_with_strict(knowledge_copy, capsys):
    path = knowledge_copy / "faq/shelter/shelter.yaml"
    edit(path, "reviewed: 2026-12-06", "reviewed: 2024-01-15\nvalid_until: 2022-04-25")
    code, lines = validate(knowledge_copy, capsys)
    assert code == 0
    assert (
        f"knowledge/faq/shelter/shelter.yaml:{line_of(path, 'valid_until')}: warning: entry: "
        "the offer ended on 2022-04-25; it is shown as ended" in lines
    )
    assert any(
        line.startswith(
            f"knowledge/faq/shelter/shelter.yaml:{line_of(path, 'reviewed')}: warning: entry: reviewed 2024-01-15"
        )
        for line in lines
    )
    code, _ = validate(knowledge_copy, capsys, "--strict")
    assert code == 1


def test_the_shipped_knowledge_is_clean(capsys):
    code, lines = validate(KNOWLEDGE_DIR, capsys)
    assert (code, lines) == (0, [])


def test_every_knowledge_file_names_the_schema_that_defines_it_for_editors():
    from bot.core.knowledge import SCHEMA_FILES

    named = {path: f"../../{SCHEMA_FILES['faq']}" for path in (KNOWLEDGE_DIR / "faq").rglob("*.yaml")}
    named.update({KNOWLEDGE_DIR / name: schema for name, schema in SCHEMA_FILES.items() if name != "faq"})
    for path, schema in named.items():
        assert path.read_text(encoding="utf-8").splitlines()[0] == f"# yaml-language-server: $schema={schema}", path


BROKEN_SCHEMAS = [  # (schema file, old, new, the line's needle, the message expected there)
    (
        "schema.json",
        '"type": "object",\n  "additionalProperties"',
        '"type": "object"\n  "additionalProperties"',
        '"additionalProperties": false,',
        "JSON syntax error: Expecting ',' delimiter",
    ),
    (
        "schema.json",
        '"sources": {\n      "type": "array", "minItems": 1,',
        '"sources": {\n      "type": "array", "minItems": -1,',
        '"minItems": -1',
        "not a valid JSON Schema (Draft 2020-12): properties/sources/minItems: -1 is less than the minimum of 0",
    ),
    (
        "topics.schema.json",
        '"schema.json#/$defs/menu_title"',
        '"schema.json#/$defs/menu_titles"',
        "menu_titles",
        "$ref 'schema.json#/$defs/menu_titles' leads nowhere",
    ),
    (
        "families.schema.json",
        "draft/2020-12/schema",
        "draft-07/schema#",
        "draft-07",
        "'$schema' must be https://json-schema.org/draft/2020-12/schema",
    ),
]


@pytest.mark.parametrize("name, old, new, needle, message", BROKEN_SCHEMAS, ids=[c[4][:30] for c in BROKEN_SCHEMAS])
def test_a_broken_schema_is_reported_at_its_line_and_no_file_is_judged_by_it(
    name, old, new, needle, message, knowledge_copy, capsys
):
    path = knowledge_copy / name
    edit(path, old, new)
    code, lines = validate(knowledge_copy, capsys)
    assert code == 1
    assert lines == [f"knowledge/{name}:{line_of(path, needle)}: {message}"]


def test_a_recursive_schema_still_checks_its_file(knowledge_copy):
    """A $ref that leads back to itself cannot be inlined: the file is checked through the $ref instead."""
    from bot.core.knowledge import KnowledgeError, load_knowledge

    path = knowledge_copy / "offtopic.schema.json"
    edit(
        path,
        '"properties": {"ru": {"$ref": "schema.json#/$defs/words"}',
        '"properties": {"ru": {"$ref": "#/$defs/nested"}',
    )
    edit(
        path,
        '  "$defs": {\n',
        '  "$defs": {\n'
        '    "nested": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/nested"}]}},\n',
    )
    assert load_knowledge(knowledge_copy).offtopic["ru"]
    edit(knowledge_copy / "offtopic.yaml", "  ru:\n", "  ru:\n    - 5\n")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(knowledge_copy)
    line = line_of(knowledge_copy / "offtopic.yaml", "- 5")
    assert [str(p) for p in error.value.problems if p.severity == "error"] == [
        f"knowledge/offtopic.yaml:{line}: phrasings.ru[0]: 5 is not valid under any of the given schemas"
    ]


# --- issue 11: hostile or oversized knowledge files ---------------------------------------------------

EVERY_FILE = [
    "topics.yaml",
    "families.yaml",
    "synonyms.yaml",
    "smalltalk.yaml",
    "offtopic.yaml",
    "blocked_words.yaml",
    "faq/iin/iin.yaml",
]


def lone_alias(path: Path) -> int:
    append_top_level(path, "anchor", "&name some text")
    return append_top_level(path, "alias", "*name") - 1  # the anchor's line is reported first


@pytest.mark.parametrize("trick", [alias_bomb, lone_alias])
@pytest.mark.parametrize("name", EVERY_FILE)
def test_anchors_and_aliases_are_refused_in_every_knowledge_file_with_file_and_line(
    name, trick, knowledge_copy, capsys
):
    line = trick(knowledge_copy / name)
    code, lines = validate(knowledge_copy, capsys)
    assert code == 1
    assert f"knowledge/{name}:{line}: YAML: anchors and aliases (& and *) are not allowed" in lines, lines


@pytest.mark.parametrize("name", EVERY_FILE)
def test_a_complex_key_is_a_file_and_line_error_not_a_traceback(name, knowledge_copy, capsys):
    path = knowledge_copy / name
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    if isinstance(yaml.safe_load(text), list):
        path.write_text(text + "- {? [a, b] : c}\n", encoding="utf-8")
    else:
        path.write_text(text + "? [a, b]\n: c\n", encoding="utf-8")
    code, lines = validate(knowledge_copy, capsys)
    assert code == 1
    assert f"knowledge/{name}:{len(text.splitlines()) + 1}: YAML: a key must be a plain text or number" in lines, lines


WRONG_TYPES = [  # (file, old, new, the message expected at that line)
    ("synonyms.yaml", "groups:\n", "groups: 5\nx:\n", "synonyms: 'groups' must be a list of groups"),
    ("smalltalk.yaml", "intents:\n", "intents: 5\nx:\n", "smalltalk: 'intents' must be a list of intents"),
    ("smalltalk.yaml", "  - id: greeting", "  - id: [greeting]", "intents[0]: 'id' must be a non-empty text"),
    ("smalltalk.yaml", "ru: [привет,", "ru: [{a: b}, привет,", "intents[0].patterns.ru[0]: must be a non-empty text"),
    (
        "smalltalk.yaml",
        "ru: [привет,",
        "xx: [привет,",
        "intents[0].patterns: unknown field 'xx'; use ru, en, kk, uk, be",
    ),
    (
        "offtopic.yaml",
        "phrasings:\n",
        "phrasings: [a, b]\nx:\n",
        "offtopic: 'phrasings' must map ru, en, kk, uk to lists of texts",
    ),
    ("topics.yaml", "- id: documents", "- id: {a: b}", "topics[0]: 'id' must be a non-empty text"),
    ("blocked_words.yaml", "ru:\n", "ru: {a: b}\nx:\n", "blocked_words: 'ru' must be a list of words or phrases"),
    ("faq/iin/iin.yaml", "id: iin", "id: !!binary aWlu", "entry: 'id' must be lowercase letters, digits and '-'"),
    ("faq/iin/iin.yaml", "reviewed: 2026-12-06", "reviewed: !!set {a, b}", "entry: 'reviewed' must be a date"),
    (
        "faq/iin/iin.yaml",
        "reviewed: 2026-12-06",
        "reviewed: 2026-13-06",
        "entry: 'reviewed' must be a date like 2026-11-22",
    ),
    ("faq/iin/iin.yaml", "    url: https://", "    url: http://", "sources[0]: 'url' must start with https://"),
    ("families.yaml", "- id: iin", "- id: IIN", "families[1]: 'id' must be lowercase letters, digits and '-'"),
    ("synonyms.yaml", "  - [виза, visa]", "  - [виза]", "groups[7]: must be a list of at least two texts"),
]


@pytest.mark.parametrize("name, old, new, message", WRONG_TYPES, ids=[f"{c[0]}:{c[3][:30]}" for c in WRONG_TYPES])
def test_every_value_is_type_checked_before_use(name, old, new, message, knowledge_copy, capsys):
    path = knowledge_copy / name
    edit(path, old, new)
    line = line_of(path, new.splitlines()[0])
    code, lines = validate(knowledge_copy, capsys)
    assert code == 1
    assert any(entry.startswith(f"knowledge/{name}:{line}: {message}") for entry in lines), lines


@pytest.mark.parametrize("name", EVERY_FILE)
def test_a_file_beyond_the_size_limit_is_refused_before_it_is_parsed(name, knowledge_copy, capsys):
    from bot.core.knowledge import MAX_FILE_BYTES

    path = knowledge_copy / name
    with path.open("a", encoding="utf-8") as handle:  # comments only: valid YAML, nothing for the matcher
        while handle.tell() <= MAX_FILE_BYTES:
            handle.write("# " + "x" * 1000 + "\n")
    code, lines = validate(knowledge_copy, capsys)
    assert code == 1
    assert (
        f"knowledge/{name}:1: cannot read the file: the file is larger than {MAX_FILE_BYTES // 1024} KB, "
        "the limit for one knowledge file" in lines
    ), lines


def test_files_together_beyond_the_total_limit_are_refused_before_any_is_parsed(knowledge_copy, capsys):
    from bot.core.knowledge import MAX_FILE_BYTES, MAX_TOTAL_BYTES

    source = (knowledge_copy / "faq/iin/iin.yaml").read_text(encoding="utf-8")
    padding = ("# " + "x" * 1000 + "\n") * ((MAX_FILE_BYTES - len(source.encode())) // 1004)
    for n in range(MAX_TOTAL_BYTES // MAX_FILE_BYTES + 1):  # every file within its own limit
        (knowledge_copy / f"faq/copy-{n}.yaml").write_text(
            source.replace("id: iin", f"id: copy-{n}") + padding, encoding="utf-8"
        )
    code, lines = validate(knowledge_copy, capsys)
    assert code == 1
    total = sum(p.stat().st_size for p in knowledge_copy.rglob("*.yaml"))
    assert [line.split(": ", 1)[1] for line in lines if "together" in line] == [
        f"the knowledge files together take {total // 1024} KB; the limit is {MAX_TOTAL_BYTES // 1024} KB"
    ]
    assert not any("collision" in line for line in lines)


def test_the_collision_check_matches_each_distinct_phrasing_once(knowledge, monkeypatch):
    """A file of one phrasing repeated costs one look-up, not one per line."""
    import dataclasses

    from bot.core import collisions
    from bot.core.matcher import Matcher

    entry = knowledge.entries["iin"]
    ru = dataclasses.replace(entry.texts["ru"], phrasings=entry.texts["ru"].phrasings * 50)
    repeated = dataclasses.replace(
        knowledge,
        entries={**knowledge.entries, "iin": dataclasses.replace(entry, texts={**entry.texts, "ru": ru})},
        offtopic={lang: p * 20 for lang, p in knowledge.offtopic.items()},
    )
    matcher = Matcher(repeated)
    matched = []
    real_match = matcher._match
    monkeypatch.setattr(matcher, "_match", lambda text, follows: matched.append(text) or real_match(text, follows))
    collisions.find_collisions(repeated, matcher)
    assert matched and len(matched) == len(set(matched))


def test_symbolic_links_are_not_followed_out_of_the_knowledge_folder(knowledge_copy, tmp_path, capsys):
    from bot.core.knowledge import load_knowledge

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "leak.yaml").write_text(
        (knowledge_copy / "faq/iin/iin.yaml").read_text(encoding="utf-8").replace("id: iin", "id: leak"),
        encoding="utf-8",
    )
    (outside / "sub").mkdir()
    (outside / "sub" / "deep.yaml").write_text("", encoding="utf-8")
    (knowledge_copy / "faq/leak.yaml").symlink_to(outside / "leak.yaml")  # a linked file
    (knowledge_copy / "faq/inner.yaml").symlink_to(knowledge_copy / "faq/iin/iin.yaml")  # a link, even inside
    knowledge = load_knowledge(knowledge_copy)
    assert "leak" not in knowledge.entries and "inner" not in knowledge.entries
    skipped = {str(p) for p in knowledge.warnings if "not read" in p.message}
    assert skipped == {
        "knowledge/faq/leak.yaml:1: warning: a symbolic link or outside the knowledge folder: not read",
        "knowledge/faq/inner.yaml:1: warning: a symbolic link or outside the knowledge folder: not read",
    }

    for name in ("topics.yaml", "blocked_words.yaml"):  # a named file that is a link is an error
        (outside / name).write_text((knowledge_copy / name).read_text(encoding="utf-8"), encoding="utf-8")
        (knowledge_copy / name).unlink()
        (knowledge_copy / name).symlink_to(outside / name)
    code, lines = validate(knowledge_copy, capsys)
    assert code == 1
    assert any(line.startswith("knowledge/topics.yaml:1: ") and "not read" in line for line in lines), lines
    assert any(line.startswith("knowledge/blocked_words.yaml:1: ") and "not read" in line for line in lines), lines
