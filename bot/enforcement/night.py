"""Night mode's `lock`: a chat's permissions tightened at night and restored in the morning."""

from __future__ import annotations

import datetime as dt

from telegram import Chat, ChatPermissions
from telegram.error import TelegramError

from bot.core.moderation.night import is_night, night_ends
from bot.core.moderation.settings import ChatSettings
from bot.enforcement.actions import Actions
from bot.enforcement.values import failure_from, local_time
from bot.i18n import t

NIGHT_RETRY = dt.timedelta(minutes=30)  # after Telegram refused to change a chat's permissions


class Night(Actions):
    """The night-mode job's work, for `bot.enforcement.Ops`."""

    async def night_tick(self) -> None:
        """Tighten the permissions of `night lock` chats at night and restore them in the morning."""
        now = self.now()
        for chat_id, data, saved in await self.storage.mod_all_chat_settings():
            settings = ChatSettings.from_dict(data)
            night = settings.night == "lock" and is_night(now, settings.night_start, settings.night_end)
            if night == (saved is not None):
                continue
            failed_at = self.mod.night_failures.get(chat_id)
            if failed_at is not None and now - failed_at < NIGHT_RETRY:
                continue
            if night:
                await self._night_on(chat_id, settings, now)
            else:
                assert saved is not None  # a day with nothing saved was skipped above
                await self._night_off(chat_id, settings, saved)

    async def _night_on(self, chat_id: int, settings: ChatSettings, now: dt.datetime) -> None:
        try:
            full = await self.bot.get_chat(chat_id)
            day = full.permissions.to_dict() if full.permissions else ChatPermissions.all_permissions().to_dict()
            night = {
                **day,
                "can_send_audios": False,
                "can_send_documents": False,
                "can_send_photos": False,
                "can_send_videos": False,
                "can_send_video_notes": False,
                "can_send_voice_notes": False,
                "can_send_polls": False,
                "can_send_other_messages": False,
                "can_add_web_page_previews": False,
            }
            await self.bot.set_chat_permissions(
                chat_id, ChatPermissions(**night), use_independent_chat_permissions=True
            )
            failure = None
        except TelegramError as exc:
            failure, day = failure_from(exc), None
        chat = Chat(chat_id, Chat.SUPERGROUP)
        await self.record(chat, settings, action="night_on", failure=failure, rule="night", detail=settings.night_hours)
        if failure is not None:
            self.mod.night_failures[chat_id] = now
            return
        self.mod.night_failures.pop(chat_id, None)
        await self.storage.mod_set_night_saved(chat_id, day)
        until = local_time(night_ends(now, settings.night_start, settings.night_end))
        await self.say(chat_id, t(settings.lang, "mod_night_on", until=until), settings, automatic=True)

    async def _night_off(self, chat_id: int, settings: ChatSettings, saved: dict) -> None:
        try:
            await self.bot.set_chat_permissions(
                chat_id, ChatPermissions(**saved), use_independent_chat_permissions=True
            )
            failure = None
        except TelegramError as exc:
            failure = failure_from(exc)
        chat = Chat(chat_id, Chat.SUPERGROUP)
        await self.record(chat, settings, action="night_off", failure=failure, rule="night")
        if failure is not None:
            self.mod.night_failures[chat_id] = self.now()
            return
        self.mod.night_failures.pop(chat_id, None)
        await self.storage.mod_set_night_saved(chat_id, None)
        await self.say(chat_id, t(settings.lang, "mod_night_off"), settings, automatic=True)
