"""Loading and validating the FAQ knowledge (`knowledge/*.yaml`).

Every problem is reported as `file:line: message`, so a maintainer can jump straight to it.
Loading either returns a complete `Knowledge` or raises `KnowledgeError` with all problems found:
the bot never runs on half a knowledge base.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from bot.core.html_check import telegram_html_problems, visible_length

LANGUAGES = ("ru", "en", "kk")
REQUIRED_LANGUAGES = ("ru", "en", "kk")
PHRASING_ONLY_LANGUAGES = ("uk",)  # understood, answered in Russian (or the user's choice)
MENU_LANGUAGES = (*LANGUAGES, "uk")
SMALLTALK_LANGUAGES = (*MENU_LANGUAGES, "be")  # Belarusian greetings and thanks are small talk too
# Visible characters of a Russian answer: a specific entry answers one question on a phone screen, an overview its
# family.
ANSWER_LIMITS = {"specific": 450, "overview": 700}
OTHER_LANGUAGE_SLACK = 1.35  # English and Kazakh say the same thing in more letters
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_SEED = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
_URL = re.compile(r"^https://[^\s\"'<>]+$")
STALE_AFTER_DAYS = 365


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.file}:{self.line}: {prefix}{self.message}"


class KnowledgeError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


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
    # phrasing -> line, for file:line reports
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


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


# --- YAML with line numbers -------------------------------------------------------------

class _Map(dict):
    line: int = 0
    key_lines: dict[str, int]


class _List(list):
    line: int = 0
    item_lines: list[int]


MAX_FILE_BYTES = 256 * 1024  # one knowledge file (the largest shipped is about 20 KB)
MAX_TOTAL_BYTES = 2 * 1024 * 1024  # all YAML files of the folder together (about 800 KB shipped)


class _Refused(yaml.YAMLError):
    """YAML the knowledge never needs and that can hurt: reported as `file:line: YAML: message`."""

    def __init__(self, message: str, mark: Any) -> None:  # a yaml.Mark, or libyaml's own Mark class
        super().__init__(message)
        self.message, self.problem_mark = message, mark


_FastSafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML was built with it


class _LineLoader(_FastSafeLoader):  # type: ignore[misc, valid-type]
    """A safe loader that records lines; `load_yaml` refuses anchors and aliases before it runs (an alias
    "bomb" of a few lines expands to millions of nodes), `_construct_map` keys that are not plain scalars."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    seen: set[Any] = set()
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _Refused("a key must be a plain text or number", key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_list(loader: _LineLoader, node: yaml.SequenceNode) -> _List:
    result = _List(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """A knowledge file's text: never through a symbolic link (O_NOFOLLOW), never more than `limit` bytes.

    Raises OSError (a link: ELOOP) or ValueError (too big, not a regular file, not UTF-8) with a plain message."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"the file is larger than {limit // 1024} KB, the limit for one knowledge file")
    return data.decode("utf-8")


def load_yaml(text: str) -> Any:
    """YAML as the knowledge files are read: safe, with lines, no anchors or aliases, scalar keys only."""
    for event in yaml.parse(text, Loader=_FastSafeLoader):  # the events first: nothing with an anchor is composed
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("anchors and aliases (& and *) are not allowed", event.start_mark)
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a safe loader


def inside(directory: Path, path: Path) -> bool:
    """True when neither `path` nor any folder between it and `directory` is a symbolic link, and it resolves
    inside `directory`: the loader reads nothing from elsewhere, whatever links are saved in the folder."""
    try:
        relative = path.relative_to(directory)
    except ValueError:
        return False
    current = directory
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            return False
    return path.resolve().is_relative_to(directory.resolve())


def listed(directory: Path, paths: Iterable[Path], problems: list[Problem]) -> list[Path]:
    """The files of a glob or rglob under `directory` that may be read, sorted; the others are reported and skipped."""
    kept = []
    for path in sorted(paths):
        if inside(directory, path):
            kept.append(path)
        else:
            problems.append(Problem(_name(path, directory), 1,
                                    "a symbolic link or outside the knowledge folder: not read", "warning"))
    return kept


def _name(path: Path, root: Path) -> str:
    return str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)


def total_size_problem(directory: Path) -> Problem | None:
    """All YAML files of the folder together beyond MAX_TOTAL_BYTES: one problem, before any is parsed."""
    total = 0
    for path in directory.rglob("*.yaml"):
        if inside(directory, path):
            with contextlib.suppress(OSError):
                total += path.lstat().st_size
    if total > MAX_TOTAL_BYTES:
        return Problem(str(directory), 1, f"the knowledge files together take {total // 1024} KB; the limit is "
                                          f"{MAX_TOTAL_BYTES // 1024} KB")
    return None


def _line_of(container: Any, key: Any = None) -> int:
    if key is not None and isinstance(container, _Map) and key in container.key_lines:
        return container.key_lines[key]
    if key is not None and isinstance(container, _List) and isinstance(key, int) and key < len(container.item_lines):
        return container.item_lines[key]
    return getattr(container, "line", 1)


class _Reader:
    """Collects problems for one file while reading typed fields out of its YAML."""

    def __init__(self, path: Path, root: Path, problems: list[Problem]):
        self.name = _name(path, root)
        self.path = path
        self.problems = problems

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message, "warning"))

    def load(self) -> Any:
        try:
            text = read_limited(self.path)
        except OSError as exc:
            reason = "a symbolic link: not read" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
            self.error(1, f"cannot read the file: {reason}")
            return None
        except ValueError as exc:  # too big, not a regular file, not UTF-8
            self.error(1, f"cannot read the file: {exc}")
            return None
        try:
            return load_yaml(text)
        except _Refused as exc:
            self.error(exc.problem_mark.line + 1, f"YAML: {exc.message}")
            return None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = mark.line + 1 if mark else 1
            problem = getattr(exc, "problem", None) or str(exc)
            self.error(line, f"YAML syntax error: {problem}")
            return None

    def fields(self, data: Any, where: str, required: Set[str], optional: Set[str] = frozenset()) -> bool:
        if not isinstance(data, dict):
            self.error(_line_of(data), f"{where}: expected a mapping")
            return False
        for key in data:
            if key not in required and key not in optional:
                self.error(_line_of(data, key), f"{where}: unknown field '{key}'")
        for key in sorted(required - set(data)):
            self.error(_line_of(data), f"{where}: missing field '{key}'")
        return True

    def string(self, data: dict, key: str, where: str) -> str | None:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.error(_line_of(data, key), f"{where}: '{key}' must be a non-empty text")
            return None
        return value.strip()

    def strings(self, data: dict, key: str, where: str, minimum: int = 0) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, list):  # a bare number such as 90 is a fine keyword
            value = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(_line_of(data, key), f"{where}: '{key}' must be a list of non-empty texts")
            return ()
        if len(value) < minimum:
            self.error(_line_of(data, key), f"{where}: '{key}' needs at least {minimum} items, has {len(value)}")
        return tuple(v.strip() for v in value)

    def date(self, data: dict, key: str, where: str) -> dt.date | None:
        value = data.get(key)
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            self.error(_line_of(data, key), f"{where}: '{key}' must be a date like 2026-11-22")
            return None
        return value


# --- entries ------------------------------------------------------------------------------

_ENTRY_FIELDS = {"id", "family", "reviewed", "sources", "text"}
_ENTRY_OPTIONAL = {"related", "valid_until"}
_MIN_PHRASINGS = {"ru": 6, "en": 3, "kk": 3, "uk": 2}


def _read_entry(reader: _Reader, data: Any, today: dt.date, families: dict[str, Family]) -> Entry | None:
    if not reader.fields(data, "entry", _ENTRY_FIELDS, _ENTRY_OPTIONAL):
        return None
    entry_id = reader.string(data, "id", "entry")
    if entry_id and not _ID.match(entry_id):
        reader.error(_line_of(data, "id"),
                     f"entry: id '{entry_id}' must be lowercase letters, digits and '-' (at most 32)")
    if entry_id and reader.path.stem != entry_id:
        reader.error(_line_of(data, "id"), f"entry: id '{entry_id}' differs from the file name '{reader.path.stem}'")
    family_id = reader.string(data, "family", "entry")
    family = families.get(family_id or "")
    if family_id and families and family is None:
        reader.error(_line_of(data, "family"), f"entry: unknown family '{family_id}' (families.yaml lists them)")
    reviewed = reader.date(data, "reviewed", "entry")
    if reviewed and (today - reviewed).days > STALE_AFTER_DAYS:
        reader.warn(_line_of(data, "reviewed"), f"entry: reviewed {reviewed.isoformat()}, "
                                                f"more than {STALE_AFTER_DAYS} days ago: check the facts again")
    valid_until = None
    if "valid_until" in data:
        valid_until = reader.date(data, "valid_until", "entry")
        if valid_until and valid_until < today:
            reader.warn(_line_of(data, "valid_until"),
                        f"entry: the offer ended on {valid_until.isoformat()}; it is shown as ended")
    related = reader.strings(data, "related", "entry") if "related" in data else ()
    sources = _read_sources(reader, data)
    kind = "overview" if entry_id == family_id else "specific"
    texts = _read_texts(reader, data, kind)
    if not (entry_id and family and reviewed and sources and texts):
        return None
    return Entry(entry_id, family.id, family.topic, reviewed, sources, texts, related, valid_until, reader.name,
                 dict(data.key_lines))


def _read_sources(reader: _Reader, data: dict) -> tuple[Source, ...]:
    items = data.get("sources")
    if not isinstance(items, list) or not items:
        reader.error(_line_of(data, "sources"), "entry: 'sources' must list at least one source")
        return ()
    sources = []
    for index, item in enumerate(items):
        where = f"sources[{index}]"
        if not reader.fields(item, where, {"title"}, {"url", "seed"}):
            continue
        titles = _read_titles(reader, item, where)
        url, seed = item.get("url"), item.get("seed")
        if url is None and seed is None:
            reader.error(_line_of(item), f"{where}: needs a 'url' or a 'seed'")
        if url is not None and not (isinstance(url, str) and _URL.match(url)):
            reader.error(_line_of(item, "url"), f"{where}: url must start with https:// and have no spaces or quotes")
            url = None
        if seed is not None and not (isinstance(seed, str) and _SEED.match(seed)):
            reader.error(_line_of(item, "seed"),
                         f"{where}: seed must be a seed file name like 000_fd3eb06962045c23.txt")
            seed = None
        if titles:
            sources.append(Source(titles, url, seed))
    return tuple(sources)


def _read_titles(reader: _Reader, item: dict, where: str) -> dict[str, str]:
    """A source's title: one text, or one per language (ru required), so a reply names it in its own language."""
    value = item.get("title")
    if isinstance(value, str) and value.strip():
        return {"ru": value.strip()}
    if (isinstance(value, dict) and "ru" in value and all(lang in MENU_LANGUAGES for lang in value)
            and all(isinstance(v, str) and v.strip() for v in value.values())):
        return {lang: text.strip() for lang, text in value.items()}
    reader.error(_line_of(item, "title"),
                 f"{where}: 'title' must be a text or a mapping of languages (ru required) to texts")
    return {}


def _read_texts(reader: _Reader, data: dict, kind: str) -> dict[str, EntryText]:
    texts_data: Any = data.get("text")  # checked by fields()
    if not reader.fields(texts_data, "text", set(REQUIRED_LANGUAGES), set(PHRASING_ONLY_LANGUAGES)):
        return {}
    texts = {}
    for lang in (*LANGUAGES, *PHRASING_ONLY_LANGUAGES):
        if lang not in texts_data:
            continue
        block = texts_data[lang]
        where = f"text.{lang}"
        if lang in PHRASING_ONLY_LANGUAGES:  # phrasings to understand the question; the answer is shown in Russian
            if reader.fields(block, where, {"phrasings"}):
                phrasings = reader.strings(block, "phrasings", where, _MIN_PHRASINGS[lang])
                texts[lang] = EntryText("", phrasings, (), None, _phrasing_lines(block))
            continue
        if not reader.fields(block, where, {"question", "phrasings", "keywords", "answer"}):
            continue
        question = reader.string(block, "question", where)
        phrasings = reader.strings(block, "phrasings", where, _MIN_PHRASINGS[lang])
        keywords = reader.strings(block, "keywords", where)
        answer = reader.string(block, "answer", where)
        if answer:
            _check_answer(reader, block, where, answer, kind, lang)
        if question:
            lines = {question: _line_of(block, "question"), **_phrasing_lines(block)}
            texts[lang] = EntryText(question, phrasings, tuple(k.lower() for k in keywords), answer, lines)
    return texts if all(lang in texts for lang in REQUIRED_LANGUAGES) else {}


def _phrasing_lines(block: dict) -> dict[str, int]:
    raw = block.get("phrasings")
    if not isinstance(raw, _List):
        return {}
    return {p.strip(): line for p, line in zip(raw, raw.item_lines, strict=True) if isinstance(p, str)}


def _check_answer(reader: _Reader, block: dict, where: str, answer: str, kind: str, lang: str) -> None:
    line = _line_of(block, "answer")
    for message in telegram_html_problems(answer):
        reader.error(line, f"{where}.answer: {message}")
    length = visible_length(answer)
    limit = ANSWER_LIMITS[kind] if lang == "ru" else int(ANSWER_LIMITS[kind] * OTHER_LANGUAGE_SLACK)
    if length > limit:
        reader.error(line, f"{where}.answer: {length} characters; a{'n' if kind == 'overview' else ''} {kind} "
                           f"answer has at most {limit} (the rest belongs in related entries)")


# --- the other files ----------------------------------------------------------------------

def _read_topics(reader: _Reader, data: Any) -> tuple[Topic, ...]:
    if not isinstance(data, list) or not data:
        reader.error(_line_of(data), "topics: expected a list of topics")
        return ()
    topics = []
    for index, item in enumerate(data):
        where = f"topics[{index}]"
        if not reader.fields(item, where, {"id", "title"}):
            continue
        topic_id = reader.string(item, "id", where)
        titles = _menu_titles(reader, item, where)
        if topic_id and titles:
            topics.append(Topic(topic_id, titles))
    return tuple(topics)


def _menu_titles(reader: _Reader, item: dict, where: str) -> dict[str, str] | None:
    """A menu button's title in every language of the bot's own texts."""
    titles = item.get("title")
    if not isinstance(titles, dict) or any(not isinstance(titles.get(lang), str) for lang in MENU_LANGUAGES):
        reader.error(_line_of(item, "title"), f"{where}: 'title' needs {', '.join(MENU_LANGUAGES)} texts")
        return None
    return {lang: titles[lang].strip() for lang in MENU_LANGUAGES}


def _read_families(reader: _Reader, data: Any) -> tuple[Family, ...]:
    if not isinstance(data, list) or not data:
        reader.error(_line_of(data), "families: expected a list of families")
        return ()
    families = []
    for index, item in enumerate(data):
        where = f"families[{index}]"
        if not reader.fields(item, where, {"id", "topic", "title"}):
            continue
        family_id, topic = reader.string(item, "id", where), reader.string(item, "topic", where)
        titles = _menu_titles(reader, item, where)
        if family_id and not _ID.match(family_id):
            reader.error(_line_of(item, "id"), f"{where}: id '{family_id}' must be lowercase letters, digits and '-'")
        elif family_id and topic and titles:
            families.append(Family(family_id, topic, titles))
    return tuple(families)


def _read_synonyms(reader: _Reader, data: Any) -> tuple[tuple[str, ...], ...]:
    if not reader.fields(data, "synonyms", {"groups"}):
        return ()
    if not isinstance(data["groups"] or [], list):
        reader.error(_line_of(data, "groups"), "synonyms: 'groups' must be a list of groups")
        return ()
    groups = []
    for index, group in enumerate(data["groups"] or []):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(w, str) and w.strip() for w in group):
            reader.error(_line_of(data["groups"], index), f"groups[{index}]: a group is a list of at least two texts")
            continue
        groups.append(tuple(w.strip() for w in group))
    return tuple(groups)


def _read_smalltalk(reader: _Reader, data: Any) -> tuple[SmalltalkIntent, ...]:
    if not reader.fields(data, "smalltalk", {"intents"}):
        return ()
    if not isinstance(data["intents"] or [], list):
        reader.error(_line_of(data, "intents"), "smalltalk: 'intents' must be a list of intents")
        return ()
    intents = []
    for index, item in enumerate(data["intents"] or []):
        where = f"intents[{index}]"
        if not reader.fields(item, where, {"id", "patterns", "reply"}):
            continue
        if reader.string(item, "id", where) is None:
            continue
        patterns, replies = item["patterns"], item["reply"]
        wrong = [lang for lang, values in (patterns.items() if isinstance(patterns, dict) else ())
                 if lang not in SMALLTALK_LANGUAGES or not isinstance(values, list)
                 or not all(isinstance(p, (str, int)) and not isinstance(p, bool) and str(p).strip() for p in values)]
        if not isinstance(patterns, dict) or wrong:
            line = _line_of(patterns, wrong[0]) if wrong else _line_of(item, "patterns")
            reader.error(line, f"{where}: 'patterns' maps {', '.join(SMALLTALK_LANGUAGES)} to lists of texts")
            continue
        if not isinstance(replies, dict) or any(not isinstance(replies.get(lang), str) for lang in LANGUAGES):
            reader.error(_line_of(item, "reply"), f"{where}: 'reply' needs ru, en and kk texts")
            continue
        for lang, reply in replies.items():
            for message in telegram_html_problems(reply):
                reader.error(_line_of(replies, lang), f"{where}.reply.{lang}: {message}")
        intents.append(SmalltalkIntent(
            item["id"].strip(),
            {lang: tuple(str(p) for p in values) for lang, values in patterns.items()},
            {lang: replies[lang].strip() for lang in MENU_LANGUAGES if isinstance(replies.get(lang), str)},
        ))
    return tuple(intents)


def _read_offtopic(reader: _Reader, data: Any) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, int]]]:
    """(phrasings per language, phrasing -> (file, line)) so that collisions can point at the line."""
    if not reader.fields(data, "offtopic", {"phrasings"}):
        return {}, {}
    phrasings = data["phrasings"]
    if not isinstance(phrasings, dict) or any(lang not in LANGUAGES for lang in phrasings):
        reader.error(_line_of(data, "phrasings"),
                     f"offtopic: 'phrasings' maps {', '.join(LANGUAGES)} to lists of texts")
        return {}, {}
    lines = {p.strip(): (reader.name, line) for values in phrasings.values() if isinstance(values, _List)
             for p, line in zip(values, values.item_lines, strict=True) if isinstance(p, str)}
    return {lang: reader.strings(phrasings, lang, f"offtopic.{lang}") for lang in phrasings}, lines


