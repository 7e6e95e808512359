"""Night mode hours, in Almaty time, with the clock passed in."""

from __future__ import annotations

import datetime as dt
import re

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    ALMATY: dt.tzinfo = ZoneInfo("Asia/Almaty")
except (ImportError, ZoneInfoNotFoundError):  # a system without tzdata: Kazakhstan is UTC+5 since March 2024
    ALMATY = dt.timezone(dt.timedelta(hours=5), "Asia/Almaty")

_HOURS = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*[-–—]\s*(\d{1,2})(?::(\d{2}))?$")


class NightHoursError(ValueError):
    pass


def parse_hours(text: str) -> tuple[int, int]:
    """ "00:00-07:00" or "23-7" → (start, end) in minutes after midnight."""
    match = _HOURS.match(text.strip())
    if not match:
        raise NightHoursError(text)
    h1, m1, h2, m2 = match.group(1), match.group(2) or "0", match.group(3), match.group(4) or "0"
    start, end = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
    if not (0 <= int(h1) <= 23 and 0 <= int(h2) <= 24 and int(m1) < 60 and int(m2) < 60) or end > 24 * 60:
        raise NightHoursError(text)
    end %= 24 * 60
    if start == end:
        raise NightHoursError(text)
    return start, end


def format_hours(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"


def is_night(now: dt.datetime, start: int, end: int, tz: dt.tzinfo = ALMATY) -> bool:
    """Whether `now` (an aware datetime) falls in [start, end) local time; the window may cross midnight."""
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def night_ends(now: dt.datetime, start: int, end: int, tz: dt.tzinfo = ALMATY) -> dt.datetime:
    """The next moment (aware, local time) the night window ends after `now`."""
    local = now.astimezone(tz)
    candidate = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate
