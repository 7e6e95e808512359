"""Durations typed by admins ("30m", "2h", "7d", "1w", "1h30m", "1.5h", also "2ч", "1,5ч", "3күн") and ban/mute end
times.

Telegram treats an `until_date` less than 30 seconds or more than 366 days away as "forever", so a
typed "10s" would silently become a permanent mute: durations outside 1 minute … 365 days are refused.
Whatever begins like a number ("-5m", "+1h", "²h", "１h", "2h,") is taken for a duration, so a typo is
refused with a reply instead of becoming part of the reason of a permanent mute or ban.
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

MIN_DURATION = dt.timedelta(minutes=1)
MAX_DURATION = dt.timedelta(days=365)

_UNITS: dict[str, int] = {}
for _names, _seconds in (
    (("m", "min", "mins", "minute", "minutes", "м", "мин", "минут", "минуты", "минута"), 60),
    (("h", "hr", "hrs", "hour", "hours", "ч", "час", "часа", "часов", "сағ", "сағат"), 3600),
    (("d", "day", "days", "д", "дн", "день", "дня", "дней", "күн"), 86400),
    (("w", "wk", "week", "weeks", "н", "нед", "неделя", "недели", "недель", "апта"), 7 * 86400),
):
    for _name in _names:
        _UNITS[_name] = _seconds

# ASCII digits only: "²", "½", "１" or "٥" are refused, not read as some other number.
_PART = re.compile(r"([0-9]{1,9}(?:[.,][0-9]{1,6})?)([a-zа-яёәғқңөұүһі]+)")
_SIGNS = "+-\u2212\u2013\u2014"  # plus, hyphen-minus, minus, en and em dash
TOKEN_LIMIT = 40  # characters: "1w2d3h4m" is 8; anything far longer is not a duration


class DurationError(ValueError):
    """The text looks like a duration but is not a valid one (unknown unit, out of range)."""


def looks_like_duration(token: str) -> bool:
    """True for what an admin meant as a duration: anything that begins like a number, signed or not
    ("30m", "2ч", "5", "10x", "-5m", "+1h", "1,5ч", ".5h", "²h", "１h"), so a typo is reported, not taken as a
    reason."""
    text = token.strip().lstrip(_SIGNS).lstrip(".,")
    return bool(text) and text[0].isnumeric()


def parse_duration(token: str) -> dt.timedelta:
    """ "30m" → 30 minutes; "1h30m" and "1.5h" → 90 minutes.

    Raises `DurationError` for anything else or out of range."""
    text = token.strip().lower()
    if not text or len(text) > TOKEN_LIMIT:
        raise DurationError(token)
    total = Fraction(0)
    position = 0
    for match in _PART.finditer(text):
        if match.start() != position:
            raise DurationError(token)
        unit = _UNITS.get(match.group(2))
        if unit is None:
            raise DurationError(token)
        total += Fraction(match.group(1).replace(",", ".")) * unit
        position = match.end()
        if total > MAX_DURATION.total_seconds():  # bounded before any timedelta is built: never an OverflowError
            raise DurationError(token)
    if position != len(text) or total == 0:
        raise DurationError(token)
    duration = dt.timedelta(seconds=round(total))
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise DurationError(token)
    return duration


def until(now: dt.datetime, duration: dt.timedelta | None) -> dt.datetime | None:
    """The `until_date` to send: None (forever) or a moment safely inside Telegram's 30 s … 366 days window."""
    if duration is None:
        return None
    duration = max(MIN_DURATION, min(duration, MAX_DURATION))
    return now + duration


def split_duration(duration: dt.timedelta) -> list[tuple[int, str]]:
    """[(2, "d"), (3, "h")] for display; at most the two largest non-zero units."""
    seconds = int(duration.total_seconds())
    parts: list[tuple[int, str]] = []
    units: tuple[tuple[str, int], ...] = (("d", 86400), ("h", 3600), ("m", 60))
    if seconds % (7 * 86400) == 0:  # "2 weeks", but "30 days" rather than "4 weeks 2 days"
        units = (("w", 7 * 86400), *units)
    for unit, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append((count, unit))
    return parts[:2] or [(0, "m")]
