"""Collisions: a phrasing of one entry that the matcher answers with another entry, or turns away as a subject
offtopic.yaml leaves out.

One match per distinct phrasing (a phrasing repeated in a file, or shared by entries, is matched once), so the
check grows with the number of phrasings, which the loader's size limits bound (bot/core/knowledge.py)."""

from __future__ import annotations

from bot.core.knowledge import Knowledge, Problem
from bot.core.matcher import Matcher


def find_collisions(knowledge: Knowledge, matcher: Matcher | None = None) -> list[Problem]:
    """Every phrasing asked as a newcomer would ask it: answered with another entry is a collision (a phrasing
    the matcher only offers among choices is not: it is still one tap away); an off-topic phrasing answered
    with an entry is one too."""
    matcher = matcher or Matcher(knowledge)  # it remembers its matches: a phrasing shared by entries is matched once
    problems = []
    for entry in knowledge.entries.values():
        for lang, text in entry.texts.items():
            for phrasing in dict.fromkeys(p for p in (text.question, *text.phrasings) if p):  # uk has no question
                if matcher.leaves_out(phrasing):
                    problems.append(
                        Problem(
                            entry.file,
                            text.lines.get(phrasing, 1),
                            f"collision: {lang} phrasing {phrasing!r} names what offtopic.yaml leaves out (its abroad, "
                            "nearby, uncovered or pairs)",
                        )
                    )
                    continue
                match = matcher.match(phrasing)
                if match.outcome == "answer" and match.entry_id != entry.id:
                    problems.append(
                        Problem(
                            entry.file,
                            text.lines.get(phrasing, 1),
                            f"collision: {lang} phrasing {phrasing!r} is answered with '{match.entry_id}'",
                        )
                    )
    offtopic = (knowledge.offtopic, knowledge.offtopic_neighbours)
    for lang, phrasing in dict.fromkeys((lang, p) for lists in offtopic for lang, ps in lists.items() for p in ps):
        match = matcher.match(phrasing)
        if match.outcome == "answer":
            file, line = knowledge.offtopic_lines.get(phrasing, ("knowledge/offtopic.yaml", 1))
            problems.append(
                Problem(
                    file,
                    line,
                    f"collision: off-topic {lang} phrasing {phrasing!r} is answered with '{match.entry_id}'",
                )
            )
    return problems