_Parsed = TypeVar("_Parsed")  # what one knowledge file reads as


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

    def read(name: str, parse: Callable[[_Reader, Any], _Parsed]) -> _Parsed | tuple[()]:
        path = directory / name
        reader = _Reader(path, directory, problems)
        if (path.exists() or path.is_symlink()) and not inside(directory, path):
            reader.error(1, "a symbolic link or outside the knowledge folder: not read")
            return ()
        if not path.is_file():
            reader.error(1, "file not found")
            return ()
        data = reader.load()
        return parse(reader, data) if data is not None else ()

    topics = read("topics.yaml", _read_topics)
    families = read("families.yaml", _read_families)
    synonyms = read("synonyms.yaml", _read_synonyms)
    smalltalk = read("smalltalk.yaml", _read_smalltalk)
    offtopic: dict[str, tuple[str, ...]] = {}
    offtopic_lines: dict[str, tuple[str, int]] = {}
    # optional; an unreadable one is an error reported by read()
    if (directory / "offtopic.yaml").exists() or (directory / "offtopic.yaml").is_symlink():
        offtopic, offtopic_lines = read("offtopic.yaml", _read_offtopic) or ({}, {})

    entries: dict[str, Entry] = {}
    unreadable: set[str] = set()  # ids of entries whose file failed: no "unknown id" noise about them
    files = listed(directory, (directory / "faq").rglob("*.yaml"), problems)
    if not files:
        problems.append(Problem(str(directory / "faq"), 1, "no FAQ entries found"))
    family_by_id = {f.id: f for f in families}
    for path in files:
        reader = _Reader(path, directory, problems)
        data = reader.load()
        entry = _read_entry(reader, data, today, family_by_id) if data is not None else None
        if entry is None:
            unreadable.add(path.stem)
            continue
        if entry.id in entries:
            reader.error(_line_of(data, "id"), f"duplicate id '{entry.id}', also in {entries[entry.id].file}")
            continue
        entries[entry.id] = entry
    _check_references(entries, problems, unreadable)
    _check_families(directory, families, topics, entries, problems, unreadable)

    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise KnowledgeError(problems)
    return Knowledge(entries, topics, synonyms, smalltalk, tuple(problems), dict(offtopic), offtopic_lines, families)


