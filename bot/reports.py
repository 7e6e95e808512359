"""Statistics, unanswered questions and reload results as text in the bot's languages.

One renderer for Telegram (HTML) and the command line (`plain()` of the same text), so a maintainer
reads the same report in both places.
"""

from __future__ import annotations

import html

from bot.core.html_check import strip_tags
from bot.core.insights import PeriodStats, QuestionGroup
from bot.core.knowledge import Problem
from bot.core.matcher import OFFTOPIC
from bot.core.split import MESSAGE_LIMIT
from bot.i18n import t
from bot.reload import ReloadResult

MESSAGE_BUDGET = MESSAGE_LIMIT - 296  # room for the closing lines
PROBLEMS_SHOWN = 15
PROBLEMS_BUDGET = 3000  # a reload report's problem lines, leaving room for its other lines
PROBLEM_LIMIT = 300
WORDINGS_SHOWN = 3
QUOTE_LIMIT = 120


def plain(text: str) -> str:
    """The report without HTML, for a terminal."""
    return html.unescape(strip_tags(text))


def _quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text)


def _pct(period: PeriodStats, count: int) -> str:
    return f"{period.share(count):.0f}"


def stats_report(periods: list[PeriodStats], lang: str) -> str:
    lines = [t(lang, "adm_stats_title")]
    for p in periods:
        lines.append("")
        if not p.questions:
            lines.append(t(lang, "adm_stats_empty", days=p.days))
            continue
        lines.append(t(lang, "adm_stats_period", days=p.days, questions=p.questions, people=p.people))
        lines.append(
            t(
                lang,
                "adm_stats_outcomes",
                answered=_pct(p, p.answered),
                clarified=_pct(p, p.clarified),
                unmatched=_pct(p, p.unmatched),
            )
        )
        lines.append(t(lang, "adm_stats_feedback", helpful=str(p.helpful), not_helpful=str(p.not_helpful)))
        if p.top_entries:
            lines.append(t(lang, "adm_stats_top", entries=", ".join(f"{html.escape(e)} {n}" for e, n in p.top_entries)))
        lines.append(
            t(lang, "adm_stats_languages", languages=", ".join(f"{lg} {_pct(p, n)}%" for lg, n in p.languages))
        )
        lines.append(t(lang, "adm_stats_hours", hours=", ".join(f"{h:02d}:00 ({n})" for h, n in p.busiest_hours)))
    return "\n".join(lines)


def _nearest(group: QuestionGroup, lang: str) -> str:
    if group.nearest is None:
        return t(lang, "adm_nearest_none")
    name = t(lang, "adm_offtopic") if group.nearest == OFFTOPIC else html.escape(group.nearest)
    return f"{name} ({group.score:.0f})"


def group_lines(number: int, group: QuestionGroup, lang: str) -> list[str]:
    lines = [
        t(
            lang,
            "adm_unanswered_group",
            n=str(number),
            count=str(group.count),
            question=_quote(group.representative),
            nearest=_nearest(group, lang),
        )
    ]
    others = [w for w, _ in group.wordings[1 : WORDINGS_SHOWN + 1]]
    if others:
        lines.append("    " + t(lang, "adm_unanswered_also", questions=", ".join(f"«{_quote(w)}»" for w in others)))
    return lines


def unanswered_report(
    groups: list[QuestionGroup],
    unhelpful: list[tuple[str, int]],
    days: int,
    lang: str,
    budget: int = MESSAGE_BUDGET,
    limit: int | None = None,
) -> str:
    """The groups, most asked first, as many as fit in `budget` characters (a Telegram message) and `limit`."""
    if not groups and not unhelpful:
        return t(lang, "adm_unanswered_none", days=days)
    lines = [t(lang, "adm_unanswered_title", days=days, groups=len(groups), count=sum(g.count for g in groups))]
    if unhelpful:
        lines.append(
            t(lang, "adm_unanswered_unhelpful", entries=", ".join(f"{html.escape(e)} {n}" for e, n in unhelpful[:10]))
        )
    lines.append("")
    size = sum(len(line) + 1 for line in lines)
    for number, group in enumerate(groups, 1):
        block = group_lines(number, group, lang)
        if size + sum(len(line) + 1 for line in block) > budget or (limit is not None and number > limit):
            lines.append(t(lang, "adm_unanswered_more", count=len(groups) - number + 1))
            break
        lines.extend(block)
        size += sum(len(line) + 1 for line in block)
    lines.append("")
    lines.append(t(lang, "adm_unanswered_hint"))
    return "\n".join(lines)


def _problem_lines(problems: tuple[Problem, ...], lang: str) -> list[str]:
    """`file:line: message` lines, as many as fit in one Telegram message, then how many more there are."""
    lines: list[str] = []
    size = 0
    for problem in problems[:PROBLEMS_SHOWN]:
        line = f"<code>{_quote(str(problem), PROBLEM_LIMIT)}</code>"
        if size + len(line) > PROBLEMS_BUDGET:
            break
        lines.append(line)
        size += len(line) + 1
    if len(lines) < len(problems):
        lines.append(t(lang, "adm_reload_more", count=str(len(problems) - len(lines))))
    return lines


def reload_report(result: ReloadResult, lang: str) -> str:
    if not result.ok:
        return "\n".join([t(lang, "adm_reload_failed"), *_problem_lines(result.errors, lang)])
    lines = [t(lang, "adm_reload_ok", entries=result.entries)]
    for key, ids in (
        ("adm_reload_added", result.added),
        ("adm_reload_changed", result.changed),
        ("adm_reload_removed", result.removed),
    ):
        if ids:
            lines.append(t(lang, key, ids=html.escape(", ".join(ids))))
    if not (result.added or result.changed or result.removed):
        lines.append(t(lang, "adm_reload_unchanged"))
    if result.warnings:
        lines.append(t(lang, "adm_reload_warnings", count=str(len(result.warnings))))
    if result.collisions:
        lines.append(t(lang, "adm_reload_collisions", count=str(len(result.collisions))))
        lines.extend(_problem_lines(result.collisions, lang))
    return "\n".join(lines)
