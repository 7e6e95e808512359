import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from bot.core.collisions import find_collisions
from bot.core.knowledge import KnowledgeError, load_knowledge
from tests.conftest import KNOWLEDGE_DIR

SHARED_TOPICS = Path(__file__).resolve().parents[2] / "shared" / "topics.yaml"
REQUIRED_IDS = {"iin", "bank-account", "visa-free-entry", "shelter", "housing", "work", "business",
                "creative-community", "relocation-chat", "language", "choosing-city", "local-attitudes"}


def test_every_required_topic_has_a_complete_entry(knowledge):
    assert REQUIRED_IDS <= set(knowledge.entries)
    if SHARED_TOPICS.exists():
        # read the ids line by line: that file's prose is not always valid YAML
        ids = set(re.findall(r"^- id: (\S+)", SHARED_TOPICS.read_text(), flags=re.M))
        assert ids and ids <= set(knowledge.entries)
    for entry in knowledge.entries.values():
        assert entry.texts["ru"].answer and entry.texts["en"].answer
        assert len(entry.texts["ru"].phrasings) >= 6
        assert "kk" in entry.texts and entry.texts["kk"].phrasings
        assert entry.sources and entry.reviewed <= dt.date.today()
        assert all(r in knowledge.entries for r in entry.related)


def test_answers_never_promise_what_the_facts_reference_forbids(knowledge):
    for entry in knowledge.entries.values():
        for text in entry.texts.values():
            answer = (text.answer or "").lower()
            assert "+7" not in answer, entry.id  # no invented phone numbers
            assert "t.me/" not in answer, entry.id  # no chat links
    shelter = knowledge.entries["shelter"].texts["ru"].answer
    assert "2022" in shelter  # past, dated offers only


def test_the_shipped_knowledge_has_no_collisions(knowledge, matcher):
    assert find_collisions(knowledge, matcher) == []


def copy_knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def problems_for(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(directory)
    return [str(p) for p in error.value.problems if p.severity == "error"]


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_yaml_syntax_error_is_reported_with_file_and_line(tmp_path):
    directory = copy_knowledge(tmp_path)
    path = directory / "faq" / "iin.yaml"
    edit(path, "topic: documents", "topic: [documents")
    (problem,) = problems_for(directory)  # and no knock-on "unknown related id 'iin'" from other files
    assert problem.startswith("knowledge/faq/iin.yaml:")
    assert "YAML syntax error" in problem


def test_unknown_and_missing_fields_are_reported(tmp_path):
    directory = copy_knowledge(tmp_path)
    path = directory / "faq" / "work.yaml"
    edit(path, "topic: work", "topik: work")
    problems = problems_for(directory)
    line = line_of(path, "topik:")
    assert f"knowledge/faq/work.yaml:{line}: entry: unknown field 'topik'" in problems
    assert any("missing field 'topic'" in p for p in problems)


def test_duplicate_ids_unknown_related_and_bad_html_are_reported(tmp_path):
    directory = copy_knowledge(tmp_path)
    shutil.copy(directory / "faq" / "work.yaml", directory / "faq" / "work-copy.yaml")
    edit(directory / "faq" / "housing.yaml", "related: [", "related: [no-such-entry, ")
    edit(directory / "faq" / "language.yaml", "answer: |\n", "answer: |\n      <div>broken</div>\n")
    problems = "\n".join(problems_for(directory))
    assert "work-copy.yaml" in problems and "differs from the file name" in problems
    assert "housing.yaml" in problems and "unknown related id 'no-such-entry'" in problems
    assert "language.yaml" in problems and "tag <div> is not supported" in problems


def test_missing_language_and_empty_answer_are_reported(tmp_path):
    directory = copy_knowledge(tmp_path)
    path = directory / "faq" / "shelter.yaml"
    data = path.read_text(encoding="utf-8")
    en_start = data.index("\n  en:")
    kk_start = data.index("\n  kk:") if "\n  kk:" in data else len(data)
    path.write_text(data[:en_start] + data[kk_start:], encoding="utf-8")
    problems = problems_for(directory)
    assert any(p.startswith("knowledge/faq/shelter.yaml:") and "missing field 'en'" in p for p in problems)


def test_an_over_long_answer_is_refused(tmp_path):
    directory = copy_knowledge(tmp_path)
    edit(directory / "faq" / "iin.yaml", "answer: |\n", "answer: |\n      " + "очень длинно " * 400 + "\n")
    assert any("keep answers under" in p for p in problems_for(directory))


def test_expired_offer_and_stale_review_are_warnings_not_errors(tmp_path):
    directory = copy_knowledge(tmp_path)
    edit(directory / "faq" / "shelter.yaml", "reviewed: ", "valid_until: 2022-04-25\nreviewed: ")
    knowledge = load_knowledge(directory, today=dt.date(2028, 1, 1))
    warnings = [str(w) for w in knowledge.warnings]
    assert any("shelter.yaml" in w and "offer ended on 2022-04-25" in w for w in warnings)
    assert any("more than 365 days ago" in w for w in warnings)
    assert knowledge.entries["shelter"].expired(dt.date(2026, 11, 22))


def test_a_missing_folder_is_one_clear_problem(tmp_path):
    assert problems_for(tmp_path / "nothing") == [f"{tmp_path / 'nothing'}:1: knowledge folder not found"]