MIN_SPECIFIC_ENTRIES = 3


def _check_families(directory: Path, families: tuple[Family, ...], topics: tuple[Topic, ...],
                    entries: dict[str, Entry], problems: list[Problem], unreadable: set[str]) -> None:
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
            problems.append(Problem(name, 1, f"family '{family.id}' has no overview entry "
                                             f"(an entry whose id is '{family.id}')", "warning"))
        elif entries[family.id].family != family.id:
            problems.append(Problem(entries[family.id].file, 1, f"entry '{family.id}' is the overview of its family "
                                                                f"and must have family: {family.id}"))
        specific = sum(1 for e in members if not e.is_overview)
        if specific < MIN_SPECIFIC_ENTRIES:
            problems.append(Problem(name, 1, f"family '{family.id}' has {specific} specific entries; "
                                             f"write at least {MIN_SPECIFIC_ENTRIES}", "warning"))


def _check_references(entries: dict[str, Entry], problems: list[Problem], unreadable: set[str]) -> None:
    for entry in entries.values():
        for related in entry.related:
            if related in unreadable:
                continue
            if related not in entries:
                problems.append(Problem(entry.file, _entry_line(entry, "related"), f"unknown related id '{related}'"))
            elif related == entry.id:
                problems.append(Problem(entry.file, _entry_line(entry, "related"),
                                        "an entry cannot be related to itself"))


def _entry_line(entry: Entry, key: str) -> int:
    return entry.lines.get(key, 1)
