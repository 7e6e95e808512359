"""Loading and validating the FAQ knowledge (`knowledge/*.yaml`).

The JSON Schemas beside the files (`knowledge/*.schema.json`, `schema.json` for entries) define each file's
format; the code checks only what a schema cannot say (other files, the file name, HTML, answer lengths).
Every problem is reported as `file:line: message`, so a maintainer can jump straight to it.
Loading either returns a complete `Knowledge` or raises `KnowledgeError` with all problems found:
the bot never runs on half a knowledge base.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bot.core.html_check import telegram_html_problems, visible_length
from bot.core.schemas import SCHEMA_FILES, conforms, load_schemas
from bot.core.yamlfile import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    FileReader,
    KnowledgeError,
    Problem,
    _Map,
    line_of,
    listed,
    load_yaml,
    read_limited,
    total_size_problem,
)

# re-exported: where callers have always found them
__all__ = [
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "SCHEMA_FILES",
    "KnowledgeError",
    "Problem",
    "load_yaml",
    "read_limited",
]

T = TypeVar("T")
LANGUAGES = ("ru", "en", "kk")
PHRASING_ONLY_LANGUAGES = ("uk",)  # understood, answered in Russian (or the user's choice)
MENU_LANGUAGES = (*LANGUAGES, "uk")
# Visible characters of a Russian answer: a specific entry answers one question on a phone screen,
# an overview its family.
ANSWER_LIMITS = {"specific": 450, "overview": 700}
OTHER_LANGUAGE_SLACK = 1.35  # English and Kazakh say the same thing in more letters
STALE_AFTER_DAYS = 365


@dataclass(frozen=True)
class Source:
    titles: dict[str, str]  # language -> title; "ru" always present
    url: str | None = None
    seed: str | None = None

    def title(self, lang: str) -> str:
        """The title in the reply's language; Russian (the language of answers without their own) otherwise."""
        return self.titles.get(lang) or self.titles["ru"]


@dataclass(frozen=True)
class EntryText:
    question: str
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str | None
    lines: dict[str, int] = field(
        default_factory=dict, compare=False, repr=False
    )  # phrasing -> line, for file:line reports


@dataclass(frozen=True)
class Entry:
    id: str
    family: str
    topic: str  # the family's menu topic
    reviewed: dt.date
    sources: tuple[Source, ...]
    texts: dict[str, EntryText]
    related: tuple[str, ...] = ()
    valid_until: dt.date | None = None
    file: str = ""
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)  # top-level key -> line

    def text(self, lang: str) -> EntryText:
        """The entry in `lang`, falling back to Russian for a language whose answers are not written (uk)."""
        return self.texts[lang] if lang in LANGUAGES and lang in self.texts else self.texts["ru"]

    def answer(self, lang: str) -> tuple[str, str]:
        """(language actually used, answer HTML): Kazakh answers are optional and fall back to Russian."""
        text = self.text(lang)
        if text.answer:
            return (lang if lang in self.texts else "ru"), text.answer
        return "ru", self.texts["ru"].answer or ""

    def expired(self, today: dt.date) -> bool:
        return self.valid_until is not None and today > self.valid_until

    @property
    def is_overview(self) -> bool:
        return self.id == self.family


@dataclass(frozen=True)
class Topic:
    id: str
    titles: dict[str, str]


@dataclass(frozen=True)
class Family:
    id: str
    topic: str
    titles: dict[str, str]


@dataclass(frozen=True)
class SmalltalkIntent:
    id: str
    patterns: dict[str, tuple[str, ...]]
    replies: dict[str, str]


