"""Speaking and acting on Telegram, and the audit trail: the Telegram call comes first, the audit row after
it (`ok` or `failed` with the reason), then the chat's log channel when it happened."""

from __future__ import annotations

import datetime as dt
import html
import logging
import time

from telegram import Chat, ChatPermissions, Message, ReplyParameters, User
from telegram.error import TelegramError
from telegram.helpers import mention_html

from bot.context import BotContext
from bot.core.moderation import durations
from bot.core.moderation.rules import warn_limit_reached, warning_expiry
from bot.core.moderation.settings import ChatSettings
from bot.enforcement.caches import Caches
from bot.enforcement.values import Failure, Target, WarnResult, failure_from, format_duration, rule_name
from bot.i18n import t

log = logging.getLogger(__name__)

NOTICE_LIMIT = 6  # automatic notices per chat per minute; Telegram allows about 20 messages a minute in a group
HASHTAGS = {
    "ban": "BAN",
    "unban": "UNBAN",
    "kick": "KICK",
    "mute": "MUTE",
    "unmute": "UNMUTE",
    "warn": "WARN",
    "unwarn": "UNWARN",
    "delete": "DELETE",
    "purge": "PURGE",
    "report": "REPORT",
    "approve": "APPROVE",
    "unapprove": "UNAPPROVE",
    "nban": "NBAN",
    "unnban": "UNNBAN",
    "block": "BLOCK",
    "unblock": "UNBLOCK",
    "settings": "SETTINGS",
    "night_on": "NIGHT",
    "night_off": "MORNING",
    "network_join": "NETWORK",
    "network_leave": "NETWORK",
}


