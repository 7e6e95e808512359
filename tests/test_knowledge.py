import datetime as dt
import html
import re
import shutil
from pathlib import Path

import pytest

from bot import render
from bot.core.collisions import find_collisions
from bot.core.knowledge import KnowledgeError, load_knowledge
from tests.support.knowledge_files import copy_knowledge, edit, line_of

SHARED_FAMILIES = Path(__file__).resolve().parents[2] / "shared" / "families.yaml"
BIG_FAMILIES = ("iin", "bank-account", "visa-free-entry", "housing", "work", "phone")


def test_every_family_has_its_overview_and_specific_entries(knowledge):
    families = {f.id for f in knowledge.families}
    if SHARED_FAMILIES.exists():
        # read the ids line by line: that file's prose is not always valid YAML
        assert set(re.findall(r"^- id: (\S+)", SHARED_FAMILIES.read_text(), flags=re.M)) == families
    assert len(knowledge.entries) >= 90
    for family in families:
        members = knowledge.entries_in_family(family)
        assert members[0].id == family and members[0].is_overview
        assert len(members) - 1 >= (6 if family in BIG_FAMILIES else 3), family


def test_every_entry_is_complete_in_russian_english_and_kazakh(knowledge):
    for entry in knowledge.entries.values():
        for lang in ("ru", "en", "kk"):
            assert entry.texts[lang].answer and entry.texts[lang].question, (entry.id, lang)
        assert len(entry.texts["ru"].phrasings) >= 6
        assert entry.sources and entry.reviewed <= dt.date.today()
        assert all(r in knowledge.entries for r in entry.related)


def test_source_titles_are_in_the_replys_language(knowledge):
    titled = [s for e in knowledge.entries.values() for s in e.sources if len(s.titles) > 1]
    assert len(titled) >= len(knowledge.entries)  # nearly every source has titles per language
    for source in titled:
        assert source.title("kk") != source.title("en") or source.title("kk") == source.title("ru")


def test_a_source_the_references_cite_without_a_link_is_named_not_linked(knowledge):
    """Links only as the facts references give them: a source cited by outlet and date is shown as text."""
    entry, source = next(
        (e, s) for e in knowledge.entries.values() for s in e.sources if s.url is None and s.seed is None
    )
    line = render.answer_text(entry, "en", dt.date(2026, 12, 6)).rsplit("\n\n", 1)[-1]
    assert html.escape(source.title("en")) in line
    assert f">{html.escape(source.title('en'))}</a>" not in line


@pytest.mark.skipif(not SHARED_FAMILIES.exists(), reason="the facts references are beside the project only")
def test_every_source_link_is_one_the_facts_references_give(knowledge):
    shared = SHARED_FAMILIES.parent
    references = "\n".join(
        p.read_text(encoding="utf-8") for p in (shared / "facts-reference.md", shared / "facts-reference-2.md")
    )
    unsupported = {
        s.url
        for e in knowledge.entries.values()
        for s in e.sources
        if s.url and s.url.rstrip("/").split("://", 1)[1].removeprefix("www.") not in references
    }
    assert not unsupported


def test_answers_never_promise_what_the_facts_reference_forbids(knowledge):
    for entry in knowledge.entries.values():
        for text in entry.texts.values():
            answer = (text.answer or "").lower()
            assert "+7" not in answer, entry.id  # no invented phone numbers
            assert "t.me/" not in answer, entry.id  # no chat links
    shelter = knowledge.entries["shelter"].texts["ru"].answer
    assert "2022" in shelter  # past, dated offers only
    for entry in knowledge.entries_in_family("shelter"):
        assert "2022" in entry.texts["ru"].answer, entry.id


def test_the_shipped_knowledge_has_no_collisions(knowledge, matcher):
    assert [str(p) for p in find_collisions(knowledge, matcher)] == []


