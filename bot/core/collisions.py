"""Collisions: a phrasing of one entry that the matcher gives to another entry.

One look-up per distinct phrasing (a phrasing repeated in a file, or shared by entries, is ranked once), so
the check grows with the number of phrasings, which the loader's size limits bound (bot/core/knowledge.py)."""

from __future__ import annotations

from bot.core.knowledge import Knowledge, Problem
from bot.core.matcher import OFFTOPIC, Matcher


def find_collisions(knowledge: Knowledge, matcher: Matcher | None = None) -> list[Problem]:
    matcher = matcher or Matcher(knowledge)
    ranked: dict[str, list] = {}

    def rank(phrasing: str) -> list:
        if phrasing not in ranked:
            ranked[phrasing] = matcher.rank(phrasing)[1]
        return ranked[phrasing]

    problems = []
    for entry in knowledge.entries.values():
        for lang, text in entry.texts.items():
            for phrasing in dict.fromkeys((text.question, *text.phrasings)):
                ranking = rank(phrasing)
                if ranking and ranking[0][0] != entry.id:
                    winner, score, _ = ranking[0]
                    own = next((s for e, s, _ in ranking if e == entry.id), 0.0)
                    problems.append(Problem(entry.file, text.lines.get(phrasing, 1), f"collision: {lang} phrasing {phrasing!r} matches '{winner}' ({score:.0f}) better than its own entry ({own:.0f})"))
    for lang, phrasings in knowledge.offtopic.items():
        for phrasing in dict.fromkeys(phrasings):
            ranking = rank(phrasing)
            if ranking and ranking[0][0] != OFFTOPIC:
                file, line = knowledge.offtopic_lines.get(phrasing, ("knowledge/offtopic.yaml", 1))
                problems.append(Problem(file, line, f"collision: off-topic {lang} phrasing {phrasing!r} matches '{ranking[0][0]}'"))
    return problems
