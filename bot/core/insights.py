"""What the query log tells maintainers and admins: statistics, grouped unanswered questions, a chart.

Pure functions over query-log rows (dicts as `Storage.queries_since` returns them) and an injected
"now", so the same numbers come out of `/stats` in Telegram and `python -m bot stats`, and tests can
seed a log and know the answer. Days and hours are Almaty's, where the users live.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.matcher import Matcher
from bot.core.moderation.night import ALMATY  # one Almaty zone for the whole bot, with its no-tzdata fallback
from bot.core.text import rewrites

ANSWERED, CLARIFIED, UNMATCHED = "answer", "clarify", "none"
QUESTION_OUTCOMES = (ANSWERED, CLARIFIED, UNMATCHED)  # typed questions; "browse" and "smalltalk" are not
SHOWN_OUTCOMES = (ANSWERED, "browse")  # an entry was shown: answered, or opened from the menu or a link
STATS_PERIODS = (7, 30)  # days, for /stats and `python -m bot stats`
CHART_DAYS = 30
UNANSWERED_DAYS = 30
TOP_ENTRIES = 5
BUSIEST_HOURS = 3
Row = Mapping[str, Any]  # a query-log row: `LoggedQuery` in bot.storage, which this layer does not import
SIMILAR = 65.0  # token_set_ratio of two questions' stems from which they are one group (tuned on real-looking samples)


def _when(row: Row) -> dt.datetime:
    return dt.datetime.fromisoformat(row["created_at"])


def _within(rows: Iterable[Row], now: dt.datetime, days: int) -> list[Row]:
    start = now - dt.timedelta(days=days)
    return [r for r in rows if start <= _when(r) <= now]


# --- statistics -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodStats:
    days: int
    questions: int
    people: int
    answered: int
    clarified: int
    unmatched: int
    helpful: int
    not_helpful: int
    top_entries: tuple[tuple[str, int], ...]
    languages: tuple[tuple[str, int], ...]
    busiest_hours: tuple[tuple[int, int], ...]  # (Almaty hour 0-23, questions)

    def share(self, count: int) -> float:
        return 100.0 * count / self.questions if self.questions else 0.0


def period_stats(rows: Iterable[Row], now: dt.datetime, days: int) -> PeriodStats:
    """The figures for the `days` before `now`."""
    rows = _within(rows, now, days)
    questions = [r for r in rows if r["outcome"] in QUESTION_OUTCOMES]
    outcomes = Counter(r["outcome"] for r in questions)
    feedback = Counter(r["feedback"] for r in rows if r["feedback"] is not None)
    shown = Counter(r["matched_id"] for r in rows if r["outcome"] in SHOWN_OUTCOMES and r["matched_id"])
    hours = Counter(_when(r).astimezone(ALMATY).hour for r in questions)
    return PeriodStats(
        days=days,
        questions=len(questions),
        people=len({r["user_key"] for r in questions}),
        answered=outcomes[ANSWERED],
        clarified=outcomes[CLARIFIED],
        unmatched=outcomes[UNMATCHED],
        helpful=feedback[1],
        not_helpful=feedback[0],
        top_entries=tuple(sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ENTRIES]),
        languages=tuple(sorted(Counter(r["language"] for r in questions).items(), key=lambda kv: (-kv[1], kv[0]))),
        busiest_hours=tuple(sorted(hours.items(), key=lambda kv: (-kv[1], kv[0]))[:BUSIEST_HOURS]),
    )


@dataclass(frozen=True)
class DayCount:
    day: dt.date  # in Almaty
    answered: int
    clarified: int
    unmatched: int

    @property
    def total(self) -> int:
        return self.answered + self.clarified + self.unmatched


def daily_outcomes(rows: Iterable[Row], now: dt.datetime, days: int) -> list[DayCount]:
    """Questions per Almaty day by outcome, for the `days` days ending today, empty days included."""
    today = now.astimezone(ALMATY).date()
    first = today - dt.timedelta(days=days - 1)
    counts: dict[dt.date, Counter] = {first + dt.timedelta(days=i): Counter() for i in range(days)}
    for row in rows:
        day = _when(row).astimezone(ALMATY).date()
        if day in counts and row["outcome"] in QUESTION_OUTCOMES:
            counts[day][row["outcome"]] += 1
    return [DayCount(day, c[ANSWERED], c[CLARIFIED], c[UNMATCHED]) for day, c in counts.items()]


# --- unanswered questions, grouped ------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """How the matcher reads a question: its content stems (synonyms applied) and the nearest entry."""

    key: str
    nearest: str | None
    score: float


@dataclass(frozen=True)
class QuestionGroup:
    wordings: tuple[tuple[str, int], ...]  # distinct wordings with how often each was asked, most asked first
    count: int
    unmatched: int
    not_helpful: int
    language: str  # the language most of them were answered in: where an accepted phrasing goes
    nearest: str | None
    score: float

    @property
    def representative(self) -> str:
        return self.wordings[0][0]


def needs_work(row: Row) -> bool:
    """A typed question the bot could not answer, or whose answer was marked not helpful."""
    return bool(row["question"].strip()) and (row["outcome"] == UNMATCHED or row["feedback"] == 0)


def matcher_reading(matcher: Matcher) -> Callable[[str], Reading]:
    """Read each question in its best rewrite (layout, transliteration), as the matcher itself does."""

    def read(question: str) -> Reading:
        kind, ranking = matcher.rank(question)
        text = dict(rewrites(question)).get(kind, question)
        key = " ".join(sorted(set(matcher.content_stems(text))))
        return Reading(key, ranking[0][0], ranking[0][1]) if ranking else Reading(key, None, 0.0)

    return read


def group_questions(
    rows: Iterable[Row], read: Callable[[str], Reading], similar: float = SIMILAR
) -> list[QuestionGroup]:
    """Unmatched and not-helpful questions, similar ones together, the most asked group first.

    Each distinct wording joins the group whose first (most asked) wording is closest by the stems'
    token_set_ratio, when at least `similar`; otherwise it starts a group. Comparing with the first
    wording only keeps groups from drifting along chains of slightly similar questions.
    """
    asked: dict[str, dict] = {}
    for row in rows:
        if not needs_work(row):
            continue
        text = " ".join(row["question"].split())
        item = asked.setdefault(
            text.casefold(), {"text": text, "count": 0, "unmatched": 0, "not_helpful": 0, "languages": Counter()}
        )
        item["count"] += 1
        item["unmatched"] += row["outcome"] == UNMATCHED
        item["not_helpful"] += row["feedback"] == 0
        item["languages"][row["language"]] += 1
    items = sorted(asked.values(), key=lambda i: (-i["count"], i["text"]))
    groups: list[list[dict]] = []
    keys: list[str] = []
    for item in items:
        item["reading"] = read(item["text"])
        found = (
            process.extractOne(item["reading"].key, keys, scorer=fuzz.token_set_ratio, score_cutoff=similar)
            if item["reading"].key
            else None
        )
        if found is None:
            groups.append([item])
            keys.append(item["reading"].key or item["text"].casefold())
        else:
            groups[found[2]].append(item)
    result = []
    for members in groups:
        first = members[0]
        languages: Counter[str] = sum((m["languages"] for m in members), Counter())
        result.append(
            QuestionGroup(
                wordings=tuple((m["text"], m["count"]) for m in members),
                count=sum(m["count"] for m in members),
                unmatched=sum(m["unmatched"] for m in members),
                not_helpful=sum(m["not_helpful"] for m in members),
                language=languages.most_common(1)[0][0],
                nearest=first["reading"].nearest,
                score=first["reading"].score,
            )
        )
    return sorted(result, key=lambda g: (-g.count, g.representative))


def least_helpful(rows: Iterable[Row]) -> list[tuple[str, int]]:
    """Entries by how many 👎 their answers got (typed or opened from the menu): the answers to rewrite first."""
    counts = Counter(r["matched_id"] for r in rows if r["feedback"] == 0 and r["matched_id"])
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# --- the chart: questions per day by outcome, as PNG bytes --------------------------------------------
# A stacked bar per day, drawn pixel by pixel: no imaging library for one small picture. The numbers
# (the scale and the day of the month under each bar) use a 3x5 digit font; colours are explained in
# the caption the bot sends with it.

WHITE, AXIS, GRID, TEXT = (255, 255, 255), (120, 120, 120), (225, 225, 225), (60, 60, 60)
COLOURS = {ANSWERED: (67, 160, 71), CLARIFIED: (255, 179, 0), UNMATCHED: (229, 57, 53)}
_DIGITS = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
}
SLOT, BAR, PLOT_HEIGHT, LEFT, RIGHT, TOP, BOTTOM, FONT_SCALE = 20, 14, 220, 44, 12, 14, 24, 2


class _Canvas:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.pixels = bytearray(WHITE * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int]) -> None:
        """Fill [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, x0), min(self.width, x1)
        for y in range(max(0, y0), min(self.height, y1)):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + (x1 - x0) * 3] = bytes(colour) * (x1 - x0)

    def number(self, x: int, y: int, text: str, colour: tuple[int, int, int] = TEXT) -> None:
        """Digits with their top-left corner at (x, y)."""
        for ch in text:
            for i, bit in enumerate(_DIGITS[ch]):
                if bit == "1":
                    px, py = x + (i % 3) * FONT_SCALE, y + (i // 3) * FONT_SCALE
                    self.rect(px, py, px + FONT_SCALE, py + FONT_SCALE, colour)
            x += 4 * FONT_SCALE

    def png(self) -> bytes:
        rows = b"".join(
            b"\x00" + bytes(self.pixels[y * self.width * 3 : (y + 1) * self.width * 3]) for y in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (
            b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
        )


def _text_width(text: str) -> int:
    return len(text) * 4 * FONT_SCALE - FONT_SCALE


def _scale_top(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value`: a round number for the top gridline."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


def chart_png(days: list[DayCount]) -> bytes:
    """Stacked bars (answered, clarified, unmatched from the bottom) per day, a scale on the left, days below."""
    width = LEFT + SLOT * len(days) + RIGHT
    height = TOP + PLOT_HEIGHT + BOTTOM
    canvas = _Canvas(width, height)
    top_value = _scale_top(max((d.total for d in days), default=0) or 1)
    base = TOP + PLOT_HEIGHT
    for value in (0, top_value // 2 if top_value % 2 == 0 else None, top_value):
        if value is None:
            continue
        y = base - round(PLOT_HEIGHT * value / top_value)
        canvas.rect(LEFT, y, width - RIGHT, y + 1, GRID if value else AXIS)
        label = str(value)
        canvas.number(LEFT - 6 - _text_width(label), y - 5 * FONT_SCALE // 2, label)
    for index, day in enumerate(days):
        x = LEFT + index * SLOT + (SLOT - BAR) // 2
        y = base
        for outcome, count in ((ANSWERED, day.answered), (CLARIFIED, day.clarified), (UNMATCHED, day.unmatched)):
            height_px = round(PLOT_HEIGHT * count / top_value)
            canvas.rect(x, y - height_px, x + BAR, y, COLOURS[outcome])
            y -= height_px
        label = f"{day.day.day:02d}"
        canvas.number(
            LEFT + index * SLOT + (SLOT - _text_width(label)) // 2,
            base + 6,
            label,
            AXIS if day.day.weekday() >= 5 else TEXT,
        )
    canvas.rect(LEFT, TOP, LEFT + 1, base + 1, AXIS)
    return canvas.png()