def problems_for(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(directory)
    return [str(p) for p in error.value.problems if p.severity == "error"]


def test_yaml_syntax_error_is_reported_with_file_and_line(tmp_path):
    directory = copy_knowledge(tmp_path)
    path = directory / "faq" / "iin" / "iin.yaml"
    edit(path, "family: iin", "family: [iin")
    (problem,) = problems_for(directory)  # and no knock-on "unknown related id 'iin'" from other files
    assert problem.startswith("knowledge/faq/iin/iin.yaml:")
    assert "YAML syntax error" in problem


def test_unknown_and_missing_fields_are_reported(tmp_path):
    directory = copy_knowledge(tmp_path)
    path = directory / "faq" / "work" / "work.yaml"
    edit(path, "family: work", "famly: work")
    problems = problems_for(directory)
    line = line_of(path, "famly:")
    assert (
        f"knowledge/faq/work/work.yaml:{line}: entry: unknown field 'famly'; "
        "use id, family, reviewed, valid_until, related, sources, text"
    ) in problems
    assert f"knowledge/faq/work/work.yaml:{line_of(path, 'id: work')}: entry: missing field 'family'" in problems


def test_an_unknown_family_is_reported_where_it_is_named(tmp_path):
    directory = copy_knowledge(tmp_path)
    path = directory / "faq" / "visa-free-entry" / "work-permit-eaeu.yaml"
    edit(path, "family: visa-free-entry", "family: jobs")
    line = line_of(path, "family: jobs")
    assert (
        f"knowledge/faq/visa-free-entry/work-permit-eaeu.yaml:{line}: entry: unknown family 'jobs' "
        "(families.yaml lists them)" in problems_for(directory)
    )


def test_a_family_without_overview_or_specific_entries_is_a_warning(tmp_path):
    directory = copy_knowledge(tmp_path)
    shutil.rmtree(directory / "faq" / "transport")
    for path in (directory / "faq").rglob("*.yaml"):  # nothing may point at the removed entries
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"related: \[[^\]]*\]\n", "", text), encoding="utf-8")
    warnings = [str(w) for w in load_knowledge(directory).warnings]
    assert (
        "knowledge/families.yaml:1: warning: family 'transport' has no overview entry "
        "(an entry whose id is 'transport')" in warnings
    )
    assert any("family 'transport' has 0 specific entries" in w for w in warnings)


def test_duplicate_ids_unknown_related_and_bad_html_are_reported(tmp_path):
    directory = copy_knowledge(tmp_path)
    shutil.copy(directory / "faq" / "work" / "work.yaml", directory / "faq" / "work" / "work-copy.yaml")
    edit(directory / "faq" / "housing" / "housing.yaml", "related: [", "related: [no-such-entry, ")
    edit(directory / "faq" / "language" / "language.yaml", "answer: |\n", "answer: |\n      <div>broken</div>\n")
    problems = "\n".join(problems_for(directory))
    assert "work-copy.yaml" in problems and "differs from the file name" in problems
    assert "housing.yaml" in problems and "unknown related id 'no-such-entry'" in problems
    assert "language.yaml" in problems and "tag <div> is not supported" in problems


def test_missing_language_and_empty_answer_are_reported(tmp_path):
    directory = copy_knowledge(tmp_path)
    path = directory / "faq" / "shelter" / "shelter.yaml"
    data = path.read_text(encoding="utf-8")
    kk_start = data.index("\n  kk:")
    uk_start = data.index("\n  uk:") if "\n  uk:" in data else len(data)
    path.write_text(data[:kk_start] + data[uk_start:], encoding="utf-8")
    problems = problems_for(directory)
    assert any(p.startswith("knowledge/faq/shelter/shelter.yaml:") and "missing field 'kk'" in p for p in problems)


@pytest.mark.parametrize("path, limit", [("iin/iin-expiry.yaml", 450), ("iin/iin.yaml", 700)])
def test_an_answer_over_its_kinds_limit_is_refused(tmp_path, path, limit):
    """A specific entry answers one question on a phone screen; an overview its family."""
    directory = copy_knowledge(tmp_path)
    text = (directory / "faq" / path).read_text(encoding="utf-8")
    start = text.index("    answer: |\n", text.index("  ru:\n")) + len("    answer: |\n")
    (directory / "faq" / path).write_text(
        text[:start] + "      " + "слово " * (limit // 6 + 10) + "\n" + text[start:], encoding="utf-8"
    )
    assert any(f"has at most {limit}" in p and path in p for p in problems_for(directory))


def test_expired_offer_and_stale_review_are_warnings_not_errors(tmp_path):
    directory = copy_knowledge(tmp_path)
    edit(directory / "faq" / "shelter" / "shelter.yaml", "reviewed: ", "valid_until: 2022-04-25\nreviewed: ")
    knowledge = load_knowledge(directory, today=dt.date(2028, 1, 1))
    warnings = [str(w) for w in knowledge.warnings]
    assert any("shelter.yaml" in w and "offer ended on 2022-04-25" in w for w in warnings)
    assert any("more than 365 days ago" in w for w in warnings)
    assert knowledge.entries["shelter"].expired(dt.date(2026, 11, 22))


def test_a_missing_folder_is_one_clear_problem(tmp_path):
    assert problems_for(tmp_path / "nothing") == [f"{tmp_path / 'nothing'}:1: knowledge folder not found"]
