"""Reading one knowledge file safely, with the line of every node, so that each problem is reported as
`file:line: message`: size limits, no symbolic links, no YAML aliases (refused before anything is built).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


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
                    relative_name(path, directory),
                    1,
                    "a symbolic link or outside the knowledge folder: not read",
                    "warning",
                )
            )
    return kept


def relative_name(path: Path, root: Path) -> str:
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


def line_of(container: Any, key: Any = None) -> int:
    if key is not None and isinstance(container, _Map) and key in container.key_lines:
        return container.key_lines[key]
    if key is not None and isinstance(container, _List) and isinstance(key, int) and key < len(container.item_lines):
        return container.item_lines[key]
    return getattr(container, "line", 1)


def line_at(data: Any, path: Sequence[Any], key: Any = None) -> int:
    """The line of `key` in the node at `path` (of the node itself without a key); 1 where the path leads nowhere."""
    try:
        for step in path:
            data = data[step]
    except (KeyError, IndexError, TypeError):
        return 1
    return line_of(data, key)


class FileReader:
    """Collects problems for one file while reading it."""

    def __init__(self, path: Path, root: Path, problems: list[Problem]):
        self.name = relative_name(path, root)
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