@dataclass(frozen=True)
class Knowledge:
    entries: dict[str, Entry]
    topics: tuple[Topic, ...]
    synonyms: tuple[tuple[str, ...], ...]
    smalltalk: tuple[SmalltalkIntent, ...]
    warnings: tuple[Problem, ...] = field(default=())
    offtopic: dict[str, tuple[str, ...]] = field(default_factory=dict)  # questions deliberately left unanswered
    offtopic_lines: dict[str, tuple[str, int]] = field(default_factory=dict)  # off-topic phrasing -> (file, line)
    families: tuple[Family, ...] = ()
    # off-topic questions next to covered topics ("ипотека" beside renting): by closeness, and learnt lightly
    offtopic_neighbours: dict[str, tuple[str, ...]] = field(default_factory=dict)
    abroad: tuple[str, ...] = ()  # places outside Kazakhstan: a question about life there is not answered
    here: tuple[str, ...] = ()  # Kazakhstan's names: a question that names it is about life here
    # places a border run goes to: abroad unless the question says it comes back ("выехать в Бишкек и обратно")
    nearby: tuple[str, ...] = ()
    returning: tuple[str, ...] = ()
    uncovered: tuple[str, ...] = ()  # subjects no entry covers (loans, mortgages): a question about one is not answered
    # subjects two words tell (buying and a flat: "купить однушку"): each pair's two lists, and the words that make it
    # a covered question's detail ("для покупки квартиры нужен иин?")
    pairs: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = ()

    def entries_in_topic(self, topic_id: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.topic == topic_id]

    def families_in_topic(self, topic_id: str) -> list[Family]:
        return [f for f in self.families if f.topic == topic_id and f.id in self.entries]

    def family(self, family_id: str) -> Family | None:
        return next((f for f in self.families if f.id == family_id), None)

    def entries_in_family(self, family_id: str) -> list[Entry]:
        """The overview first, then the specific entries in file order."""
        members = [e for e in self.entries.values() if e.family == family_id]
        return sorted(members, key=lambda e: not e.is_overview)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)


# --- entries: what the schema cannot say ---------------------------------------------------------


def _read_entry(reader: FileReader, data: _Map, today: dt.date, families: dict[str, Family]) -> Entry | None:
    """An entry that conforms to schema.json, checked against its file name, the families and the calendar."""
    entry_id, family_id = data["id"], data["family"].strip()
    if reader.path.stem != entry_id:
        reader.error(line_of(data, "id"), f"entry: id '{entry_id}' differs from the file name '{reader.path.stem}'")
    family = families.get(family_id)
    if families and family is None:
        reader.error(line_of(data, "family"), f"entry: unknown family '{family_id}' (families.yaml lists them)")
    reviewed = dt.date.fromisoformat(data["reviewed"])
    if (today - reviewed).days > STALE_AFTER_DAYS:
        reader.warn(
            line_of(data, "reviewed"),
            f"entry: reviewed {reviewed.isoformat()}, more than {STALE_AFTER_DAYS} days ago: check the facts again",
        )
    valid_until = dt.date.fromisoformat(data["valid_until"]) if "valid_until" in data else None
    if valid_until and valid_until < today:
        reader.warn(
            line_of(data, "valid_until"), f"entry: the offer ended on {valid_until.isoformat()}; it is shown as ended"
        )
    related = tuple(r.strip() for r in data.get("related", ()))
    sources = tuple(Source(_titles(s["title"]), s.get("url"), s.get("seed")) for s in data["sources"])
    kind = "overview" if entry_id == family_id else "specific"
    texts = {}
    for lang in (lang for lang in (*LANGUAGES, *PHRASING_ONLY_LANGUAGES) if lang in data["text"]):
        block = data["text"][lang]
        phrasings = _texts(block["phrasings"])
        if lang in PHRASING_ONLY_LANGUAGES:  # phrasings to understand the question; the answer is shown in Russian
            texts[lang] = EntryText("", phrasings, (), None, _phrasing_lines(block))
            continue
        question, answer = block["question"].strip(), block["answer"].strip()
        _check_answer(reader, block, f"text.{lang}", answer, kind, lang)
        lines = {question: line_of(block, "question"), **_phrasing_lines(block)}
        texts[lang] = EntryText(question, phrasings, tuple(k.lower() for k in _texts(block["keywords"])), answer, lines)
    if family is None:
        return None
    return Entry(
        entry_id,
        family.id,
        family.topic,
        reviewed,
        sources,
        texts,
        related,
        valid_until,
        reader.name,
        dict(data.key_lines),
    )


def _texts(values: list) -> tuple[str, ...]:
    """A list of texts as the schema allows it: a bare number such as 90 is a fine keyword."""
    return tuple(str(v).strip() for v in values)


def _titles(value: str | dict) -> dict[str, str]:
    """A source's title: one text, or one per language (ru required), so a reply names it in its own language."""
    return {"ru": value.strip()} if isinstance(value, str) else {lang: text.strip() for lang, text in value.items()}


