"""Moderation in groups: admins' commands, /report for everyone, networks, and the automatic rules.

Thin handlers: the decisions are in `bot.core.moderation`, the Telegram work and the audit trail in
`bot.enforcement`. Its handler groups (gate, commands, member events, scanner) are explained in
`bot.handlers.registry`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
import secrets
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from telegram import (BotCommand, BotCommandScopeAllChatAdministrators, BotCommandScopeAllGroupChats, Chat, ChatMember,
                      InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update, User)
from telegram.error import TelegramError
from telegram.ext import (Application, ApplicationHandlerStop, CallbackQueryHandler, ChatMemberHandler,
                          CommandHandler, MessageHandler, TypeHandler, filters)
from telegram.helpers import mention_html

from bot.context import BotContext
from bot.core.moderation.commands import TargetArgs, parse_target_args
from bot.core.moderation.night import ALMATY
from bot.core.moderation.permissions import (Verdict, actor_verdict, bot_verdict, may_join_network,
                                             may_manage_network, sender_kind, target_verdict)
from bot.core.moderation.rules import PURGE_LIMIT, REPORT_COOLDOWN, can_delete, clip_reason, plan_purge, report_allowed
from bot.core.moderation.settings import SETTING_KEYS, ChatSettings, SettingError, apply_setting
from bot.enforcement import (Failure, Ops, Target, failure_from, format_duration, member_from,
                             rule_name)
from bot import render
from bot.handlers.registry import Group
from bot.i18n import LANGUAGES, t

log = logging.getLogger(__name__)

GROUPS = filters.ChatType.GROUPS
PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE  # an edited "/ban" must not ban again
ANON_TTL = dt.timedelta(minutes=5)
MODLOG_DEFAULT, MODLOG_MAX = 10, 30
NETWORK_NAME_LIMIT = 64
DATA_RIGHTS = ("privacy", "forgetme")  # commands a blocked user may still use


# --- one command invocation ---------------------------------------------------------------------

@dataclass
class Invocation:
    ops: Ops
    chat: Chat
    message: Message
    actor: User  # who acts: the sender, or the admin who pressed the anonymous-admin button
    settings: ChatSettings
    args: list[str]
    lang: str
    via_button: bool = False
    alerts: list[str] = field(default_factory=list)

    async def reply(self, text: str) -> Message | None:
        return await self.ops.say(self.chat.id, text, self.settings, reply_to=self.message.message_id)

    async def refuse(self, text: str) -> None:
        """Refusals to the person who pressed a button go to an alert; otherwise a short reply."""
        if self.via_button:
            self.alerts.append(text)
        else:
            await self.reply(text)

    async def done(self, failure: Failure | None, key: str, target: Target, *, reason: str = "",
                   duration: dt.timedelta | None = None, show_duration: bool = False, **values: str) -> None:
        if failure is not None:
            await self.reply(failure.text(self.lang, target.html()))
            return
        lines = [t(self.lang, key, name=target.html(), **values)]
        if show_duration:
            lines.append(t(self.lang, "mod_for", duration=format_duration(self.lang, duration)))
        if reason:
            lines.append(t(self.lang, "mod_reason", reason=html.escape(reason)))
        await self.reply("\n".join(lines))

    def verdict_text(self, verdict: Verdict) -> str:
        right = t(self.lang, f"mod_right_{verdict.right}") if verdict.right else ""
        return t(self.lang, f"mod_refuse_{verdict.reason}", right=right)


@dataclass(frozen=True)
class Spec:
    handler: Callable[[Invocation], Awaitable[None]]
    permission: str  # the action whose right the caller needs (see bot.core.moderation.permissions.ACTIONS)
    private: bool = False  # also works in a private chat with the bot


@dataclass
class Pending:
    name: str
    message: Message
    args: list[str]
    created: dt.datetime


async def run(update: Update, context: BotContext, name: str, *, message: Message | None = None,
              actor: User | None = None, args: list[str] | None = None, via_button: bool = False,
              alerts: list[str] | None = None) -> bool:
    """Check the caller's right on the server side, then run the command. False when refused."""
    ops = Ops.of(context)
    message = message or update.effective_message
    chat = message.chat
    private = chat.type == Chat.PRIVATE
    settings = ChatSettings() if private else await ops.settings(chat.id)
    args = list(context.args or []) if args is None else args
    if actor is None:
        kind = sender_kind(message.from_user.id if message.from_user else None,
                           message.sender_chat.id if message.sender_chat else None, chat.id,
                           bool(message.is_automatic_forward))
        if kind == "anonymous_admin":
            await ask_anonymous(ops, message, settings, name, args)
            return False
        if kind != "user" or message.from_user is None:
            await ops.say(chat.id, t(settings.lang, "mod_refuse_not_admin"), settings, reply_to=message.message_id)
            return False
        actor = message.from_user
    if await ops.is_blocked(actor.id):
        return False  # on the bot's block list: ignored without a word
    lang = await context.bot_data.user_language(actor) if private else settings.lang
    inv = Invocation(ops, chat, message, actor, settings, args, lang, via_button, alerts if alerts is not None else [])
    spec = SPECS[name]
    if not private:
        verdict = actor_verdict(spec.permission, await ops.actor(chat.id, actor.id),
                                global_moderator=ops.is_global_moderator(actor.id))
        if not verdict:
            await inv.refuse(inv.verdict_text(verdict))
            return False
    try:
        await spec.handler(inv)
    except ApplicationHandlerStop:
        raise
    except Exception:  # noqa: BLE001 - a moderator gets one line, never a traceback
        log.exception("moderation command /%s failed", name)
        await inv.reply(t(lang, "error"))
    return not inv.alerts


