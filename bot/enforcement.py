"""Carrying moderation out on Telegram: admin lists, actions, the audit trail, the log channel and notices.

The decisions come from `bot.core.moderation`; this module asks Telegram, acts, and records what
really happened: the Telegram call comes first, the audit row after it, `ok` or `failed` with the
reason. `bot/handlers/moderation.py` holds the thin command handlers that call in here.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import time
import warnings
from dataclasses import dataclass

from telegram import Chat, ChatMember, ChatPermissions, Message, ReplyParameters, User
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.helpers import mention_html

from bot.context import BotContext, Moderation
from bot.core.moderation import durations
from bot.core.moderation.errors import classify
from bot.core.moderation.links import Entity, scan_links
from bot.core.moderation.night import ALMATY, is_night, night_ends
from bot.core.moderation.permissions import RIGHTS, Member, exempt_from_rules, sender_kind
from bot.core.moderation.rules import is_newcomer, links_rule_applies, warn_limit_reached, warning_expiry
from bot.core.moderation.settings import ChatSettings
from bot.i18n import t
from bot.storage import Storage

log = logging.getLogger(__name__)

ADMIN_TTL = 300.0  # seconds an admin list is trusted before asking Telegram again
JOIN_DEDUP = dt.timedelta(minutes=1)  # a join arrives twice (chat_member update and service message)
NIGHT_RETRY = dt.timedelta(minutes=30)  # after Telegram refused to change a chat's permissions
SEEN_REFRESH = dt.timedelta(hours=12)  # how often a seen user's last_seen is written
NOTICE_LIMIT = 6  # automatic notices per chat per minute; Telegram allows about 20 messages a minute in a group
HASHTAGS = {"ban": "BAN", "unban": "UNBAN", "kick": "KICK", "mute": "MUTE", "unmute": "UNMUTE", "warn": "WARN",
            "unwarn": "UNWARN", "delete": "DELETE", "purge": "PURGE", "report": "REPORT", "approve": "APPROVE",
            "unapprove": "UNAPPROVE", "nban": "NBAN", "unnban": "UNNBAN", "block": "BLOCK", "unblock": "UNBLOCK",
            "settings": "SETTINGS", "night_on": "NIGHT", "night_off": "MORNING", "network_join": "NETWORK",
            "network_leave": "NETWORK"}


@dataclass(frozen=True)
class Target:
    """Whom an action is aimed at. Names are shown, never stored."""

    user_id: int
    name: str | None = None
    username: str | None = None
    is_channel: bool = False

    @classmethod
    def of(cls, user: User) -> "Target":
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
        return t(lang, f"mod_err_{self.code}", name=name, seconds=str(self.retry_after),
                 detail=html.escape(self.detail[:200]))


def member_from(chat_member: ChatMember) -> Member:
    rights = frozenset(r for r in RIGHTS if getattr(chat_member, r, False) is True)
    return Member(chat_member.user.id, chat_member.status, rights,
                  is_anonymous=bool(getattr(chat_member, "is_anonymous", False)),
                  is_member=bool(getattr(chat_member, "is_member", True)))


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
    return " ".join(t(lang, f"mod_unit_{unit}", n=str(count)) for count, unit in durations.split_duration(duration))


def local_time(moment: dt.datetime) -> str:
    return moment.astimezone(ALMATY).strftime("%H:%M")


def message_entities(message: Message) -> list[Entity]:
    return [Entity(str(e.type), e.offset, e.length, e.url) for e in (message.entities or message.caption_entities or ())]


def has_media(message: Message) -> bool:
    return bool(message.effective_attachment) and not message.text


class Ops:
    """Moderation operations for one application: cheap to build, one per update or job run."""

    def __init__(self, application: Application):
        data = application.bot_data
        self.application = application
        self.bot = application.bot
        self.config = data.config
        self.storage: Storage = data.storage
        self.mod: Moderation = data.moderation
        self.global_moderators = data.config.moderator_ids

    @classmethod
    def of(cls, context: BotContext) -> "Ops":
        return cls(context.application)

    def now(self) -> dt.datetime:
        return self.mod.now()

    # --- who is who -----------------------------------------------------------------------

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
        self.mod.admin_names[chat_id] = {m.user.id: m.user.full_name for m in members
                                         if not m.user.is_bot and not getattr(m, "is_anonymous", False)}
        return admins

    def forget_admins(self, chat_id: int) -> None:
        self.mod.admins.pop(chat_id, None)

    async def actor(self, chat_id: int, user_id: int) -> Member | None:
        return (await self.admins(chat_id)).get(user_id)

    async def bot_member(self, chat_id: int) -> Member | None:
        return (await self.admins(chat_id)).get(self.bot.id)

    async def target_member(self, chat_id: int, user_id: int) -> tuple[Member, User | None]:
        """The target's standing, asked fresh from Telegram (admin status and presence matter here), and who they are."""
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
        """Keep id and @username of users seen in groups, so /ban @username can find them. Written at most twice a day."""
        if user is None or user.is_bot:
            return
        now = self.now()
        username = (user.username or "").lower() or None
        known = self.mod.seen.get(user.id)
        if known and known[0] == username and now - known[1] < SEEN_REFRESH:
            return
        self.mod.seen[user.id] = (username, now)
        await self.storage.mod_seen_user(user.id, username, now)

    # --- settings ---------------------------------------------------------------------------

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

    # --- speaking ---------------------------------------------------------------------------

    async def say(self, chat_id: int, text: str, settings: ChatSettings, *, reply_to: int | None = None,
                  automatic: bool = False, reply_markup=None) -> Message | None:
        """A confirmation or notice. Automatic notices stay out of the chat when it prefers the log only."""
        if automatic and (settings.notices == "log" or not self._notice_allowed(chat_id)):
            return None
        try:
            message = await self.bot.send_message(
                chat_id, text, reply_markup=reply_markup,
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
            self.application.job_queue.run_once(_autodelete, seconds, data=(chat_id, message_id),
                                                name=f"mod-autodelete:{chat_id}:{message_id}")

    # --- the audit trail --------------------------------------------------------------------

    async def record(self, chat: Chat, settings: ChatSettings, *, action: str, failure: Failure | None = None,
                     actor: User | None = None, actor_id: int | None = None, rule: str | None = None,
                     target: Target | None = None, reason: str = "", duration: int | None = None,
                     detail: str = "") -> None:
        """Write the audit row for what happened, and post it to the chat's log channel when it happened."""
        actor_id = actor.id if actor is not None else actor_id
        await self.storage.mod_add_audit(
            chat_id=chat.id, action=action, result="failed" if failure else "ok", actor_id=actor_id, rule=rule,
            target_id=target.user_id if target else None, reason=reason, duration=duration,
            detail=(failure.detail if failure else detail)[:300], when=self.now(),
        )
        if failure is None and settings.log_channel:
            await self.post_log(chat, settings, action=action, actor=actor, actor_id=actor_id, rule=rule,
                                target=target, reason=reason, duration=duration, detail=detail)

    async def post_log(self, chat: Chat, settings: ChatSettings, *, action: str, actor: User | None,
                       actor_id: int | None, rule: str | None, target: Target | None, reason: str,
                       duration: int | None, detail: str = "") -> None:
        lang = settings.lang
        lines = [f"#{HASHTAGS.get(action, action.upper())}",
                 t(lang, "mod_log_chat", chat=html.escape(chat.title or str(chat.id)))]
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

    async def telegram(self, action: str, chat_id: int, target: Target, *, until: dt.datetime | None = None) -> Failure | None:
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

    async def punish(self, chat: Chat, settings: ChatSettings, action: str, target: Target, *,
                     actor: User | None = None, rule: str | None = None, reason: str = "",
                     duration: dt.timedelta | None = None) -> Failure | None:
        """Telegram first, then the audit row saying how it went."""
        until = durations.until(self.now(), duration) if action in ("ban", "mute") else None
        failure = await self.telegram(action, chat.id, target, until=until)
        seconds = int(duration.total_seconds()) if duration and action in ("ban", "mute") else None
        await self.record(chat, settings, action=action, failure=failure, actor=actor, rule=rule, target=target,
                          reason=reason, duration=seconds)
        return failure

    async def warn(self, chat: Chat, settings: ChatSettings, target: Target, *, actor: User | None = None,
                   rule: str | None = None, reason: str = "") -> "WarnResult":
        """Store a warning; at the chat's limit carry out its action and, if Telegram did it, clear the warnings."""
        now = self.now()
        count = await self.storage.mod_add_warning(
            chat.id, target.user_id, actor_id=actor.id if actor else None, rule=rule, reason=reason, when=now,
            expires_at=warning_expiry(now, settings.warn_expiry_delta))
        await self.record(chat, settings, action="warn", actor=actor, rule=rule, target=target, reason=reason,
                          detail=f"{count}/{settings.warn_limit}")
        if not warn_limit_reached(count, settings.warn_limit):
            return WarnResult(count, settings.warn_limit)
        action = settings.warn_action
        duration = settings.mute_delta if action == "mute" else None
        failure = await self.punish(chat, settings, action, target, actor=actor, rule="warn_limit", reason=reason,
                                    duration=duration)
        if failure is None:
            await self.storage.mod_clear_warnings(chat.id, target.user_id)
        return WarnResult(count, settings.warn_limit, action, failure, duration)

    # --- automatic rules ----------------------------------------------------------------------

    async def apply_rule(self, message: Message, settings: ChatSettings, *, rule: str, action: str,
                         target: Target, notice: str, detail: str = "") -> None:
        """Delete the message, then warn / mute / kick / ban as the chat chose; explain in the chat or only in the log."""
        chat, lang = message.chat, settings.lang
        failure = await self.delete(chat.id, message.message_id)
        await self.record(chat, settings, action="delete", failure=failure, rule=rule, target=target, detail=detail)
        if target.is_channel or action == "delete":
            consequence = ""
        elif action == "warn":
            result = await self.warn(chat, settings, target, rule=rule)  # the rule column says why
            consequence = result.text(lang, target)
        else:
            duration = settings.mute_delta if action == "mute" else None
            punished = await self.punish(chat, settings, action, target, rule=rule, duration=duration)
            consequence = (punished.text(lang, target.html()) if punished
                           else t(lang, f"mod_then_{action}", duration=format_duration(lang, duration)))
        if failure is not None and not consequence:
            return  # nothing happened in the chat: the audit row says why, the chat need not hear it
        await self.say(chat.id, " ".join(p for p in (notice, consequence) if p), settings, automatic=True)

    async def scan(self, message: Message, edited: bool = False) -> None:
        """The automatic rules for one group message: network ban, flood, blocked words, newcomers' links, night."""
        chat = message.chat
        kind = sender_kind(message.from_user.id if message.from_user else None,
                           message.sender_chat.id if message.sender_chat else None, chat.id,
                           bool(message.is_automatic_forward))
        if kind in ("anonymous_admin", "linked_channel") or message.from_user is None:
            return
        bot = await self.bot_member(chat.id)
        if bot is None or not bot.has("can_delete_messages"):
            return  # not an administrator who can delete: nothing the rules could do
        settings = await self.settings(chat.id)
        lang = settings.lang
        now = self.now()
        text = message.text or message.caption or ""
        if kind == "channel":  # someone posting as a channel: the message can only be deleted (or the channel banned)
            target = Target(message.sender_chat.id, message.sender_chat.title or message.sender_chat.username, is_channel=True)
            hit = self.mod.words.find(text) if settings.words != "off" else None
            if hit or (settings.links != "off" and scan_links(text, message_entities(message)).has_links):
                await self.apply_rule(message, settings, rule="words" if hit else "links", action="delete", target=target,
                                      notice=t(lang, "mod_rule_channel", name=target.html()))
            return
        user = message.from_user
        if user.id == self.bot.id:
            return
        admins = await self.admins(chat.id)
        state = await self.storage.mod_member_state(chat.id, user.id)
        target = Target.of(user)
        if state["network_banned"]:
            await self.enforce_network_ban(chat, settings, target, state["network_id"], message=message)
            return
        if exempt_from_rules(admins.get(user.id), user_id=user.id, approved=state["approved"],
                             global_moderator=self.is_global_moderator(user.id), bot_id=self.bot.id):
            return
        newcomer = is_newcomer(state["joined_at"], now, settings.newcomer_hours)
        subject = links_rule_applies(scope=settings.scope, newcomer=newcomer)
        if not edited and settings.flood != "off":
            if self.mod.flood.hit((chat.id, user.id), now.timestamp(), settings.flood_messages, settings.flood_seconds):
                self.mod.flood.reset((chat.id, user.id))
                await self.apply_rule(message, settings, rule="flood", action=settings.flood, target=target,
                                      notice=t(lang, "mod_rule_flood", name=target.html()),
                                      detail=f">{settings.flood_messages}/{settings.flood_seconds}s")
                return
        if settings.words != "off":
            hit = self.mod.words.find(text)
            if hit:
                await self.apply_rule(message, settings, rule="words", action=settings.words, target=target,
                                      notice=t(lang, "mod_rule_words", name=target.html()), detail=hit)
                return
        links = scan_links(text, message_entities(message))
        if settings.links != "off" and subject and links.has_links:
            key = "mod_rule_links" if settings.scope == "newcomers" else "mod_rule_links_all"
            await self.apply_rule(message, settings, rule="links", action=settings.links, target=target,
                                  notice=t(lang, key, name=target.html(), hours=str(settings.newcomer_hours)),
                                  detail=" ".join(links.links)[:300])
            return
        if (settings.night != "off" and subject and is_night(now, settings.night_start, settings.night_end)
                and (links.has_links or has_media(message) or message.forward_origin is not None)):
            until = local_time(night_ends(now, settings.night_start, settings.night_end))
            await self.apply_rule(message, settings, rule="night", action="delete", target=target,
                                  notice=t(lang, "mod_rule_night", name=target.html(), until=until))

    # --- joins and network bans -------------------------------------------------------------

    async def joined(self, chat: Chat, user: User) -> None:
        """A member joined: note the time (for the newcomer rules) and remove them at once if the network bans them."""
        if user.is_bot:
            return
        now = self.now()
        key = (chat.id, user.id)
        last = self.mod.recent_joins.get(key)
        if last is not None and now - last < JOIN_DEDUP:
            return
        self.mod.recent_joins[key] = now
        await self.storage.mod_record_join(chat.id, user.id, now)
        await self.remember(user)
        state = await self.storage.mod_member_state(chat.id, user.id)
        if state["network_banned"]:
            await self.enforce_network_ban(chat, await self.settings(chat.id), Target.of(user), state["network_id"])

    async def left(self, chat: Chat, user: User) -> None:
        await self.storage.mod_forget_member(chat.id, user.id)

    async def enforce_network_ban(self, chat: Chat, settings: ChatSettings, target: Target, network_id: str,
                                  message: Message | None = None) -> None:
        """Someone on the network's ban list joined or spoke: remove them (never an admin of this chat)."""
        member = (await self.admins(chat.id)).get(target.user_id)
        if member is not None or self.is_global_moderator(target.user_id):
            return
        ban = await self.storage.mod_network_ban(network_id, target.user_id)
        reason = (ban or {}).get("reason", "")
        if message is not None:
            await self.delete(chat.id, message.message_id)
        failure = await self.punish(chat, settings, "ban", target, rule=f"network:{network_id}", reason=reason)
        if failure is None:
            await self.say(chat.id, t(settings.lang, "mod_rule_network", name=target.html()), settings, automatic=True)

    async def network_ban(self, network: dict, target: Target, *, actor: User, reason: str, unban: bool = False
                          ) -> tuple[int, int, list[str]]:
        """Ban (or unban) in every chat of the network; (done, total, failure texts). Admins of a chat are skipped."""
        done, problems = 0, []
        for chat_id, title in network["chats"]:
            settings = await self.settings(chat_id)
            chat = Chat(chat_id, Chat.SUPERGROUP, title=title or None)
            admins = await self.admins(chat_id)
            if not unban and (target.user_id in admins or (await self.target_member(chat_id, target.user_id))[0].is_admin):
                await self.record(chat, settings, action="ban", failure=Failure("target_admin", "administrator here"),
                                  actor=actor, rule=f"network:{network['id']}", target=target, reason=reason)
                problems.append(f"{html.escape(title or str(chat_id))}: {t(settings.lang, 'mod_protect_short_admin')}")
                continue
            failure = await self.punish(chat, settings, "unban" if unban else "ban", target, actor=actor,
                                        rule=f"network:{network['id']}", reason=reason)
            if failure is None:
                done += 1
            else:
                problems.append(f"{html.escape(title or str(chat_id))}: {failure.text(settings.lang, target.html())}")
        return done, len(network["chats"]), problems

    # --- night mode ---------------------------------------------------------------------------

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
                await self._night_off(chat_id, settings, saved)

    async def _night_on(self, chat_id: int, settings: ChatSettings, now: dt.datetime) -> None:
        try:
            full = await self.bot.get_chat(chat_id)
            day = full.permissions.to_dict() if full.permissions else ChatPermissions.all_permissions().to_dict()
            night = {**day, "can_send_audios": False, "can_send_documents": False, "can_send_photos": False,
                     "can_send_videos": False, "can_send_video_notes": False, "can_send_voice_notes": False,
                     "can_send_polls": False, "can_send_other_messages": False, "can_add_web_page_previews": False}
            await self.bot.set_chat_permissions(chat_id, ChatPermissions(**night), use_independent_chat_permissions=True)
            failure = None
        except TelegramError as exc:
            failure, day = failure_from(exc), None
        chat = Chat(chat_id, Chat.SUPERGROUP)
        await self.record(chat, settings, action="night_on", failure=failure, rule="night",
                          detail=settings.night_hours)
        if failure is not None:
            self.mod.night_failures[chat_id] = now
            return
        self.mod.night_failures.pop(chat_id, None)
        await self.storage.mod_set_night_saved(chat_id, day)
        until = local_time(night_ends(now, settings.night_start, settings.night_end))
        await self.say(chat_id, t(settings.lang, "mod_night_on", until=until), settings, automatic=True)

    async def _night_off(self, chat_id: int, settings: ChatSettings, saved: dict) -> None:
        try:
            await self.bot.set_chat_permissions(chat_id, ChatPermissions(**saved), use_independent_chat_permissions=True)
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

    async def prune(self) -> dict[str, int]:
        now = self.now()
        for store in (self.mod.reports, self.mod.recent_joins):
            for key in [k for k, moment in store.items() if now - moment > dt.timedelta(hours=1)]:
                del store[key]
        for user_id in [k for k, (_, moment) in self.mod.seen.items() if now - moment > SEEN_REFRESH]:
            del self.mod.seen[user_id]
        return await self.storage.mod_prune(now, members_before=now - dt.timedelta(hours=720),
                                            seen_before=now - dt.timedelta(days=365),
                                            audit_before=now - dt.timedelta(days=365))


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
        return line + " " + t(lang, "mod_warn_limit") + " " + t(lang, f"mod_then_{self.action}",
                                                                  duration=format_duration(lang, self.duration))


def rule_name(lang: str, rule: str | None) -> str:
    if not rule:
        return ""
    return t(lang, f"mod_rulename_{rule.split(':')[0]}")


async def _autodelete(context: BotContext) -> None:
    chat_id, message_id = context.job.data
    try:
        await context.bot.delete_message(chat_id, message_id)
    except TelegramError as exc:
        log.info("could not auto-delete message %s in chat %s: %s", message_id, chat_id, exc.message)