def _phrasing_lines(block: dict) -> dict[str, int]:
    raw = block["phrasings"]
    return {str(p).strip(): line for p, line in zip(raw, raw.item_lines, strict=True)}


def _check_answer(reader: FileReader, block: dict, where: str, answer: str, kind: str, lang: str) -> None:
    line = line_of(block, "answer")
    for message in telegram_html_problems(answer):
        reader.error(line, f"{where}.answer: {message}")
    length = visible_length(answer)
    limit = ANSWER_LIMITS[kind] if lang == "ru" else int(ANSWER_LIMITS[kind] * OTHER_LANGUAGE_SLACK)
    if length > limit:
        reader.error(
            line,
            f"{where}.answer: {length} characters; a{'n' if kind == 'overview' else ''} {kind} "
            f"answer has at most {limit} (the rest belongs in related entries)",
        )


# --- the other files, each conforming to its schema -------------------------------------------------


def _read_topics(reader: FileReader, data: list) -> tuple[Topic, ...]:
    return tuple(Topic(item["id"].strip(), _menu_titles(item)) for item in data)


def _menu_titles(item: dict) -> dict[str, str]:
    return {lang: item["title"][lang].strip() for lang in MENU_LANGUAGES}


def _read_families(reader: FileReader, data: list) -> tuple[Family, ...]:
    return tuple(Family(item["id"], item["topic"].strip(), _menu_titles(item)) for item in data)


def _read_synonyms(reader: FileReader, data: dict) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(w.strip() for w in group) for group in data["groups"] or ())


def _read_smalltalk(reader: FileReader, data: dict) -> tuple[SmalltalkIntent, ...]:
    intents = []
    for index, item in enumerate(data["intents"] or ()):
        replies = item["reply"]
        for lang, reply in replies.items():
            for message in telegram_html_problems(reply):
                reader.error(line_of(replies, lang), f"intents[{index}].reply.{lang}: {message}")
        intents.append(
            SmalltalkIntent(
                item["id"].strip(),
                {lang: tuple(str(p) for p in values) for lang, values in item["patterns"].items()},
                {lang: reply.strip() for lang, reply in replies.items()},
            )
        )
    return tuple(intents)


@dataclass(frozen=True)
class Offtopic:
    """What offtopic.yaml holds, as the knowledge keeps it."""

    phrasings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    neighbours: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)  # phrasing -> (file, line), for collisions
    abroad: tuple[str, ...] = ()
    here: tuple[str, ...] = ()
    nearby: tuple[str, ...] = ()
    returning: tuple[str, ...] = ()
    uncovered: tuple[str, ...] = ()
    pairs: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = ()


def _read_offtopic(reader: FileReader, data: dict) -> Offtopic:
    """Its phrasings and neighbours per language (with their lines, so that collisions can point at them), and the
    places abroad, nearby and here, and the subjects left out (words, and pairs of words)."""
    phrasings, neighbours = data["phrasings"], data.get("neighbours", {})
    lines = {
        str(p).strip(): (reader.name, line)
        for lists in (phrasings, neighbours)
        for values in lists.values()
        for p, line in zip(values, values.item_lines, strict=True)
    }
    return Offtopic(
        {lang: _texts(values) for lang, values in phrasings.items()},
        {lang: _texts(values) for lang, values in neighbours.items()},
        lines,
        _texts(data.get("abroad", [])),
        _texts(data.get("here", [])),
        _texts(data.get("nearby", [])),
        _texts(data.get("returning", [])),
        _texts(data.get("uncovered", [])),
        tuple(
            (_texts(pair["first"]), _texts(pair["second"]), _texts(pair.get("unless", [])))
            for pair in data.get("pairs", [])
        ),
    )


