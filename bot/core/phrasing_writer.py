"""Adding an accepted phrasing to a knowledge file without touching the rest of it.

Maintainers write these files by hand, with comments, quoting and layout of their own; dumping the
YAML again would reformat all of it. So the new item is inserted as text into the list it belongs
to (a line after the last item of a block list, or before the `]` of a flow list), and the result is
parsed again to make sure the file now says exactly what it said before plus the one item.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path

import yaml


class WriteError(Exception):
    """One line saying why the phrasing was not added; the file is then unchanged."""


def _sequence(text: str, keys: tuple[str, ...]) -> yaml.SequenceNode:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise WriteError(f"the file is not valid YAML: {exc}") from exc
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            raise WriteError(f"'{key}' is not inside a mapping")
        node = next((value for k, value in node.value if getattr(k, "value", None) == key), None)
        if node is None:
            raise WriteError(f"there is no '{'.'.join(keys)}' list")
    if not isinstance(node, yaml.SequenceNode):
        raise WriteError(f"'{'.'.join(keys)}' is not a list")
    return node


def _single_line(phrasing: str) -> str:
    return " ".join("".join(ch if ch.isprintable() else " " for ch in phrasing).split())


def insert_item(text: str, keys: tuple[str, ...], phrasing: str) -> str:
    """`text` with `phrasing` appended to the list at `keys` (e.g. text.ru.phrasings), everything else byte for byte."""
    phrasing = _single_line(phrasing)
    if not phrasing:
        raise WriteError("the phrasing is empty")
    sequence = _sequence(text, keys)
    quoted = json.dumps(phrasing, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar
    if sequence.flow_style:
        if sequence.value:
            at = sequence.value[-1].end_mark.index
            new = text[:at] + ", " + quoted + text[at:]
        else:
            at = sequence.start_mark.index + 1
            new = text[:at] + quoted + text[at:]
    else:
        new = _insert_block_item(text, sequence, quoted)
    _check_round_trip(text, new, keys, phrasing)
    return new


def _insert_block_item(text: str, sequence: yaml.SequenceNode, quoted: str) -> str:
    lines = text.splitlines(keepends=True)
    first, last = sequence.value[0], sequence.value[-1]
    first_line = lines[first.start_mark.line]
    dash = first_line.rfind("-", 0, first.start_mark.column)
    indent = first_line[:dash]
    if dash < 0 or indent.strip():
        raise WriteError("the list's layout is unusual; add the phrasing by hand")
    end_line = last.end_mark.line if last.end_mark.column > 0 else last.end_mark.line - 1
    newline = "\r\n" if first_line.endswith("\r\n") else "\n"
    if end_line < len(lines) and not lines[end_line].endswith(("\n", "\r")):
        lines[end_line] += newline  # the list ended the file without a final newline
    lines.insert(end_line + 1, f"{indent}- {quoted}{newline}")
    return "".join(lines)


def _check_round_trip(old: str, new: str, keys: tuple[str, ...], phrasing: str) -> None:
    expected = copy.deepcopy(yaml.safe_load(old))
    target = expected
    for key in keys:
        target = target[key]
    target.append(phrasing)
    try:
        actual = yaml.safe_load(new)
    except yaml.YAMLError as exc:
        raise WriteError(f"the edited file would not parse ({exc}); add the phrasing by hand") from exc
    if actual != expected:
        raise WriteError("the edited file would not read back as before plus the phrasing; add it by hand")


def add_to_file(path: Path, keys: tuple[str, ...], phrasing: str) -> None:
    """Insert the phrasing and replace the file atomically (a watching bot never reads half a file)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WriteError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    new = insert_item(text, keys, phrasing)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(new)
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}") from exc
