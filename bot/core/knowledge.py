"""Loading and validating the FAQ knowledge (`knowledge/*.yaml`).

The JSON Schemas beside the files (`knowledge/*.schema.json`, `schema.json` for entries) define each file's
format; the code checks only what a schema cannot say (other files, the file name, HTML, answer lengths).
Every problem is reported as `file:line: message`, so a maintainer can jump straight to it.
Loading either returns a complete `Knowledge` or raises `KnowledgeError` with all problems found:
the bot never runs on half a knowledge base.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from bot.core.html_check import telegram_html_problems, visible_length

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

    def __init__(self, message: str, mark: Any):  # a yaml.Mark, or libyaml's own Mark class
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
# A date stays the text it is written as: JSON, and so the schemas, know no dates
# (a schema's "format": "date" checks it).
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _FastSafeLoader.construct_yaml_str)


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
            problems.append(
                Problem(
                    _name(path, directory), 1, "a symbolic link or outside the knowledge folder: not read", "warning"
                )
            )
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
        return Problem(
            str(directory),
            1,
            f"the knowledge files together take {total // 1024} KB; the limit is {MAX_TOTAL_BYTES // 1024} KB",
        )
    return None


def _line_of(container: Any, key: Any = None) -> int:
    if key is not None and isinstance(container, _Map) and key in container.key_lines:
        return container.key_lines[key]
    if key is not None and isinstance(container, _List) and isinstance(key, int) and key < len(container.item_lines):
        return container.item_lines[key]
    return getattr(container, "line", 1)


def _line_at(data: Any, path: Sequence[Any], key: Any = None) -> int:
    """The line of `key` in the node at `path` (of the node itself without a key); 1 where the path leads nowhere."""
    try:
        for step in path:
            data = data[step]
    except (KeyError, IndexError, TypeError):
        return 1
    return _line_of(data, key)


class _Reader:
    """Collects problems for one file while reading it."""

    def __init__(self, path: Path, root: Path, problems: list[Problem]):
        self.name = _name(path, root)
        self.path = path
        self.problems = problems

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message, "warning"))

    def named_file(self, directory: Path) -> bool:
        """True when the file exists inside the folder; a missing, linked or outside one is an error."""
        if (self.path.exists() or self.path.is_symlink()) and not inside(directory, self.path):
            self.error(1, "a symbolic link or outside the knowledge folder: not read")
            return False
        if not self.path.is_file():
            self.error(1, "file not found")
            return False
        return True

    def text(self) -> str | None:
        try:
            return read_limited(self.path)
        except OSError as exc:
            reason = "a symbolic link: not read" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
            self.error(1, f"cannot read the file: {reason}")
        except ValueError as exc:  # too big, not a regular file, not UTF-8
            self.error(1, f"cannot read the file: {exc}")
        return None

    def load(self) -> Any:
        text = self.text()
        if text is None:
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

    def conforms(self, data: Any, validator: Draft202012Validator, root: str) -> bool:
        """Report each way `data` breaks its schema at the line to fix; True when it breaks none."""
        found: set[tuple[int, str]] = set()
        for error in validator.iter_errors(data):
            found.update(_schema_problems(error, data, root))
        for line, message in sorted(found):
            self.error(line, message)
        return not found


# --- the schemas: the definition of every file's format ----------------------------------------

SCHEMA_FILES = {
    "topics.yaml": "topics.schema.json",
    "families.yaml": "families.schema.json",
    "synonyms.yaml": "synonyms.schema.json",
    "smalltalk.yaml": "smalltalk.schema.json",
    "offtopic.yaml": "offtopic.schema.json",
    "blocked_words.yaml": "blocked_words.schema.json",
    "faq": "schema.json",
}  # "faq": every entry
_KINDS = {
    "string": "a text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "empty",
}
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def load_schemas(directory: Path) -> dict[str, Draft202012Validator]:
    """A validator per schema file of the folder; `KnowledgeError` when one cannot be read, is not a valid
    Draft 2020-12 schema or has a $ref that leads nowhere: no knowledge file is judged by a broken definition."""
    problems: list[Problem] = []
    schemas: dict[str, tuple[Any, Any]] = {}  # name -> (schema, the same with lines)
    for name in sorted(set(SCHEMA_FILES.values())):
        reader = _Reader(directory / name, directory, problems)
        read = _read_schema(reader) if reader.named_file(directory) else None
        if read is not None:
            schemas[name] = read
    if problems:
        raise KnowledgeError(problems)
    registry = Registry().with_resources((name, DRAFT202012.create_resource(s)) for name, (s, _) in schemas.items())
    for name, (schema, lines) in schemas.items():
        for path, ref in _refs(schema):
            try:
                registry.resolver(base_uri=name).lookup(ref)
            except Unresolvable:
                problems.append(
                    Problem(
                        _name(directory / name, directory), _line_at(lines, path, "$ref"), f"$ref '{ref}' leads nowhere"
                    )
                )
    if problems:
        raise KnowledgeError(problems)
    return {name: _validator(schema, name, registry) for name, (schema, _) in schemas.items()}


class _Cycle(Exception):
    """A $ref that leads back to itself: such a schema cannot be inlined."""


def _validator(schema: Any, name: str, registry: Registry) -> Draft202012Validator:
    with contextlib.suppress(_Cycle):  # a recursive schema is checked through its $refs, only slower
        schema = _inlined(schema, registry.resolver(base_uri=name))
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _inlined(node: Any, resolver: Any, following: tuple[int, ...] = ()) -> Any:
    """The schema with each $ref replaced by what it points at (`{"$ref": r, ...}` means `allOf: [r, {...}]`), so
    that checking the entries looks nothing up per value (half of the time a check took)."""
    if isinstance(node, list):
        return [_inlined(value, resolver, following) for value in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return {key: _inlined(value, resolver, following) for key, value in node.items()}
    resolved = resolver.lookup(ref)
    if id(resolved.contents) in following:
        raise _Cycle(ref)
    target = _inlined(resolved.contents, resolved.resolver, (*following, id(resolved.contents)))
    rest = {key: _inlined(value, resolver, following) for key, value in node.items() if key != "$ref"}
    return {"allOf": [target, rest]} if rest else target


def _read_schema(reader: _Reader) -> tuple[Any, Any] | None:
    """(the schema, the same read as YAML for its lines), or None after reporting why it cannot be used."""
    text = reader.text()
    if text is None:
        return None
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        reader.error(exc.lineno, f"JSON syntax error: {exc.msg}")
        return None
    try:
        lines = load_yaml(text)  # JSON is YAML: the same tree, with lines
    except yaml.YAMLError:
        lines = None
    errors = _meta_errors(text)
    for path, message in errors:
        line = _line_at(lines, path[:-1], path[-1]) if path else 1
        reader.error(
            line, f"not a valid JSON Schema (Draft 2020-12): {'/'.join(map(str, path)) or 'the schema'}: {message}"
        )
    if not errors and not (isinstance(schema, dict) and schema.get("$schema") == DRAFT_2020_12):
        reader.error(_line_of(lines, "$schema"), f"'$schema' must be {DRAFT_2020_12}")
        return None
    return None if errors else (schema, lines)


@functools.lru_cache(maxsize=32)
def _meta_errors(text: str) -> tuple[tuple[tuple, str], ...]:
    """(path, message) for each way a schema breaks Draft 2020-12; remembered, as this is the slow part of a reload."""
    return tuple((tuple(error.absolute_path), error.message) for error in _META.iter_errors(json.loads(text)))


def _refs(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(path of the subschema, its $ref) for every $ref of a schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from _refs(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, (*path, index))


def _schema_problems(error: ValidationError, data: Any, root: str) -> Iterator[tuple[int, str]]:
    """(line, message) for what a jsonschema error is about: a missing field at its mapping, an unknown one at its
    key, a wrong value at its key or item, with the schema's `errorMessage` where it has one."""
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    # never `Unset` on an error a validator yields (the stubs allow it for a hand-made one)
    rule: Any = error.validator_value
    instance: Any = error.instance
    if error.validator == "required":
        for key in rule:
            if key not in instance:
                yield _line_at(data, path), f"{_where(root, path)}: missing field '{key}'"
    elif error.validator == "additionalProperties" and rule is False:
        allowed = list(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield (
                    _line_at(data, path, key),
                    f"{_where(root, path)}: unknown field '{key}'; use {', '.join(allowed)}",
                )
    else:
        message = schema.get("errorMessage") or _plain(error)
        line = _line_at(data, path[:-1], path[-1]) if path else _line_of(data)
        if path and isinstance(path[-1], str):
            yield line, f"{_where(root, path[:-1])}: '{path[-1]}' {message}"
        else:
            yield line, f"{_where(root, path)}: {message}"


def _plain(error: ValidationError) -> str:
    """A message for a schema rule without an `errorMessage`."""
    rule: Any = error.validator_value  # never `Unset` on an error a validator yields
    instance: Any = error.instance
    if error.validator == "type":
        kinds = [rule] if isinstance(rule, str) else rule
        return "must be " + " or ".join(_KINDS.get(kind, kind) for kind in kinds)
    if error.validator in ("minItems", "maxItems"):
        bound = "at least" if error.validator == "minItems" else "at most"
        return f"needs {bound} {rule} items, has {len(instance)}"
    return error.message


def _where(root: str, path: Sequence[Any]) -> str:
    """`text.ru`, `sources[0]`, `topics[2]`: a node named as a maintainer reads the file; the file's kind at the top."""
    where = ""
    for step in path:
        where += f"[{step}]" if isinstance(step, int) else f".{step}" if where else str(step)
    return root + where if not where or where.startswith("[") else where


# --- entries: what the schema cannot say ---------------------------------------------------------


def _read_entry(reader: _Reader, data: _Map, today: dt.date, families: dict[str, Family]) -> Entry | None:
    """An entry that conforms to schema.json, checked against its file name, the families and the calendar."""
    entry_id, family_id = data["id"], data["family"].strip()
    if reader.path.stem != entry_id:
        reader.error(_line_of(data, "id"), f"entry: id '{entry_id}' differs from the file name '{reader.path.stem}'")
    family = families.get(family_id)
    if families and family is None:
        reader.error(_line_of(data, "family"), f"entry: unknown family '{family_id}' (families.yaml lists them)")
    reviewed = dt.date.fromisoformat(data["reviewed"])
    if (today - reviewed).days > STALE_AFTER_DAYS:
        reader.warn(
            _line_of(data, "reviewed"),
            f"entry: reviewed {reviewed.isoformat()}, more than {STALE_AFTER_DAYS} days ago: check the facts again",
        )
    valid_until = dt.date.fromisoformat(data["valid_until"]) if "valid_until" in data else None
    if valid_until and valid_until < today:
        reader.warn(
            _line_of(data, "valid_until"), f"entry: the offer ended on {valid_until.isoformat()}; it is shown as ended"
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
        lines = {question: _line_of(block, "question"), **_phrasing_lines(block)}
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


def _check_answer(reader: _Reader, block: dict, where: str, answer: str, kind: str, lang: str) -> None:
    line = _line_of(block, "answer")
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


def _read_topics(reader: _Reader, data: list) -> tuple[Topic, ...]:
    return tuple(Topic(item["id"].strip(), _menu_titles(item)) for item in data)


def _menu_titles(item: dict) -> dict[str, str]:
    return {lang: item["title"][lang].strip() for lang in MENU_LANGUAGES}


def _read_families(reader: _Reader, data: list) -> tuple[Family, ...]:
    return tuple(Family(item["id"], item["topic"].strip(), _menu_titles(item)) for item in data)


def _read_synonyms(reader: _Reader, data: dict) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(w.strip() for w in group) for group in data["groups"] or ())


def _read_smalltalk(reader: _Reader, data: dict) -> tuple[SmalltalkIntent, ...]:
    intents = []
    for index, item in enumerate(data["intents"] or ()):
        replies = item["reply"]
        for lang, reply in replies.items():
            for message in telegram_html_problems(reply):
                reader.error(_line_of(replies, lang), f"intents[{index}].reply.{lang}: {message}")
        intents.append(
            SmalltalkIntent(
                item["id"].strip(),
                {lang: tuple(str(p) for p in values) for lang, values in item["patterns"].items()},
                {lang: reply.strip() for lang, reply in replies.items()},
            )
        )
    return tuple(intents)


def _read_offtopic(reader: _Reader, data: dict) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, int]]]:
    """(phrasings per language, phrasing -> (file, line)) so that collisions can point at the line."""
    phrasings = data["phrasings"]
    lines = {
        str(p).strip(): (reader.name, line)
        for values in phrasings.values()
        for p, line in zip(values, values.item_lines, strict=True)
    }
    return {lang: _texts(values) for lang, values in phrasings.items()}, lines


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

    def read(name: str, root: str, parse: Callable[[_Reader, Any], T]) -> T | tuple[()]:
        reader = _Reader(directory / name, directory, problems)
        if not reader.named_file(directory):
            return ()
        data = reader.load()
        if data is None or not reader.conforms(data, validators[SCHEMA_FILES[name]], root):
            return ()
        return parse(reader, data)

    topics = read("topics.yaml", "topics", _read_topics)
    families = read("families.yaml", "families", _read_families)
    synonyms = read("synonyms.yaml", "synonyms", _read_synonyms)
    smalltalk = read("smalltalk.yaml", "smalltalk", _read_smalltalk)
    offtopic: dict[str, tuple[str, ...]] = {}
    offtopic_lines: dict[str, tuple[str, int]] = {}
    if (directory / "offtopic.yaml").exists() or (
        directory / "offtopic.yaml"
    ).is_symlink():  # optional; an unreadable one is an error reported by read()
        offtopic, offtopic_lines = read("offtopic.yaml", "offtopic", _read_offtopic) or ({}, {})

    entries: dict[str, Entry] = {}
    unreadable: set[str] = set()  # ids of entries whose file failed: no "unknown id" noise about them
    files = listed(directory, (directory / "faq").rglob("*.yaml"), problems)
    if not files:
        problems.append(Problem(str(directory / "faq"), 1, "no FAQ entries found"))
    family_by_id = {f.id: f for f in families}
    for path in files:
        reader = _Reader(path, directory, problems)
        data = reader.load()
        conforms = data is not None and reader.conforms(data, validators[SCHEMA_FILES["faq"]], "entry")
        entry = _read_entry(reader, data, today, family_by_id) if conforms else None
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
