"""Blocked words and phrases (`knowledge/blocked_words.yaml`), matched as whole words whatever the disguise.

Both the list and each message go through `fold()`: case, ё/е, Kazakh letters, zero-width and
repeated characters, Latin and digit look-alikes of Cyrillic letters ("xoхол", "ч у р к а",
"чуууурка"). A list entry is a word or a phrase; a trailing `*` matches any ending ("понаех*").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

# a word list for each language the answers are written in; the knowledge files' loader (no aliases, no links, bounded)
from bot.core.knowledge import LANGUAGES, load_yaml, read_limited
from bot.core.text import normalise

# Latin letters that look like (or stand in for) Cyrillic ones, after lower-casing.
_LOOKALIKES = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "e": "е",
        "h": "н",
        "i": "и",
        "k": "к",
        "m": "м",
        "n": "п",
        "o": "о",
        "p": "р",
        "r": "г",
        "t": "т",
        "u": "и",
        "x": "х",
        "y": "у",
    }
)
_DIGITS = str.maketrans({"0": "о", "3": "з", "4": "ч", "6": "б"})
_AT_IN_WORD = re.compile(r"(?<=\w)@|@(?=\w)")
_ANY_REPEAT = re.compile(r"(.)\1+")
_HAS_LETTER = re.compile(r"[^\W\d_]")


def _fold_token(token: str) -> str:
    if _HAS_LETTER.search(token):
        token = token.translate(_DIGITS)
    token = token.translate(_LOOKALIKES)
    return _ANY_REPEAT.sub(r"\1", token)


def fold(text: str) -> list[str]:
    """A message's words in the folded form the list is matched against."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _AT_IN_WORD.sub("а", text)
    return [_fold_token(token) for token in normalise(text).split()]


def _joined_runs(tokens: list[str]) -> list[str]:
    """ "ч у р к а" → "чурка": runs of three or more one-letter words read as one word."""
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1:
            run.append(token)
            continue
        if len(run) >= 3:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if token:
            out.append(token)
    return out


@dataclass(frozen=True)
class Pattern:
    text: str  # as written in the file
    tokens: tuple[str, ...]
    prefix: bool  # the last word may continue ("понаех*")

    def matches_at(self, words: list[str], start: int) -> bool:
        if start + len(self.tokens) > len(words):
            return False
        for i, token in enumerate(self.tokens):
            word = words[start + i]
            last = i == len(self.tokens) - 1
            if not (word == token or (last and self.prefix and word.startswith(token))):
                return False
        return True


class BlockedWordsError(ValueError):
    pass


class BlockedWords:
    def __init__(self, entries: dict[str, list[str]] | None = None):
        self.patterns: list[Pattern] = []
        self._by_first: dict[str, list[Pattern]] = {}
        self._prefix_first: list[Pattern] = []
        for words in (entries or {}).values():
            for raw in words:
                self.add(raw)

    def add(self, raw: str) -> None:
        raw = raw.strip()
        prefix = raw.endswith("*")
        tokens = tuple(fold(raw.rstrip("*")))
        if not tokens:
            return
        pattern = Pattern(raw, tokens, prefix)
        self.patterns.append(pattern)
        if prefix and len(tokens) == 1:
            self._prefix_first.append(pattern)
        else:
            self._by_first.setdefault(tokens[0], []).append(pattern)

    def __len__(self) -> int:
        return len(self.patterns)

    def find(self, text: str | None) -> str | None:
        """The list entry the text contains (as written in the file), or None."""
        if not text or not self.patterns:
            return None
        tokens = fold(text)
        for words in (tokens, _joined_runs(tokens)):
            for start, word in enumerate(words):
                for pattern in self._by_first.get(word, ()):
                    if pattern.matches_at(words, start):
                        return pattern.text
                for pattern in self._prefix_first:
                    if word.startswith(pattern.tokens[0]):
                        return pattern.text
        return None


def word_problem(word: str) -> str | None:
    """Why a list entry cannot be used, or None; shared with `python -m bot validate`, which adds the line."""
    if "*" in word.strip().rstrip("*") or word.strip().endswith("**"):
        return "'*' is allowed once, at the end"
    if not fold(word.rstrip("*")):
        return "has no letters"
    return None


def load_blocked_words(path: Path) -> BlockedWords:
    """Read the list; a missing file is an empty list, a malformed one raises `BlockedWordsError` naming the problem."""
    path = Path(path)
    if not path.is_file():
        return BlockedWords()
    try:
        data = load_yaml(read_limited(path))
    except OSError as exc:
        raise BlockedWordsError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    except ValueError as exc:  # too big, not UTF-8 (yaml.YAMLError is not one)
        raise BlockedWordsError(f"{path}: cannot read the file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise BlockedWordsError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return BlockedWords()
    if not isinstance(data, dict):
        raise BlockedWordsError(f"{path}: expected a mapping of ru / en / kk to lists of words")
    entries: dict[str, list[str]] = {}
    for lang, words in data.items():
        if lang not in LANGUAGES:
            raise BlockedWordsError(f"{path}: unknown language {lang!r}; use ru, en or kk")
        if words is None:
            continue
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise BlockedWordsError(f"{path}: {lang} must be a list of non-empty words or phrases")
        for word in words:
            problem = word_problem(word)
            if problem:
                raise BlockedWordsError(f"{path}: {lang}: {word!r}: {problem}")
        entries[lang] = words
    return BlockedWords(entries)
