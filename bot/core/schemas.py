"""The JSON Schemas beside the knowledge files (`knowledge/*.schema.json`): the one definition of each file's
format, checked with jsonschema, each error placed at the line to fix."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from bot.core.yamlfile import FileReader, KnowledgeError, Problem, line_at, line_of, load_yaml, relative_name

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
        reader = FileReader(directory / name, directory, problems)
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
                        relative_name(directory / name, directory),
                        line_at(lines, path, "$ref"),
                        f"$ref '{ref}' leads nowhere",
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


def _read_schema(reader: FileReader) -> tuple[Any, Any] | None:
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
        line = line_at(lines, path[:-1], path[-1]) if path else 1
        reader.error(
            line, f"not a valid JSON Schema (Draft 2020-12): {'/'.join(map(str, path)) or 'the schema'}: {message}"
        )
    if not errors and not (isinstance(schema, dict) and schema.get("$schema") == DRAFT_2020_12):
        reader.error(line_of(lines, "$schema"), f"'$schema' must be {DRAFT_2020_12}")
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
                yield line_at(data, path), f"{_where(root, path)}: missing field '{key}'"
    elif error.validator == "additionalProperties" and rule is False:
        allowed = list(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield (
                    line_at(data, path, key),
                    f"{_where(root, path)}: unknown field '{key}'; use {', '.join(allowed)}",
                )
    else:
        message = schema.get("errorMessage") or _plain(error)
        line = line_at(data, path[:-1], path[-1]) if path else line_of(data)
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


def conforms(reader: FileReader, data: Any, validator: Draft202012Validator, root: str) -> bool:
    """Report each way `data` breaks its schema at the line to fix; True when it breaks none."""
    found: set[tuple[int, str]] = set()
    for error in validator.iter_errors(data):
        found.update(_schema_problems(error, data, root))
    for line, message in sorted(found):
        reader.error(line, message)
    return not found
