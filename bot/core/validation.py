"""Every check on the knowledge folder in one place, for `python -m bot validate` and for reloading a running bot.

`load_knowledge` checks the FAQ, topics, synonyms, small talk and off-topic files. The moderation word
list (`blocked_words.yaml`) has its own loader, which names the file but not the line; it is checked
here against its schema and the word rules, with line numbers, so a maintainer gets the same `file:line: message`
for every file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator

from bot.core.knowledge import Knowledge, KnowledgeError, load_knowledge
from bot.core.moderation.words import (
    BlockedWords,
    BlockedWordsError,
    load_blocked_words,
    word_problem,
)
from bot.core.schemas import SCHEMA_FILES, conforms, load_schemas
from bot.core.yamlfile import FileReader, Problem, line_of

BLOCKED_WORDS_FILE = "blocked_words.yaml"


@dataclass(frozen=True)
class Checked:
    """The result of reading the whole folder: what loaded (None where something failed) and all problems."""

    knowledge: Knowledge | None
    words: BlockedWords | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return self.knowledge is not None and self.words is not None and not self.errors


def check_blocked_words(directory: Path, validator: Draft202012Validator) -> tuple[BlockedWords | None, list[Problem]]:
    """The word list and its problems with lines; a missing file is an empty list, as for the bot."""
    directory = Path(directory)
    path = directory / BLOCKED_WORDS_FILE
    if not path.is_file():
        return BlockedWords(), []
    problems: list[Problem] = []
    reader = FileReader(path, directory, problems)
    data = reader.load()
    if data is not None and conforms(reader, data, validator, "blocked_words"):
        for lang, words in data.items():
            for index, word in enumerate(words or []):
                problem = word_problem(word)
                if problem:
                    reader.error(line_of(words, index), f"{lang}: {word!r}: {problem}")
    if problems:
        return None, problems
    try:
        return load_blocked_words(path), []
    except BlockedWordsError as exc:  # a rule the line-aware pass does not know about: still one line
        return None, [Problem(reader.name, 1, str(exc))]


def check_folder(directory: Path, today: dt.date | None = None) -> Checked:
    """Load everything the bot reads from the knowledge folder; collisions are separate (they need a matcher)."""
    problems: list[Problem] = []
    knowledge: Knowledge | None
    try:
        knowledge = load_knowledge(directory, today)
        problems.extend(knowledge.warnings)
    except KnowledgeError as exc:
        knowledge = None
        problems.extend(exc.problems)
    try:
        validators = load_schemas(directory)
    except KnowledgeError:  # the folder or a schema is broken: `load_knowledge` has said so
        return Checked(knowledge, None, tuple(problems))
    words, word_problems = check_blocked_words(directory, validators[SCHEMA_FILES[BLOCKED_WORDS_FILE]])
    problems.extend(word_problems)
    return Checked(knowledge, words, tuple(problems))
