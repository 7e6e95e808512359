"""Measuring the matcher on a labelled question file (the format of shared/eval/questions.yaml)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.core.matcher import Matcher

NONE = "none"


@dataclass
class StyleFigures:
    labelled: int = 0
    correct: int = 0
    confident_wrong: int = 0
    clarified: int = 0
    none_items: int = 0
    none_answered: int = 0

    def add(self, expect: str, outcome: str, entry_id: str | None) -> None:
        if expect == NONE:
            self.none_items += 1
            self.none_answered += outcome == "answer"
            return
        self.labelled += 1
        if outcome == "answer":
            self.correct += entry_id == expect
            self.confident_wrong += entry_id != expect
        self.clarified += outcome == "clarify"


@dataclass
class Report:
    styles: dict[str, StyleFigures] = field(default_factory=lambda: defaultdict(StyleFigures))
    total: StyleFigures = field(default_factory=StyleFigures)
    misses: list[tuple[str, str, str, str | None, float]] = field(default_factory=list)


def load_items(path: Path) -> list[dict]:
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(items, list) or not all(isinstance(i, dict) and "q" in i and "expect" in i for i in items):
        raise ValueError(f"{path}: expected a list of items with 'q' and 'expect'")
    return items


def evaluate(matcher: Matcher, items: list[dict]) -> Report:
    report = Report()
    for item in items:
        question, expect, style = str(item["q"]), str(item["expect"]), str(item.get("style", "-"))
        match = matcher.match(question)
        entry_id = match.entry_id if match.outcome == "answer" else None
        report.styles[style].add(expect, match.outcome, entry_id)
        report.total.add(expect, match.outcome, entry_id)
        wrong = (entry_id != expect) if expect != NONE else match.outcome == "answer"
        if wrong:
            shown = entry_id or (match.alternatives[0] if match.alternatives else None)
            report.misses.append((style, question, expect, f"{match.outcome}:{shown}", match.score))
    return report


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:5.1f}%" if whole else "    -"


def format_report(report: Report, show_misses: bool = False) -> str:
    lines = [
        "| style | labelled | top-1 accuracy | confident wrong | clarified | none items | none answered |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in sorted(report.styles.items()) + [("**all**", report.total)]:
        lines.append(
            f"| {name} | {f.labelled} | {_pct(f.correct, f.labelled)} | {_pct(f.confident_wrong, f.labelled)} | "
            f"{_pct(f.clarified, f.labelled)} | {f.none_items} | {_pct(f.none_answered, f.none_items)} |"
        )
    if show_misses and report.misses:
        lines.append("")
        lines.append("misses (style, question, expected, got, score):")
        lines.extend(f"  {s:8} {q!r} expected {e} got {g} ({sc:.1f})" for s, q, e, g, sc in report.misses)
    return "\n".join(lines)
