"""A copy of the shipped knowledge folder and edits of its files, for the tests of loading, validating and reloading."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.support import KNOWLEDGE_DIR


def copy_knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """The 1-based line of the first `needle` (after the first `after`, when given)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines[start:], start + 1) if needle in line)


def append_top_level(path: Path, key: str, value: str) -> int:
    """Add `key: value` at the top level of a mapping file (a `- ` item of a list file); returns its line."""
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
    is_list = yaml.safe_load(text).__class__ is list
    addition = f"- {{{key}: {value}}}\n" if is_list else f"{key}: {value}\n"
    path.write_text(text + addition, encoding="utf-8")
    return len(text.splitlines()) + 1


def alias_bomb(path: Path) -> int:
    """A small "billion laughs": each level lists the previous one six times (6**6 items once expanded)."""
    first = append_top_level(path, "lol0", "&l0 [lol, lol, lol, lol, lol, lol]")
    for level in range(1, 7):
        append_top_level(path, f"lol{level}", f"&l{level} [" + ", ".join([f"*l{level - 1}"] * 6) + "]")
    return first
