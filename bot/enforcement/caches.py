"""Who is who and what each chat chose, cached in `BotData.moderation`: admin lists, the block list, users seen,
chat settings; and the pruning of what is kept."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Self

from telegram import User
from telegram.error import TelegramError
from telegram.ext import Application

from bot.context import BotContext, Moderation
from bot.core.moderation.permissions import Member
from bot.core.moderation.settings import ChatSettings
from bot.enforcement.values import member_from
from bot.storage import Storage
from bot.storage.rows import PruneCounts

log = logging.getLogger(__name__)

ADMIN_TTL = 300.0  # seconds an admin list is trusted before asking Telegram again
SEEN_REFRESH = dt.timedelta(hours=12)  # how often a seen user's last_seen is written


class Caches:
    """The first layer of `bot.enforcement.Ops`: what it knows and remembers."""

    def __init__(self, application: Application):
        data = application.bot_data
        self.application = application
        self.bot = application.bot
        self.config = data.config
        self.storage: Storage = data.storage
        self.mod: Moderation = data.moderation
        self.global_moderators = data.config.moderator_ids

    @classmethod
    def of(cls, context: BotContext) -> Self:
        return cls(context.application)

    def now(self) -> dt.datetime:
        return self.mod.now()

    async def admins(self, chat_id: int, refresh: bool = False) -> dict[int, Member]:
        """The chat's administrators (owner included), cached for ADMIN_TTL seconds."""
        cached = self.mod.admins.get(chat_id)
        if cached and not refresh and time.monotonic() - cached[0] < ADMIN_TTL:
            return cached[1]
        try:
            members = await self.bot.get_chat_administrators(chat_id)
        except TelegramError as exc:
            log.warning("could not read the administrators of chat %s: %s", chat_id, exc.message)
            return cached[1] if cached else {}
        admins = {m.user.id: member_from(m) for m in members}
        self.mod.admins[chat_id] = (time.monotonic(), admins)
        self.mod.admin_names[chat_id] = {
            m.user.id: m.user.full_name for m in members if not m.user.is_bot and not getattr(m, "is_anonymous", False)
        }
        return admins

    def forget_admins(self, chat_id: int) -> None:
        self.mod.admins.pop(chat_id, None)

    async def actor(self, chat_id: int, user_id: int) -> Member | None:
        return (await self.admins(chat_id)).get(user_id)

    async def bot_member(self, chat_id: int) -> Member | None:
        return (await self.admins(chat_id)).get(self.bot.id)

    async def target_member(self, chat_id: int, user_id: int) -> tuple[Member, User | None]:
        """The target's standing, asked fresh from Telegram (admin status and presence matter here), and who they
        are."""
        try:
            chat_member = await self.bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.info("getChatMember %s in chat %s: %s", user_id, chat_id, exc.message)
        except (TypeError, ValueError, KeyError):  # an answer this PTB version cannot read: decide without it
            log.warning("unreadable getChatMember answer for %s in chat %s", user_id, chat_id, exc_info=True)
        else:
            return member_from(chat_member), chat_member.user
        known = (await self.admins(chat_id)).get(user_id)
        return known or Member(user_id, "unknown"), None

    def is_global_moderator(self, user_id: int) -> bool:
        return user_id in self.global_moderators

    async def is_blocked(self, user_id: int) -> bool:
        if self.mod.blocked is None:
            self.mod.blocked = await self.storage.mod_blocked_ids()
        return user_id in self.mod.blocked

    async def remember(self, user: User | None) -> None:
        """Keep id and @username of users seen in groups, so /ban @username can find them. Written at most twice a
        day."""
        if user is None or user.is_bot:
            return
        now = self.now()
        username = (user.username or "").lower() or None
        known = self.mod.seen.get(user.id)
        if known and known[0] == username and now - known[1] < SEEN_REFRESH:
            return
        self.mod.seen[user.id] = (username, now)
        await self.storage.mod_seen_user(user.id, username, now)

    async def settings(self, chat_id: int) -> ChatSettings:
        cached = self.mod.settings.get(chat_id)
        if cached is None:
            stored, _ = await self.storage.mod_chat_settings(chat_id)
            cached = ChatSettings.from_dict(stored)
            self.mod.settings[chat_id] = cached
        return cached

    async def save_settings(self, chat_id: int, settings: ChatSettings) -> None:
        await self.storage.mod_save_chat_settings(chat_id, settings.to_dict())
        self.mod.settings[chat_id] = settings

    async def prune(self) -> PruneCounts:
        now = self.now()
        for store in (self.mod.reports, self.mod.recent_joins):
            for key in [k for k, moment in store.items() if now - moment > dt.timedelta(hours=1)]:
                del store[key]
        for user_id in [k for k, (_, moment) in self.mod.seen.items() if now - moment > SEEN_REFRESH]:
            del self.mod.seen[user_id]
        return await self.storage.mod_prune(
            now,
            members_before=now - dt.timedelta(hours=720),
            seen_before=now - dt.timedelta(days=365),
            audit_before=now - dt.timedelta(days=365),
        )