def load_knowledge(directory: Path, today: dt.date | None = None) -> Knowledge:
    """Read and check every knowledge file; raise `KnowledgeError` listing all errors, or return the knowledge."""
    today = today or dt.date.today()
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise KnowledgeError([Problem(str(directory), 1, "knowledge folder not found")])
    too_big = total_size_problem(directory)
    if too_big is not None:  # refused before anything is parsed or matched
        raise KnowledgeError([too_big])

    validators = load_schemas(directory)  # a broken definition: its problems only, before any file is judged by it

    def read(name: str, root: str, parse: Callable[[FileReader, Any], T]) -> T | tuple[()]:
        reader = FileReader(directory / name, directory, problems)
        if not reader.named_file(directory):
            return ()
        data = reader.load()
        if data is None or not conforms(reader, data, validators[SCHEMA_FILES[name]], root):
            return ()
        return parse(reader, data)

    topics = read("topics.yaml", "topics", _read_topics)
    families = read("families.yaml", "families", _read_families)
    synonyms = read("synonyms.yaml", "synonyms", _read_synonyms)
    smalltalk = read("smalltalk.yaml", "smalltalk", _read_smalltalk)
    offtopic = Offtopic()
    if (directory / "offtopic.yaml").exists() or (
        directory / "offtopic.yaml"
    ).is_symlink():  # optional; an unreadable one is an error reported by read()
        offtopic = read("offtopic.yaml", "offtopic", _read_offtopic) or offtopic

    entries: dict[str, Entry] = {}
    unreadable: set[str] = set()  # ids of entries whose file failed: no "unknown id" noise about them
    files = listed(directory, (directory / "faq").rglob("*.yaml"), problems)
    if not files:
        problems.append(Problem(str(directory / "faq"), 1, "no FAQ entries found"))
    family_by_id = {f.id: f for f in families}
    for path in files:
        reader = FileReader(path, directory, problems)
        data = reader.load()
        valid = data is not None and conforms(reader, data, validators[SCHEMA_FILES["faq"]], "entry")
        entry = _read_entry(reader, data, today, family_by_id) if valid else None
        if entry is None:
            unreadable.add(path.stem)
            continue
        if entry.id in entries:
            reader.error(line_of(data, "id"), f"duplicate id '{entry.id}', also in {entries[entry.id].file}")
            continue
        entries[entry.id] = entry
    _check_references(entries, problems, unreadable)
    _check_families(directory, families, topics, entries, problems, unreadable)

    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise KnowledgeError(problems)
    return Knowledge(
        entries,
        topics,
        synonyms,
        smalltalk,
        tuple(problems),
        offtopic.phrasings,
        offtopic.lines,
        families,
        offtopic.neighbours,
        offtopic.abroad,
        offtopic.here,
        offtopic.nearby,
        offtopic.returning,
        offtopic.uncovered,
        offtopic.pairs,
    )


MIN_SPECIFIC_ENTRIES = 3


def _check_families(
    directory: Path,
    families: tuple[Family, ...],
    topics: tuple[Topic, ...],
    entries: dict[str, Entry],
    problems: list[Problem],
    unreadable: set[str],
) -> None:
    """Every family sits in a known topic and has its overview (id = family id) and a few specific entries."""
    name = str((directory / "families.yaml").relative_to(directory.parent))
    topic_ids = {t.id for t in topics}
    for index, family in enumerate(families):
        if topics and family.topic not in topic_ids:
            problems.append(Problem(name, 1, f"families[{index}]: unknown topic '{family.topic}'"))
        if family.id in unreadable:
            continue
        members = [e for e in entries.values() if e.family == family.id]
        if family.id not in entries:
            problems.append(
                Problem(
                    name,
                    1,
                    f"family '{family.id}' has no overview entry (an entry whose id is '{family.id}')",
                    "warning",
                )
            )
        elif entries[family.id].family != family.id:
            problems.append(
                Problem(
                    entries[family.id].file,
                    1,
                    f"entry '{family.id}' is the overview of its family and must have family: {family.id}",
                )
            )
        specific = sum(1 for e in members if not e.is_overview)
        if specific < MIN_SPECIFIC_ENTRIES:
            problems.append(
                Problem(
                    name,
                    1,
                    f"family '{family.id}' has {specific} specific entries; write at least {MIN_SPECIFIC_ENTRIES}",
                    "warning",
                )
            )


def _check_references(entries: dict[str, Entry], problems: list[Problem], unreadable: set[str]) -> None:
    for entry in entries.values():
        for related in entry.related:
            if related in unreadable:
                continue
            if related not in entries:
                problems.append(Problem(entry.file, _entry_line(entry, "related"), f"unknown related id '{related}'"))
            elif related == entry.id:
                problems.append(
                    Problem(entry.file, _entry_line(entry, "related"), "an entry cannot be related to itself")
                )


def _entry_line(entry: Entry, key: str) -> int:
    return entry.lines.get(key, 1)