class Actions(Caches):
    """Notices, the audit trail and Telegram's actions (ban, mute, delete, warn), for `bot.enforcement.Ops`."""

    async def say(
        self,
        chat_id: int,
        text: str,
        settings: ChatSettings,
        *,
        reply_to: int | None = None,
        automatic: bool = False,
        reply_markup=None,
    ) -> Message | None:
        """A confirmation or notice. Automatic notices stay out of the chat when it prefers the log only."""
        if automatic and (settings.notices == "log" or not self._notice_allowed(chat_id)):
            return None
        try:
            message = await self.bot.send_message(
                chat_id,
                text,
                reply_markup=reply_markup,
                reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None,
            )
        except TelegramError as exc:
            log.warning("could not post in chat %s: %s", chat_id, exc.message)
            return None
        if settings.autodelete:
            self.delete_later(chat_id, message.message_id, settings.autodelete)
        return message

    def _notice_allowed(self, chat_id: int) -> bool:
        """At most NOTICE_LIMIT automatic notices a minute per chat: under a raid the audit keeps the details."""
        moment = time.monotonic()
        recent = [m for m in self.mod.notices.get(chat_id, []) if moment - m < 60]
        allowed = len(recent) < NOTICE_LIMIT
        if allowed:
            recent.append(moment)
        self.mod.notices[chat_id] = recent
        return allowed

    def delete_later(self, chat_id: int, message_id: int, seconds: int) -> None:
        if self.application.job_queue is not None:
            self.application.job_queue.run_once(
                _autodelete, seconds, data=(chat_id, message_id), name=f"mod-autodelete:{chat_id}:{message_id}"
            )

    # --- the audit trail --------------------------------------------------------------------

    async def record(
        self,
        chat: Chat,
        settings: ChatSettings,
        *,
        action: str,
        failure: Failure | None = None,
        actor: User | None = None,
        actor_id: int | None = None,
        rule: str | None = None,
        target: Target | None = None,
        reason: str = "",
        duration: int | None = None,
        detail: str = "",
    ) -> None:
        """Write the audit row for what happened, and post it to the chat's log channel when it happened."""
        actor_id = actor.id if actor is not None else actor_id
        await self.storage.mod_add_audit(
            chat_id=chat.id,
            action=action,
            result="failed" if failure else "ok",
            actor_id=actor_id,
            rule=rule,
            target_id=target.user_id if target else None,
            reason=reason,
            duration=duration,
            detail=(failure.detail if failure else detail)[:300],
            when=self.now(),
        )
        if failure is None and settings.log_channel:
            await self.post_log(
                chat,
                settings,
                action=action,
                actor=actor,
                actor_id=actor_id,
                rule=rule,
                target=target,
                reason=reason,
                duration=duration,
                detail=detail,
            )

    async def post_log(
        self,
        chat: Chat,
        settings: ChatSettings,
        *,
        action: str,
        actor: User | None,
        actor_id: int | None,
        rule: str | None,
        target: Target | None,
        reason: str,
        duration: int | None,
        detail: str = "",
    ) -> None:
        lang = settings.lang
        lines = [
            f"#{HASHTAGS.get(action, action.upper())}",
            t(lang, "mod_log_chat", chat=html.escape(chat.title or str(chat.id))),
        ]
        if actor is not None:
            lines.append(t(lang, "mod_log_actor", actor=mention_html(actor.id, actor.full_name)))
        elif actor_id is not None:
            lines.append(t(lang, "mod_log_actor", actor=mention_html(actor_id, str(actor_id))))
        else:
            lines.append(t(lang, "mod_log_actor", actor=rule_name(lang, rule)))
        if target is not None:
            lines.append(t(lang, "mod_log_target", target=f"{target.html()} [<code>{target.user_id}</code>]"))
        if duration:
            lines.append(t(lang, "mod_for", duration=format_duration(lang, duration)))
        if reason:
            lines.append(t(lang, "mod_reason", reason=html.escape(reason)))
        if detail:
            lines.append(html.escape(detail))
        try:
            await self.bot.send_message(settings.log_channel, "\n".join(lines))
        except TelegramError as exc:
            log.warning("could not post to the log channel of chat %s: %s", chat.id, exc.message)

    # --- Telegram actions -------------------------------------------------------------------

    async def telegram(
        self, action: str, chat_id: int, target: Target, *, until: dt.datetime | None = None
    ) -> Failure | None:
        """Carry out ban / unban / kick / mute / unmute; None when Telegram did it."""
        bot, uid = self.bot, target.user_id
        try:
            if target.is_channel:
                if action == "ban":
                    await bot.ban_chat_sender_chat(chat_id, uid)
                elif action == "unban":
                    await bot.unban_chat_sender_chat(chat_id, uid)
                else:
                    return Failure("channel_target")
            elif action == "ban":
                await bot.ban_chat_member(chat_id, uid, until_date=until)
            elif action == "kick":
                await bot.ban_chat_member(chat_id, uid)
                await bot.unban_chat_member(chat_id, uid, only_if_banned=True)
            elif action == "unban":
                await bot.unban_chat_member(chat_id, uid, only_if_banned=True)
            elif action == "mute":
                await bot.restrict_chat_member(chat_id, uid, ChatPermissions.no_permissions(), until_date=until)
            elif action == "unmute":
                await bot.restrict_chat_member(chat_id, uid, ChatPermissions.all_permissions())
            else:
                raise ValueError(action)
        except TelegramError as exc:
            return failure_from(exc)
        return None

    async def delete(self, chat_id: int, message_id: int) -> Failure | None:
        try:
            await self.bot.delete_message(chat_id, message_id)
        except TelegramError as exc:
            return failure_from(exc)
        return None

    async def punish(
        self,
        chat: Chat,
        settings: ChatSettings,
        action: str,
        target: Target,
        *,
        actor: User | None = None,
        rule: str | None = None,
        reason: str = "",
        duration: dt.timedelta | None = None,
    ) -> Failure | None:
        """Telegram first, then the audit row saying how it went."""
        until = durations.until(self.now(), duration) if action in ("ban", "mute") else None
        failure = await self.telegram(action, chat.id, target, until=until)
        seconds = int(duration.total_seconds()) if duration and action in ("ban", "mute") else None
        await self.record(
            chat,
            settings,
            action=action,
            failure=failure,
            actor=actor,
            rule=rule,
            target=target,
            reason=reason,
            duration=seconds,
        )
        return failure

    async def warn(
        self,
        chat: Chat,
        settings: ChatSettings,
        target: Target,
        *,
        actor: User | None = None,
        rule: str | None = None,
        reason: str = "",
    ) -> WarnResult:
        """Store a warning; at the chat's limit carry out its action and, if Telegram did it, clear the warnings."""
        now = self.now()
        count = await self.storage.mod_add_warning(
            chat.id,
            target.user_id,
            actor_id=actor.id if actor else None,
            rule=rule,
            reason=reason,
            when=now,
            expires_at=warning_expiry(now, settings.warn_expiry_delta),
        )
        await self.record(
            chat,
            settings,
            action="warn",
            actor=actor,
            rule=rule,
            target=target,
            reason=reason,
            detail=f"{count}/{settings.warn_limit}",
        )
        if not warn_limit_reached(count, settings.warn_limit):
            return WarnResult(count, settings.warn_limit)
        action = settings.warn_action
        duration = settings.mute_delta if action == "mute" else None
        failure = await self.punish(
            chat, settings, action, target, actor=actor, rule="warn_limit", reason=reason, duration=duration
        )
        if failure is None:
            await self.storage.mod_clear_warnings(chat.id, target.user_id)
        return WarnResult(count, settings.warn_limit, action, failure, duration)


async def _autodelete(context: BotContext) -> None:
    assert context.job is not None and isinstance(context.job.data, tuple)  # the job delete_later schedules
    chat_id, message_id = context.job.data
    try:
        await context.bot.delete_message(chat_id, message_id)
    except TelegramError as exc:
        log.info("could not auto-delete message %s in chat %s: %s", message_id, chat_id, exc.message)