async def ask_anonymous(ops: Ops, message: Message, settings: ChatSettings, name: str, args: list[str]) -> None:
    """An anonymous admin cannot be told apart from the others: the admin who presses the button acts."""
    now = ops.now()
    for token in [k for k, p in ops.mod.pending.items() if now - p.created > ANON_TTL]:
        del ops.mod.pending[token]
    token = secrets.token_hex(6)
    ops.mod.pending[token] = Pending(name, message, args, now)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(t(settings.lang, "mod_anon_button"),
                                                           callback_data=render.callback(render.ANONYMOUS, token))]])
    await ops.say(message.chat.id, t(settings.lang, "mod_anon_confirm", command=html.escape("/" + name)), settings,
                  reply_to=message.message_id, reply_markup=keyboard)


async def anonymous_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    ops = Ops.of(context)
    press = render.parse_callback(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if press is None or press.kind != render.ANONYMOUS or message is None or message.chat.type == Chat.PRIVATE:
        await query.answer()  # data the bot never wrote, or not on a group message: quietly nothing
        raise ApplicationHandlerStop
    token = press.value
    pending: Pending | None = ops.mod.pending.get(token)
    chat = message.chat
    settings = await ops.settings(chat.id)
    if pending is not None and pending.message.chat.id != chat.id:
        pending = None  # a token is good in its own chat only
    if pending is None or ops.now() - pending.created > ANON_TTL:
        ops.mod.pending.pop(token, None)
        await query.answer(t(settings.lang, "mod_anon_expired"), show_alert=True)
        raise ApplicationHandlerStop
    alerts: list[str] = []
    done = await run(update, context, pending.name, message=pending.message, actor=query.from_user,
                     args=pending.args, via_button=True, alerts=alerts)
    if not done:
        await query.answer(alerts[0] if alerts else t(settings.lang, "mod_refuse_not_admin"), show_alert=True)
        raise ApplicationHandlerStop
    ops.mod.pending.pop(token, None)
    await query.answer()
    try:
        await message.delete()
    except TelegramError:
        pass
    raise ApplicationHandlerStop  # handled: the FAQ's button handler must not answer it again


# --- finding the target -------------------------------------------------------------------------

def _reply(message: Message) -> Message | None:
    reply = message.reply_to_message
    if reply is None or reply.forum_topic_created is not None:  # in a forum topic every message "replies" to its root
        return None
    return reply


def _text_mention(message: Message) -> tuple[User, list[str]] | None:
    """A user picked from the mention list (no @username): the entity carries the user, the words after it are args."""
    for entity in message.entities or ():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            encoded = (message.text or "").encode("utf-16-le")
            rest = encoded[(entity.offset + entity.length) * 2:].decode("utf-16-le", errors="ignore")
            return entity.user, rest.split()
    return None


def _reply_target(reply: Message, chat: Chat) -> Target:
    if reply.sender_chat is not None and reply.sender_chat.id != chat.id and not reply.is_automatic_forward:
        return Target(reply.sender_chat.id, reply.sender_chat.title or reply.sender_chat.username, is_channel=True)
    return Target.of(reply.from_user)


async def resolve(inv: Invocation, action: str, *, wants_duration: bool = False, in_chat: bool = True
                  ) -> tuple[Target, TargetArgs] | None:
    """The target of a command (reply, mention, @username seen before, or id) after every check; None once answered."""
    ops, lang = inv.ops, inv.lang
    if in_chat:
        verdict = bot_verdict(action, await ops.bot_member(inv.chat.id))
        if not verdict:
            await inv.reply(inv.verdict_text(verdict))
            return None
    mention = _text_mention(inv.message)
    reply = _reply(inv.message)
    if mention is not None:
        parsed = parse_target_args(mention[1], target_known=True, wants_duration=wants_duration)
    else:
        parsed = parse_target_args(inv.args, target_known=reply is not None, wants_duration=wants_duration)
    if parsed.error == "no_target":
        await inv.reply(t(lang, "mod_err_no_target"))
        return None
    if parsed.error == "bad_id":
        await inv.reply(t(lang, "mod_err_bad_id", token=html.escape(parsed.bad_token[:30])))
        return None
    if parsed.error == "bad_duration":
        await inv.reply(t(lang, "mod_err_bad_duration", token=html.escape(parsed.bad_token[:30])))
        return None
    if parsed.username:
        user_id = await ops.storage.mod_user_by_username(parsed.username)
        if user_id is None:
            await inv.reply(t(lang, "mod_err_unknown_username", username=html.escape(parsed.username)))
            return None
        target = Target(user_id, username=parsed.username)
    elif parsed.user_id is not None:
        known = await ops.storage.mod_usernames([parsed.user_id])
        target = Target(parsed.user_id, username=known.get(parsed.user_id, "").lstrip("@") or None)
    elif mention is not None:
        target = Target.of(mention[0])
    else:
        target = _reply_target(reply, inv.chat)
    member = None
    if in_chat and not target.is_channel:
        member, user = await ops.target_member(inv.chat.id, target.user_id)
        if user is not None and not target.name:  # Telegram's name for a target given by @username or id
            target = Target.of(user)
    verdict = target_verdict(action, target.user_id, member, bot_id=ops.bot.id,
                             global_moderators=ops.global_moderators, actor_id=inv.actor.id)
    if not verdict:
        await inv.reply(t(lang, f"mod_protect_{verdict.reason}", name=target.html()))
        return None
    return target, parsed


# --- commands: members ----------------------------------------------------------------------------

async def _punishment(inv: Invocation, action: str, *, wants_duration: bool) -> None:
    found = await resolve(inv, action, wants_duration=wants_duration)
    if found is None:
        return
    target, parsed = found
    if target.is_channel and action not in ("ban", "unban"):
        await inv.reply(t(inv.lang, "mod_err_channel_target"))
        return
    failure = await inv.ops.punish(inv.chat, inv.settings, action, target, actor=inv.actor, reason=parsed.reason,
                                   duration=parsed.duration)
    await inv.done(failure, f"mod_done_{action}", target, reason=parsed.reason, duration=parsed.duration,
                   show_duration=action in ("ban", "mute") and not target.is_channel)


async def cmd_ban(inv: Invocation) -> None:
    await _punishment(inv, "ban", wants_duration=True)


async def cmd_unban(inv: Invocation) -> None:
    await _punishment(inv, "unban", wants_duration=False)


async def cmd_kick(inv: Invocation) -> None:
    await _punishment(inv, "kick", wants_duration=False)


async def cmd_mute(inv: Invocation) -> None:
    await _punishment(inv, "mute", wants_duration=True)


async def cmd_unmute(inv: Invocation) -> None:
    await _punishment(inv, "unmute", wants_duration=False)


async def cmd_warn(inv: Invocation) -> None:
    found = await resolve(inv, "warn")
    if found is None:
        return
    target, parsed = found
    if target.is_channel:
        await inv.reply(t(inv.lang, "mod_err_channel_target"))
        return
    result = await inv.ops.warn(inv.chat, inv.settings, target, actor=inv.actor, reason=parsed.reason)
    lines = [t(inv.lang, "mod_done_warn", name=target.html()) + " " + result.text(inv.lang, target)]
    if parsed.reason:
        lines.append(t(inv.lang, "mod_reason", reason=html.escape(parsed.reason)))
    await inv.reply("\n".join(lines))


async def cmd_unwarn(inv: Invocation) -> None:
    found = await resolve(inv, "unwarn")
    if found is None:
        return
    target, parsed = found
    storage, now = inv.ops.storage, inv.ops.now()
    if not await storage.mod_remove_last_warning(inv.chat.id, target.user_id, now):
        await inv.reply(t(inv.lang, "mod_no_warns", name=target.html()))
        return
    count = len(await storage.mod_warnings(inv.chat.id, target.user_id, now))
    await inv.ops.record(inv.chat, inv.settings, action="unwarn", actor=inv.actor, target=target, reason=parsed.reason,
                         detail=f"{count}/{inv.settings.warn_limit}")
    await inv.done(None, "mod_done_unwarn", target, reason=parsed.reason, count=str(count),
                   limit=str(inv.settings.warn_limit))


async def cmd_warns(inv: Invocation) -> None:
    """Anyone may see their own warnings; an admin may see anyone's."""
    if _reply(inv.message) is None and not inv.args and _text_mention(inv.message) is None:
        target = Target.of(inv.actor)
    else:
        verdict = actor_verdict("warns_other", await inv.ops.actor(inv.chat.id, inv.actor.id),
                                global_moderator=inv.ops.is_global_moderator(inv.actor.id))
        if not verdict:
            await inv.refuse(inv.verdict_text(verdict))
            return
        found = await resolve(inv, "warns_other", in_chat=False)
        if found is None:
            return
        target = found[0]
    warnings = await inv.ops.storage.mod_warnings(inv.chat.id, target.user_id, inv.ops.now())
    if not warnings:
        await inv.reply(t(inv.lang, "mod_no_warns", name=target.html()))
        return
    lines = [t(inv.lang, "mod_warns_list", name=target.html(), count=str(len(warnings)), limit=str(inv.settings.warn_limit))]
    for number, warning in enumerate(warnings, 1):
        when = dt.datetime.fromisoformat(warning["created_at"]).astimezone(ALMATY).strftime("%d.%m.%Y")
        reason = html.escape(warning["reason"] or "—")
        lines.append(f"{number}. {when}: {reason}")
    await inv.reply("\n".join(lines))


async def cmd_approve(inv: Invocation) -> None:
    found = await resolve(inv, "approve", in_chat=False)
    if found is None:
        return
    target, parsed = found
    if not await inv.ops.storage.mod_approve(inv.chat.id, target.user_id, inv.actor.id, inv.ops.now()):
        await inv.reply(t(inv.lang, "mod_already_approved", name=target.html()))
        return
    await inv.ops.record(inv.chat, inv.settings, action="approve", actor=inv.actor, target=target, reason=parsed.reason)
    await inv.done(None, "mod_done_approve", target)


async def cmd_unapprove(inv: Invocation) -> None:
    found = await resolve(inv, "unapprove", in_chat=False)
    if found is None:
        return
    target, parsed = found
    if not await inv.ops.storage.mod_unapprove(inv.chat.id, target.user_id):
        await inv.reply(t(inv.lang, "mod_not_approved", name=target.html()))
        return
    await inv.ops.record(inv.chat, inv.settings, action="unapprove", actor=inv.actor, target=target, reason=parsed.reason)
    await inv.done(None, "mod_done_unapprove", target)


async def cmd_approved(inv: Invocation) -> None:
    ids = await inv.ops.storage.mod_approved(inv.chat.id)
    if not ids:
        await inv.reply(t(inv.lang, "mod_approved_none"))
        return
    names = await inv.ops.storage.mod_usernames(ids)
    shown = [Target(i, username=(names.get(i) or "").lstrip("@") or None).html() for i in ids[:50]]
    await inv.reply(t(inv.lang, "mod_approved_list", count=str(len(ids))) + "\n" + ", ".join(shown))


# --- commands: messages --------------------------------------------------------------------------

async def _replied_message(inv: Invocation, action: str) -> Message | None:
    """The message a /del or /purge points at, once the bot may delete; None after telling why not."""
    verdict = bot_verdict(action, await inv.ops.bot_member(inv.chat.id))
    if not verdict:
        await inv.reply(inv.verdict_text(verdict))
        return None
    reply = _reply(inv.message)
    if reply is None:
        await inv.reply(t(inv.lang, "mod_err_need_reply"))
    return reply


async def cmd_del(inv: Invocation) -> None:
    reply = await _replied_message(inv, "del")
    if reply is None:
        return
    target = _reply_target(reply, inv.chat)
    if not can_delete(reply.date, inv.ops.now()):
        failure = Failure("cant_delete", "older than 48 hours")
    else:
        failure = await inv.ops.delete(inv.chat.id, reply.message_id)
    reason = clip_reason(" ".join(inv.args))
    await inv.ops.record(inv.chat, inv.settings, action="delete", failure=failure, actor=inv.actor, target=target,
                         reason=reason, detail=f"message {reply.message_id}")
    if failure is not None:
        await inv.reply(failure.text(inv.lang, target.html()))
        return
    await inv.ops.delete(inv.chat.id, inv.message.message_id)  # the command itself; fine if it cannot go
    lines = [t(inv.lang, "mod_done_del", name=target.html())]
    if reason:
        lines.append(t(inv.lang, "mod_reason", reason=html.escape(reason)))
    await inv.ops.say(inv.chat.id, "\n".join(lines), inv.settings)


async def cmd_purge(inv: Invocation) -> None:
    reply = await _replied_message(inv, "purge")
    if reply is None:
        return
    plan = plan_purge(reply.message_id, inv.message.message_id, reply.date, inv.ops.now())
    if plan.error:
        await inv.reply(t(inv.lang, f"mod_err_purge_{plan.error}", limit=str(PURGE_LIMIT)))
        return
    failure = None
    deleted = 0
    for batch in plan.batches:
        try:
            await inv.ops.bot.delete_messages(inv.chat.id, list(batch))
        except TelegramError as exc:
            failure = failure_from(exc)
            break
        deleted += len(batch)
    await inv.ops.record(inv.chat, inv.settings, action="purge", failure=failure, actor=inv.actor,
                         reason=clip_reason(" ".join(inv.args)),
                         detail=f"messages {reply.message_id}-{inv.message.message_id}: {deleted} of {plan.count}")
    if failure is not None and not deleted:
        await inv.reply(failure.text(inv.lang))
        return
    text = t(inv.lang, "mod_done_purge", count=str(deleted))
    if failure is not None:
        text += "\n" + failure.text(inv.lang)
    await inv.ops.say(inv.chat.id, text, inv.settings)


async def cmd_report(inv: Invocation) -> None:
    """Any member: point the admins at a message, at most once per REPORT_COOLDOWN."""
    reply = _reply(inv.message)
    if reply is None:
        await inv.reply(t(inv.lang, "mod_err_report_reply"))
        return
    ops, now = inv.ops, inv.ops.now()
    target = _reply_target(reply, inv.chat)
    admins = await ops.admins(inv.chat.id)
    if target.user_id in admins or target.user_id == ops.bot.id or sender_kind(
            reply.from_user.id if reply.from_user else None, reply.sender_chat.id if reply.sender_chat else None,
            inv.chat.id, bool(reply.is_automatic_forward)) in ("anonymous_admin", "linked_channel"):
        await inv.reply(t(inv.lang, "mod_err_report_admin"))
        return
    key = (inv.chat.id, inv.actor.id)
    if not report_allowed(ops.mod.reports.get(key), now) and inv.actor.id not in admins:
        await inv.reply(t(inv.lang, "mod_err_report_cooldown", minutes=str(int(REPORT_COOLDOWN.total_seconds() // 60))))
        return
    ops.mod.reports[key] = now
    reason = clip_reason(" ".join(inv.args))
    names = ops.mod.admin_names.get(inv.chat.id, {})
    mentions = ", ".join(mention_html(uid, name) for uid, name in list(names.items())[:20])
    lines = [t(inv.lang, "mod_report", reporter=mention_html(inv.actor.id, inv.actor.full_name), name=target.html())]
    if reason:
        lines.append(t(inv.lang, "mod_reason", reason=html.escape(reason)))
    if mentions:
        lines.append(mentions)
    await ops.record(inv.chat, inv.settings, action="report", actor=inv.actor, target=target, reason=reason,
                     detail=f"message {reply.message_id}")
    await ops.say(inv.chat.id, "\n".join(lines), inv.settings, reply_to=reply.message_id)


# --- commands: settings and the log -------------------------------------------------------------

def _setting_value(settings: ChatSettings, key: str, lang: str) -> str:
    off = t(lang, "mod_off")
    values = {
        "lang": settings.lang, "warn_limit": str(settings.warn_limit), "warn_action": settings.warn_action,
        "warn_expiry": format_duration(lang, settings.warn_expiry) if settings.warn_expiry else off,
        "mute_time": format_duration(lang, settings.mute_time), "links": settings.links, "scope": settings.scope,
        "newcomer_hours": str(settings.newcomer_hours), "words": settings.words, "flood": settings.flood,
        "flood_limit": f"{settings.flood_messages}/{settings.flood_seconds}s", "night": settings.night,
        "night_hours": settings.night_hours + " (Asia/Almaty)", "notices": settings.notices,
        "autodelete": format_duration(lang, settings.autodelete) if settings.autodelete else off,
        "log": settings.log_channel or off, "autoanswer": settings.autoanswer, "faq": settings.faq_access,
    }
    return html.escape(values[key])


async def cmd_settings(inv: Invocation) -> None:
    ops, lang = inv.ops, inv.lang
    if not inv.args:
        lines = [t(lang, "mod_settings_title", words=str(len(ops.mod.words)))]
        for key in SETTING_KEYS:
            lines.append(f"• {t(lang, f'mod_set_{key}')}: <b>{_setting_value(inv.settings, key, lang)}</b> "
                         f"(<code>{key}</code>)")
        lines.append(t(lang, "mod_settings_help"))
        await inv.reply("\n".join(lines))
        return
    verdict = actor_verdict("settings", await ops.actor(inv.chat.id, inv.actor.id),
                            global_moderator=ops.is_global_moderator(inv.actor.id))
    if not verdict:
        await inv.refuse(inv.verdict_text(verdict))
        return
    key, value = inv.args[0], " ".join(inv.args[1:])
    try:
        changed = apply_setting(inv.settings, key, value)
    except SettingError as exc:
        text_key = "mod_err_setting_key" if exc.code == "unknown_key" else "mod_err_setting_value"
        await inv.reply(t(lang, text_key, setting=html.escape(exc.key[:40]), allowed=html.escape(exc.allowed)))
        return
    key = key.lower()
    if key == "log" and changed.log_channel:
        log_chat_id = await _log_chat_checked(inv, changed.log_channel)
        if log_chat_id is None:
            return
        changed = dataclasses.replace(changed, log_channel=str(log_chat_id))  # the id: a @username may change hands
    await ops.save_settings(inv.chat.id, changed)
    inv.settings = changed
    shown = _setting_value(changed, key, changed.lang)
    await ops.record(inv.chat, changed, action="settings", actor=inv.actor, detail=f"{key}={shown}")
    inv.lang = changed.lang
    await inv.reply(t(changed.lang, "mod_settings_saved", setting=html.escape(key), value=shown))


async def _log_chat_checked(inv: Invocation, given: str) -> int | None:
    """The id of the chat `given` for the moderation log, once the caller is shown to control it and the bot
    has posted there; None after saying why not. The log carries every action's reason as the admin typed it,
    so it may go only to a chat the caller runs: where they are the owner or an administrator (of a channel:
    one who may post), or the chat's own linked channel."""
    ops, lang, shown = inv.ops, inv.lang, html.escape(given)
    try:
        target = await ops.bot.get_chat(given)
    except TelegramError as exc:
        log.info("log channel %s: %s", given, exc.message)
        await inv.reply(t(lang, "mod_err_log_channel", channel=shown))
        return None
    if not await _controls(ops, inv.chat.id, inv.actor.id, target):
        await inv.reply(t(lang, "mod_err_log_not_yours", channel=shown))
        return None
    try:
        await ops.bot.send_message(target.id, t(inv.settings.lang, "mod_log_test",
                                                chat=html.escape(inv.chat.title or str(inv.chat.id))))
    except TelegramError as exc:
        log.info("log channel %s refused: %s", given, exc.message)
        await inv.reply(t(lang, "mod_err_log_channel", channel=shown))
        return None
    return target.id


async def _controls(ops: Ops, chat_id: int, user_id: int, target: Chat) -> bool:
    if target.type not in (Chat.CHANNEL, Chat.GROUP, Chat.SUPERGROUP):
        return False
    if target.id == chat_id:
        return True  # this chat itself, whose settings the caller may change
    try:
        if (await ops.bot.get_chat(chat_id)).linked_chat_id == target.id:
            return True  # the channel this group is the discussion of
        member = await ops.bot.get_chat_member(target.id, user_id)
    except TelegramError as exc:  # e.g. the bot may not read a channel's members: control is not shown
        log.info("could not check %s's standing in chat %s: %s", user_id, target.id, exc.message)
        return False
    if member.status == ChatMember.OWNER:
        return True
    if member.status != ChatMember.ADMINISTRATOR:
        return False
    return target.type != Chat.CHANNEL or bool(getattr(member, "can_post_messages", False))


async def cmd_modlog(inv: Invocation) -> None:
    limit = MODLOG_DEFAULT
    if inv.args and inv.args[0].isdigit():
        limit = max(1, min(MODLOG_MAX, int(inv.args[0])))
    rows = await inv.ops.storage.mod_audit(inv.chat.id, limit)
    if not rows:
        await inv.reply(t(inv.lang, "mod_modlog_empty"))
        return
    names = await inv.ops.storage.mod_usernames([r["actor_id"] for r in rows] + [r["target_id"] for r in rows])
    for user_id, name in inv.ops.mod.admin_names.get(inv.chat.id, {}).items():
        names.setdefault(user_id, name)  # current admins by name (kept in memory only)
    lines = [t(inv.lang, "mod_modlog_title", count=str(len(rows)))]
    for row in reversed(rows):
        when = dt.datetime.fromisoformat(row["created_at"]).astimezone(ALMATY).strftime("%d.%m %H:%M")
        actor = (_who(row["actor_id"], names) if row["actor_id"] is not None
                 else html.escape(rule_name(inv.lang, row["rule"])))
        parts = [f"{when} #{row['action'].upper()}"]
        if row["target_id"] is not None:
            parts.append(_who(row["target_id"], names))
        parts.append("← " + actor)
        if row["duration"]:
            parts.append(f"({format_duration(inv.lang, row['duration'])})")
        if row["reason"]:
            parts.append("— " + html.escape(row["reason"][:80]))
        if row["result"] != "ok":
            parts.append("❌ " + html.escape(row["detail"][:80]))
        lines.append(" ".join(parts))
    await inv.reply("\n".join(lines))


def _who(user_id: int, names: dict[int, str]) -> str:
    """A stored @username, a current admin's name, or the id."""
    name = names.get(user_id)
    return mention_html(user_id, name if name else str(user_id))


async def cmd_admincache(inv: Invocation) -> None:
    admins = await inv.ops.admins(inv.chat.id, refresh=True)
    await inv.reply(t(inv.lang, "mod_admincache", count=str(len(admins))))


async def cmd_modhelp(inv: Invocation) -> None:
    await inv.reply(t(inv.lang, "mod_help"))


# --- commands: networks and the block list -------------------------------------------------------

async def _network_here(inv: Invocation) -> dict | None:
    network_id = await inv.ops.storage.mod_network_of_chat(inv.chat.id)
    network = await inv.ops.storage.mod_network(network_id) if network_id else None
    if network is None:
        await inv.reply(t(inv.lang, "mod_err_no_network"))
    return network


async def _network_admin(inv: Invocation, network: dict) -> bool:
    if may_manage_network(inv.actor.id, owner_id=network["owner_id"], network_admins=network["admins"],
                          global_moderators=inv.ops.global_moderators):
        return True
    await inv.refuse(t(inv.lang, "mod_refuse_network_admin"))
    return False


async def _network_target(inv: Invocation, action: str):
    """(network, target, parsed command) for /nban and /unnban, once this chat's network lets the caller act."""
    network = await _network_here(inv)
    if network is None or not await _network_admin(inv, network):
        return None
    found = await resolve(inv, action)
    return None if found is None else (network, *found)


async def cmd_nban(inv: Invocation) -> None:
    found = await _network_target(inv, "nban")
    if found is None:
        return
    network, target, parsed = found
    if target.is_channel:
        await inv.reply(t(inv.lang, "mod_err_channel_target"))
        return
    await inv.ops.storage.mod_add_network_ban(network["id"], target.user_id, actor_id=inv.actor.id,
                                              reason=parsed.reason, when=inv.ops.now())
    await inv.ops.record(inv.chat, inv.settings, action="nban", actor=inv.actor, target=target, reason=parsed.reason,
                         rule=f"network:{network['id']}")
    done, total, problems = await inv.ops.network_ban(network, target, actor=inv.actor, reason=parsed.reason)
    lines = [t(inv.lang, "mod_done_nban", name=target.html(), network=html.escape(network["name"]),
               count=str(done), total=str(total))]
    if parsed.reason:
        lines.append(t(inv.lang, "mod_reason", reason=html.escape(parsed.reason)))
    lines.extend(problems[:10])
    await inv.reply("\n".join(lines))


async def cmd_unnban(inv: Invocation) -> None:
    found = await _network_target(inv, "unnban")
    if found is None:
        return
    network, target, parsed = found
    if not await inv.ops.storage.mod_remove_network_ban(network["id"], target.user_id):
        await inv.reply(t(inv.lang, "mod_not_network_banned", name=target.html()))
        return
    await inv.ops.record(inv.chat, inv.settings, action="unnban", actor=inv.actor, target=target, reason=parsed.reason,
                         rule=f"network:{network['id']}")
    done, total, problems = await inv.ops.network_ban(network, target, actor=inv.actor, reason=parsed.reason, unban=True)
    lines = [t(inv.lang, "mod_done_unnban", name=target.html(), network=html.escape(network["name"]),
               count=str(done), total=str(total))]
    lines.extend(problems[:10])
    await inv.reply("\n".join(lines))


async def cmd_newnet(inv: Invocation) -> None:
    """Anyone may create a network in a private chat; in a group only its owner. Chats join with /joinnet."""
    if inv.chat.type != Chat.PRIVATE and not may_join_network(await inv.ops.actor(inv.chat.id, inv.actor.id),
                                                               global_moderator=inv.ops.is_global_moderator(inv.actor.id)):
        await inv.refuse(t(inv.lang, "mod_refuse_owner_only"))
        return
    name = " ".join(inv.args).strip()
    if not name or len(name) > NETWORK_NAME_LIMIT:
        await inv.reply(t(inv.lang, "mod_err_network_name", limit=str(NETWORK_NAME_LIMIT)))
        return
    network_id = await inv.ops.storage.mod_create_network(name, inv.actor.id, inv.ops.now())
    await inv.ops.storage.mod_add_audit(chat_id=inv.chat.id, action="network_create", actor_id=inv.actor.id,
                                        detail=f"{network_id} {name}", when=inv.ops.now())
    await inv.reply(t(inv.lang, "mod_network_created", name=html.escape(name), id=network_id))


async def cmd_joinnet(inv: Invocation) -> None:
    if not may_join_network(await inv.ops.actor(inv.chat.id, inv.actor.id),
                            global_moderator=inv.ops.is_global_moderator(inv.actor.id)):
        await inv.refuse(t(inv.lang, "mod_refuse_owner_only"))
        return
    network_id = (inv.args[0] if inv.args else "").strip().lower()
    network = await inv.ops.storage.mod_network(network_id) if network_id else None
    if network is None:
        await inv.reply(t(inv.lang, "mod_err_unknown_network", id=html.escape(network_id[:20] or "—")))
        return
    await inv.ops.storage.mod_join_network(inv.chat.id, network_id, title=(inv.chat.title or "")[:128],
                                           joined_by=inv.actor.id, when=inv.ops.now())
    await inv.ops.record(inv.chat, inv.settings, action="network_join", actor=inv.actor, rule=f"network:{network_id}",
                         detail=network["name"])
    await inv.reply(t(inv.lang, "mod_network_joined", name=html.escape(network["name"])))


async def cmd_leavenet(inv: Invocation) -> None:
    if not may_join_network(await inv.ops.actor(inv.chat.id, inv.actor.id),
                            global_moderator=inv.ops.is_global_moderator(inv.actor.id)):
        await inv.refuse(t(inv.lang, "mod_refuse_owner_only"))
        return
    network_id = await inv.ops.storage.mod_network_of_chat(inv.chat.id)
    if network_id is None or not await inv.ops.storage.mod_leave_network(inv.chat.id):
        await inv.reply(t(inv.lang, "mod_err_no_network"))
        return
    await inv.ops.record(inv.chat, inv.settings, action="network_leave", actor=inv.actor, rule=f"network:{network_id}")
    await inv.reply(t(inv.lang, "mod_network_left"))


async def cmd_netinfo(inv: Invocation) -> None:
    network = await _network_here(inv)
    if network is None:
        return
    chats = "\n".join("• " + html.escape(title or str(chat_id)) for chat_id, title in network["chats"][:30])
    await inv.reply(t(inv.lang, "mod_network_info", name=html.escape(network["name"]), id=network["id"],
                      chats=str(len(network["chats"])), bans=str(network["bans"]),
                      owner=mention_html(network["owner_id"], str(network["owner_id"]))) + "\n" + chats)


async def _network_promotion(inv: Invocation, promote: bool) -> None:
    network = await _network_here(inv)
    if network is None:
        return
    if inv.actor.id != network["owner_id"] and not inv.ops.is_global_moderator(inv.actor.id):
        await inv.refuse(t(inv.lang, "mod_refuse_network_owner"))
        return
    found = await resolve(inv, "network_admin", in_chat=False)
    if found is None:
        return
    target = found[0]
    changed = await inv.ops.storage.mod_set_network_admin(network["id"], target.user_id, promote)
    if changed:
        await inv.ops.record(inv.chat, inv.settings, action="network_promote" if promote else "network_demote",
                             actor=inv.actor, target=target, rule=f"network:{network['id']}")
    key = "mod_network_promoted" if promote else "mod_network_demoted"
    await inv.reply(t(inv.lang, key, name=target.html(), network=html.escape(network["name"])))


async def cmd_npromote(inv: Invocation) -> None:
    await _network_promotion(inv, True)


async def cmd_ndemote(inv: Invocation) -> None:
    await _network_promotion(inv, False)


async def _block(inv: Invocation, block: bool) -> None:
    """The bot-wide block list, for global moderators (BOT_MODERATOR_IDS): the bot ignores the user everywhere."""
    if not inv.ops.is_global_moderator(inv.actor.id):
        await inv.refuse(t(inv.lang, "mod_refuse_global_only"))
        return
    found = await resolve(inv, "block" if block else "unblock", in_chat=False)
    if found is None:
        return
    target, parsed = found
    storage = inv.ops.storage
    if block:
        changed = await storage.mod_block_user(target.user_id, actor_id=inv.actor.id, reason=parsed.reason,
                                               when=inv.ops.now())
    else:
        changed = await storage.mod_unblock_user(target.user_id)
    if await inv.ops.is_blocked(target.user_id) != block:  # keep the in-memory copy in step
        (inv.ops.mod.blocked.add if block else inv.ops.mod.blocked.discard)(target.user_id)
    if not changed:
        await inv.reply(t(inv.lang, "mod_already_blocked" if block else "mod_not_blocked", name=target.html()))
        return
    await storage.mod_add_audit(chat_id=inv.chat.id, action="block" if block else "unblock", actor_id=inv.actor.id,
                                target_id=target.user_id, reason=parsed.reason, when=inv.ops.now())
    await inv.done(None, "mod_done_block" if block else "mod_done_unblock", target, reason=parsed.reason)


async def cmd_block(inv: Invocation) -> None:
    await _block(inv, True)


async def cmd_unblock(inv: Invocation) -> None:
    await _block(inv, False)


SPECS: dict[str, Spec] = {
    "ban": Spec(cmd_ban, "ban"),
    "unban": Spec(cmd_unban, "unban"),
    "kick": Spec(cmd_kick, "kick"),
    "mute": Spec(cmd_mute, "mute"),
    "unmute": Spec(cmd_unmute, "unmute"),
    "warn": Spec(cmd_warn, "warn"),
    "unwarn": Spec(cmd_unwarn, "unwarn"),
    "warns": Spec(cmd_warns, "report"),
    "del": Spec(cmd_del, "del"),
    "purge": Spec(cmd_purge, "purge"),
    "report": Spec(cmd_report, "report"),
    "approve": Spec(cmd_approve, "approve"),
    "unapprove": Spec(cmd_unapprove, "unapprove"),
    "approved": Spec(cmd_approved, "modlog"),
    "settings": Spec(cmd_settings, "settings_view"),
    "modlog": Spec(cmd_modlog, "modlog"),
    "admincache": Spec(cmd_admincache, "admincache"),
    "modhelp": Spec(cmd_modhelp, "modlog"),
    "nban": Spec(cmd_nban, "nban"),
    "unnban": Spec(cmd_unnban, "unnban"),
    "newnet": Spec(cmd_newnet, "network", private=True),
    "joinnet": Spec(cmd_joinnet, "network"),
    "leavenet": Spec(cmd_leavenet, "network"),
    "netinfo": Spec(cmd_netinfo, "modlog"),
    "npromote": Spec(cmd_npromote, "network"),
    "ndemote": Spec(cmd_ndemote, "network"),
    "block": Spec(cmd_block, "block", private=True),
    "unblock": Spec(cmd_unblock, "unblock", private=True),
}


def _command(name: str):
    async def callback(update: Update, context: BotContext) -> None:
        await run(update, context, name)
        if update.effective_chat.type == Chat.PRIVATE:
            raise ApplicationHandlerStop  # handled: the FAQ's "unknown command" help must not follow

    callback.__name__ = f"moderation_{name}"
    return callback


async def group_only(update: Update, context: BotContext) -> None:
    lang = await context.bot_data.user_language(update.effective_user)
    await update.effective_message.reply_text(t(lang, "mod_group_only"))
    raise ApplicationHandlerStop


# --- events and the automatic rules ----------------------------------------------------------------

async def gate(update: Update, context: BotContext) -> None:
    """First for every update: note users seen in groups (id and @username), and ignore blocked users.

    A blocked user gets nothing from the bot anywhere (no answer, command, button or inline result),
    except /privacy and /forgetme sent to this bot in a private chat. In groups the automatic rules
    still apply to their messages, and their joins and leaves are still noted (newcomer clock, network bans).
    """
    user = update.effective_user
    if user is None:
        return
    ops = Ops.of(context)
    chat = update.effective_chat
    message = update.effective_message
    if chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        await ops.remember(user)
        if message is not None and message.reply_to_message is not None:
            await ops.remember(message.reply_to_message.from_user)
    if not await ops.is_blocked(user.id):
        return
    if DATA_RIGHTS_COMMAND.check_update(update):
        return  # being blocked takes nobody's right to read the privacy notice or to have their data deleted
    if update.chat_member is not None or update.my_chat_member is not None:
        return  # membership changes are never answered; the moderation events need them
    if chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        if SERVICE_MESSAGES.check_update(update):
            await service_message(update, context)
        elif SCANNED_MESSAGES.check_update(update):
            await scan(update, context)
    raise ApplicationHandlerStop  # nothing else runs for them: no answer, no command, no button


async def _data_rights(update: Update, context: BotContext) -> None:
    """Never called: DATA_RIGHTS_COMMAND only tells the gate which updates bot.handlers.admin will answer."""


# The same matching as the /privacy and /forgetme handlers (the command at the start, for this bot only:
# "/privacy@other_bot" is not theirs), so the gate lets through exactly what they answer.
DATA_RIGHTS_COMMAND = CommandHandler(list(DATA_RIGHTS), _data_rights, filters=PRIVATE & NEW_MESSAGE)
SERVICE_MESSAGES = MessageHandler(GROUPS & (filters.StatusUpdate.NEW_CHAT_MEMBERS | filters.StatusUpdate.LEFT_CHAT_MEMBER),
                                  lambda update, context: None)
SCANNED_MESSAGES = MessageHandler(GROUPS & filters.UpdateType.MESSAGES & ~filters.StatusUpdate.ALL, lambda update, context: None)


async def member_update(update: Update, context: BotContext) -> None:
    """chat_member updates: joins (newcomer clock, network ban), leaves, and admin changes (cache refresh)."""
    change = update.chat_member
    ops = Ops.of(context)
    old, new = member_from(change.old_chat_member), member_from(change.new_chat_member)
    if old.is_admin or new.is_admin:
        ops.forget_admins(change.chat.id)
    if not old.in_chat and new.in_chat:
        await ops.joined(change.chat, change.new_chat_member.user)
    elif old.in_chat and not new.in_chat:
        await ops.left(change.chat, change.new_chat_member.user)


async def bot_member_update(update: Update, context: BotContext) -> None:
    """The bot itself was promoted, demoted, added or removed: its rights must be read again."""
    Ops.of(context).forget_admins(update.my_chat_member.chat.id)


async def service_message(update: Update, context: BotContext) -> None:
    message = update.effective_message
    ops = Ops.of(context)
    for user in message.new_chat_members or ():
        await ops.joined(message.chat, user)
    if message.left_chat_member is not None:
        await ops.left(message.chat, message.left_chat_member)


async def scan(update: Update, context: BotContext) -> None:
    message = update.effective_message
    try:
        await Ops.of(context).scan(message, edited=update.edited_message is not None)
    except TelegramError as exc:  # a rule that could not finish is logged; the chat goes on
        log.warning("automatic rules failed in chat %s: %s", message.chat.id, exc.message)


# --- jobs ------------------------------------------------------------------------------------------

async def night_job(context: BotContext) -> None:
    await Ops.of(context).night_tick()


async def prune_job(context: BotContext) -> None:
    counts = await Ops.of(context).prune()
    log.info("moderation data pruned: %s", counts)


ADMIN_MENU = ("faq", "ban", "mute", "warn", "kick", "unban", "unmute", "unwarn", "del", "purge", "approve", "settings",
              "modlog", "nban", "modhelp")
MEMBER_MENU = ("ask", "report", "warns")


async def commands_job(context: BotContext) -> None:
    """Command menus for group admins and members, in each language (the private menu is set in app.py)."""
    for lang in LANGUAGES:
        code = None if lang == "ru" else lang
        for scope, names in ((BotCommandScopeAllChatAdministrators(), ADMIN_MENU + MEMBER_MENU),
                             (BotCommandScopeAllGroupChats(), MEMBER_MENU)):
            try:
                await context.bot.set_my_commands([BotCommand(n, t(lang, f"mod_cmd_{n}")) for n in names],
                                                  scope=scope, language_code=code)
            except TelegramError as exc:
                log.warning("could not register the group commands (%s): %s", lang, exc.message)


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, gate), group=Group.GATE)
    for name, spec in SPECS.items():
        chats = (GROUPS | PRIVATE) if spec.private else GROUPS
        application.add_handler(CommandHandler(name, _command(name), filters=chats & NEW_MESSAGE), group=Group.MODERATION_COMMANDS)
    group_only_names = [name for name, spec in SPECS.items() if not spec.private]
    application.add_handler(CommandHandler(group_only_names, group_only, filters=PRIVATE & NEW_MESSAGE),
                            group=Group.MODERATION_COMMANDS)
    application.add_handler(CallbackQueryHandler(anonymous_button, pattern=r"^mod:"), group=Group.MODERATION_COMMANDS)
    application.add_handler(ChatMemberHandler(member_update, ChatMemberHandler.CHAT_MEMBER), group=Group.MEMBER_EVENTS)
    application.add_handler(ChatMemberHandler(bot_member_update, ChatMemberHandler.MY_CHAT_MEMBER), group=Group.MEMBER_EVENTS)
    application.add_handler(MessageHandler(SERVICE_MESSAGES.filters, service_message), group=Group.MEMBER_EVENTS)
    application.add_handler(MessageHandler(SCANNED_MESSAGES.filters, scan), group=Group.SCAN)
    if application.job_queue is not None:
        application.job_queue.run_repeating(night_job, interval=60, first=5, name="moderation-night")
        application.job_queue.run_repeating(prune_job, interval=6 * 3600, first=600, name="moderation-prune")
        application.job_queue.run_once(commands_job, 2, name="moderation-commands")
