"""Reading a moderation command's words: who (unless a reply says it), for how long, and why."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.moderation.durations import DurationError, looks_like_duration, parse_duration
from bot.core.moderation.rules import clip_reason

USERNAME = re.compile(r"^@([A-Za-z][A-Za-z0-9_]{3,31})$")
USER_ID = re.compile(r"^[0-9]+$")
MAX_USER_ID = 2**52 - 1  # Telegram's ids have at most 52 significant bits (and SQLite's integers 63)


@dataclass(frozen=True)
class TargetArgs:
    username: str | None = None  # lower-case, without "@"
    user_id: int | None = None
    duration: dt.timedelta | None = None
    reason: str = ""
    error: str | None = None  # "no_target", "bad_id" or "bad_duration"
    bad_token: str = ""


def parse_target_args(args: Sequence[str], *, target_known: bool, wants_duration: bool) -> TargetArgs:
    """`/ban @troll 2d spam`, `/mute 123456 30m`, or, replying to a message, `/mute 2h flood`.

    With a reply (or a mention entity) the words are an optional duration and a reason; an explicit
    @username after a reply still wins, since an admin may reply to the bot's notice and name someone.
    """
    words = [w for w in args if w]
    username = user_id = None
    if words and USERNAME.match(words[0]):
        username = words.pop(0)[1:].lower()
    elif not target_known:
        if not words or not USER_ID.match(words[0]):
            return TargetArgs(error="no_target", bad_token=words[0] if words else "")
        word = words.pop(0)
        if len(word) > 16 or not 1 <= int(word) <= MAX_USER_ID:
            return TargetArgs(error="bad_id", bad_token=word)
        user_id = int(word)
    duration = None
    if wants_duration and words and looks_like_duration(words[0]):
        token = words.pop(0)
        try:
            duration = parse_duration(token)
        except DurationError:
            return TargetArgs(username=username, user_id=user_id, error="bad_duration", bad_token=token)
    return TargetArgs(username=username, user_id=user_id, duration=duration, reason=clip_reason(" ".join(words)))
