"""Measuring the matcher: on a labelled question file, and by cross-validation over the knowledge's own phrasings.

A label is a family id (the evaluation sets' unit), an entry id (then the entry is scored too), or `none`.
Cross-validation hides one fold of the phrasings from the matcher at a time and asks them: a matcher that
only remembers its phrasings fails it, one that generalises does not.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.core.doubt import Doubt, Evidence, fit
from bot.core.knowledge import Knowledge
from bot.core.matcher import Match, Matcher, Thresholds

NONE = "none"
OFFTOPIC_LABEL = "offtopic"
# The language a reply should be in, by an item's style; other styles (polite, long, …) are not checked.
STYLE_LANGUAGE = {
    "ru": "ru",
    "translit": "ru",
    "layout": "ru",
    "typo": "ru",
    "mixed": "ru",
    "en": "en",
    "kk": "kk",
    "uk": "uk",
}


@dataclass
class Figures:
    labelled: int = 0
    correct: int = 0  # answered, in the right family
    confident_wrong: int = 0  # answered, in another family
    clarified: int = 0
    offered: int = 0  # the right family answered or among the choices
    entry_labelled: int = 0
    entry_correct: int = 0  # answered with the labelled entry
    language_right: int = 0
    none_items: int = 0
    none_answered: int = 0

    def add(self, family: str, entry: str | None, language: str | None, match: Match) -> None:
        self.language_right += language is None or match.language == language
        if family == NONE:
            self.none_items += 1
            self.none_answered += match.outcome == "answer"
            return
        self.labelled += 1
        answered = match.outcome == "answer"
        self.correct += answered and match.family == family
        self.confident_wrong += answered and match.family != family
        self.clarified += match.outcome == "clarify"
        self.offered += (answered and match.family == family) or (
            match.outcome == "clarify" and family in match.alternative_families
        )
        if entry is not None:
            self.entry_labelled += 1
            self.entry_correct += answered and match.entry_id == entry


@dataclass
class Report:
    groups: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    total: Figures = field(default_factory=Figures)
    misses: list[tuple[str, str, str, str, float]] = field(default_factory=list)
    group_name: str = "style"


def load_items(path: Path) -> list[dict]:
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(items, list) or not all(isinstance(i, dict) and "q" in i and "expect" in i for i in items):
        raise ValueError(f"{path}: expected a list of items with 'q' and 'expect'")
    return items


def _label(knowledge: Knowledge, expect: str) -> tuple[str, str | None]:
    """(family, entry or None) of a label."""
    if expect in (NONE, OFFTOPIC_LABEL):
        return NONE, None
    entry = knowledge.entries.get(expect)
    if entry is not None and not entry.is_overview:
        return entry.family, entry.id
    return expect, None


def conversation_match(matcher: Matcher, before: list[str], question: str) -> Match:
    """The last message of a conversation, read after the earlier ones (the previous answer is its context)."""
    follows = None
    for earlier in before:
        previous = matcher.match(earlier, follows)
        if previous.outcome == "answer":
            follows = previous.entry_id
    return matcher.match(question, follows)


def _shown(match: Match) -> str:
    if match.outcome == "answer":
        return f"answer:{match.entry_id}"
    return f"{match.outcome}:{','.join(match.alternatives) or '-'}"


def _record(
    report: Report,
    group: str,
    question: str,
    expect: str,
    family: str,
    entry: str | None,
    language: str | None,
    match: Match,
) -> None:
    report.groups[group].add(family, entry, language, match)
    report.total.add(family, entry, language, match)
    if family == NONE:
        wrong = match.outcome == "answer"
    else:
        wrong = match.outcome != "answer" or match.family != family or (entry is not None and match.entry_id != entry)
    if wrong or (language is not None and match.language != language):
        report.misses.append((group, question, expect, f"{_shown(match)} [{match.language}]", match.score))


def evaluate(matcher: Matcher, items: list[dict], group_by: str = "style") -> Report:
    report = Report(group_name=group_by)
    for item in items:
        question, expect = str(item["q"]), str(item["expect"])
        before = [str(b) for b in item.get("before") or []]
        family, entry = _label(matcher.knowledge, expect)
        match = conversation_match(matcher, before, question)
        group = str(item.get(group_by, "-")) if group_by != "family" else family
        _record(report, group, question, expect, family, entry, STYLE_LANGUAGE.get(str(item.get("style"))), match)
    return report


def _without(knowledge: Knowledge, hidden: set[tuple[str, str, str]]) -> Knowledge:
    """The knowledge minus some phrasings ((entry or offtopic, language, phrasing))."""
    entries = {}
    for entry_id, entry in knowledge.entries.items():
        texts = {
            lang: dataclasses.replace(
                text, phrasings=tuple(p for p in text.phrasings if (entry_id, lang, p) not in hidden)
            )
            for lang, text in entry.texts.items()
        }
        entries[entry_id] = dataclasses.replace(entry, texts=texts)

    def kept(lists: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return {lang: tuple(p for p in ps if (OFFTOPIC_LABEL, lang, p) not in hidden) for lang, ps in lists.items()}

    return dataclasses.replace(
        knowledge,
        entries=entries,
        offtopic=kept(knowledge.offtopic),
        offtopic_neighbours=kept(knowledge.offtopic_neighbours),
    )


def _folds(
    knowledge: Knowledge, folds: int, make: Callable[[Knowledge], Matcher], seed: int
) -> Iterator[tuple[str, str, str, Match]]:
    """(entry id or offtopic, language, phrasing, its match) of every phrasing, each asked with its fold hidden."""
    items = [
        (entry_id, lang, p)
        for entry_id, entry in knowledge.entries.items()
        for lang, text in entry.texts.items()
        for p in text.phrasings
    ]
    items += [
        (OFFTOPIC_LABEL, lang, p)
        for lists in (knowledge.offtopic, knowledge.offtopic_neighbours)
        for lang, ps in lists.items()
        for p in ps
    ]
    random.Random(seed).shuffle(items)
    for fold in range(folds):
        hidden = items[fold::folds]
        matcher = make(_without(knowledge, set(hidden)))
        for entry_id, lang, phrasing in hidden:
            yield entry_id, lang, phrasing, matcher.match(phrasing)


def cross_validate(
    knowledge: Knowledge,
    folds: int,
    make: Callable[[Knowledge], Matcher] = Matcher,
    group_by: str = "lang",
    seed: int = 0,
) -> Report:
    """K-fold cross-validation over the phrasings: each fold hidden from the matcher, then asked.

    Grouped by the phrasing's language (`lang`) or by family (`family`)."""
    report = Report(group_name=group_by)
    for entry_id, lang, phrasing, match in _folds(knowledge, folds, make, seed):
        family, entry = _label(knowledge, entry_id)
        group = lang if group_by == "lang" else family
        _record(report, group, phrasing, entry_id, family, entry, lang, match)
    return report


def fit_doubt(knowledge: Knowledge, folds: int, files: list[list[dict]], budget: float) -> Doubt:
    """The doubt model (bot/core/doubt.py) fitted on the answers the matcher gives without it: the knowledge's
    phrasings by cross-validation, and labelled question files; right when in the labelled family."""

    def make(known: Knowledge) -> Matcher:
        return Matcher(known, Thresholds(doubt=None))

    evidences: list[Evidence] = []
    right: list[bool] = []
    written_apart: list[bool] = []

    def add(expect: str, match: Match, apart: bool) -> None:
        if match.outcome == "answer" and match.evidence is not None:
            evidences.append(match.evidence)
            right.append(match.family == _label(knowledge, expect)[0])
            written_apart.append(apart)

    for entry_id, _, _, match in _folds(knowledge, folds, make, 0):
        add(entry_id, match, False)
    matcher = make(knowledge)
    for items in files:
        for item in items:
            before = [str(b) for b in item.get("before") or []]
            add(str(item["expect"]), conversation_match(matcher, before, str(item["q"])), True)
    return fit(evidences, right, written_apart, budget)


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:5.1f}%" if whole else "    -"


def format_report(report: Report, show_misses: bool = False) -> str:
    lines = [
        f"| {report.group_name} | labelled | top-1 (family) | confident wrong | clarified | family offered | "
        "entry right | language right | none items | none answered |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in [*sorted(report.groups.items()), ("**all**", report.total)]:
        lines.append(
            f"| {name} | {f.labelled} | {_pct(f.correct, f.labelled)} | {_pct(f.confident_wrong, f.labelled)} | "
            f"{_pct(f.clarified, f.labelled)} | {_pct(f.offered, f.labelled)} | "
            f"{_pct(f.entry_correct, f.entry_labelled)} | {_pct(f.language_right, f.labelled + f.none_items)} | "
            f"{f.none_items} | {_pct(f.none_answered, f.none_items)} |"
        )
    if show_misses and report.misses:
        lines.append("")
        lines.append(f"misses ({report.group_name}, question, expected, got [language], confidence):")
        lines.extend(f"  {g:8} {q!r} expected {e} got {got} ({sc:.1f})" for g, q, e, got, sc in report.misses)
    return "\n".join(lines)
