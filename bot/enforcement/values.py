"""What moderation's operations speak of: the target, a failure, a warning's outcome, and their texts."""

from __future__ import annotations

import datetime as dt
import html
import warnings
from dataclasses import dataclass

from telegram import ChatMember, Message, User
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.helpers import mention_html

from bot.core.moderation import durations
from bot.core.moderation.errors import classify
from bot.core.moderation.links import Entity
from bot.core.moderation.night import ALMATY
from bot.core.moderation.permissions import RIGHTS, Member
from bot.i18n import t


@dataclass(frozen=True)
class Target:
    """Whom an action is aimed at. Names are shown, never stored."""

    user_id: int
    name: str | None = None
    username: str | None = None
    is_channel: bool = False

    @classmethod
    def of(cls, user: User) -> Target:
        return cls(user.id, user.full_name, user.username)

    def html(self) -> str:
        if self.is_channel:
            return html.escape(self.name or str(self.user_id))
        if self.name:
            return mention_html(self.user_id, self.name)
        if self.username:
            return mention_html(self.user_id, "@" + self.username)
        return mention_html(self.user_id, str(self.user_id))


@dataclass(frozen=True)
class Failure:
    code: str  # for the text `mod_err_<code>`
    detail: str = ""
    retry_after: int = 0

    def text(self, lang: str, name: str = "") -> str:
        return t(
            lang, f"mod_err_{self.code}", name=name, seconds=self.retry_after, detail=html.escape(self.detail[:200])
        )


def member_from(chat_member: ChatMember) -> Member:
    rights = frozenset(r for r in RIGHTS if getattr(chat_member, r, False) is True)
    return Member(
        chat_member.user.id,
        chat_member.status,
        rights,
        is_anonymous=bool(getattr(chat_member, "is_anonymous", False)),
        is_member=bool(getattr(chat_member, "is_member", True)),
    )


def failure_from(exc: TelegramError) -> Failure:
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wait = exc.retry_after
        seconds = int(wait.total_seconds()) if isinstance(wait, dt.timedelta) else int(wait)
        return Failure("flood_wait", f"retry after {seconds}", seconds)
    return Failure(classify(exc.message, forbidden=isinstance(exc, Forbidden)), exc.message)


def format_duration(lang: str, duration: dt.timedelta | int | None) -> str:
    if duration is None:
        return t(lang, "mod_forever")
    if isinstance(duration, int):
        duration = dt.timedelta(seconds=duration)
    return " ".join(t(lang, f"mod_unit_{unit}", n=count) for count, unit in durations.split_duration(duration))


def local_time(moment: dt.datetime) -> str:
    return moment.astimezone(ALMATY).strftime("%H:%M")


def message_entities(message: Message) -> list[Entity]:
    return [
        Entity(str(e.type), e.offset, e.length, e.url) for e in (message.entities or message.caption_entities or ())
    ]


def has_media(message: Message) -> bool:
    return bool(message.effective_attachment) and not message.text


@dataclass(frozen=True)
class WarnResult:
    count: int
    limit: int
    action: str | None = None  # what the limit triggered
    failure: Failure | None = None
    duration: dt.timedelta | None = None

    def text(self, lang: str, target: Target) -> str:
        line = t(lang, "mod_warn_count", count=str(self.count), limit=str(self.limit))
        if self.action is None:
            return line
        if self.failure is not None:
            return line + " " + t(lang, "mod_warn_limit_failed") + " " + self.failure.text(lang, target.html())
        return (
            line
            + " "
            + t(lang, "mod_warn_limit")
            + " "
            + t(lang, f"mod_then_{self.action}", duration=format_duration(lang, self.duration))
        )


def rule_name(lang: str, rule: str | None) -> str:
    if not rule:
        return ""
    return t(lang, f"mod_rulename_{rule.split(':')[0]}")
