"""Commands on the chat's moderation: /settings (and the log channel), /modlog, /admincache, /modhelp."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging

from telegram import Chat, ChatMember
from telegram.error import TelegramError
from telegram.helpers import mention_html

from bot.core.moderation.night import ALMATY
from bot.core.moderation.permissions import actor_verdict
from bot.core.moderation.settings import SETTING_KEYS, ChatSettings, SettingError, apply_setting
from bot.enforcement import Ops, format_duration, rule_name
from bot.handlers.moderation.framework import Invocation
from bot.i18n import t

log = logging.getLogger(__name__)

MODLOG_DEFAULT, MODLOG_MAX = 10, 30


def _setting_value(settings: ChatSettings, key: str, lang: str) -> str:
    off = t(lang, "mod_off")
    values = {
        "lang": settings.lang,
        "warn_limit": str(settings.warn_limit),
        "warn_action": settings.warn_action,
        "warn_expiry": format_duration(lang, settings.warn_expiry) if settings.warn_expiry else off,
        "mute_time": format_duration(lang, settings.mute_time),
        "links": settings.links,
        "scope": settings.scope,
        "newcomer_hours": str(settings.newcomer_hours),
        "words": settings.words,
        "flood": settings.flood,
        "flood_limit": f"{settings.flood_messages}/{settings.flood_seconds}s",
        "night": settings.night,
        "night_hours": settings.night_hours + " (Asia/Almaty)",
        "notices": settings.notices,
        "autodelete": format_duration(lang, settings.autodelete) if settings.autodelete else off,
        "log": settings.log_channel or off,
        "autoanswer": settings.autoanswer,
        "faq": settings.faq_access,
    }
    return html.escape(values[key])


async def cmd_settings(inv: Invocation) -> None:
    ops, lang = inv.ops, inv.lang
    if not inv.args:
        lines = [t(lang, "mod_settings_title", words=str(len(ops.mod.words)))]
        for key in SETTING_KEYS:
            lines.append(
                f"• {t(lang, f'mod_set_{key}')}: <b>{_setting_value(inv.settings, key, lang)}</b> (<code>{key}</code>)"
            )
        lines.append(t(lang, "mod_settings_help"))
        await inv.reply("\n".join(lines))
        return
    verdict = actor_verdict(
        "settings", await ops.actor(inv.chat.id, inv.actor.id), global_moderator=ops.is_global_moderator(inv.actor.id)
    )
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
        await ops.bot.send_message(
            target.id, t(inv.settings.lang, "mod_log_test", chat=html.escape(inv.chat.title or str(inv.chat.id)))
        )
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
    ids = [i for r in rows for i in (r["actor_id"], r["target_id"]) if i is not None]
    names = await inv.ops.storage.mod_usernames(ids)
    for user_id, name in inv.ops.mod.admin_names.get(inv.chat.id, {}).items():
        names.setdefault(user_id, name)  # current admins by name (kept in memory only)
    lines = [t(inv.lang, "mod_modlog_title", count=str(len(rows)))]
    for row in reversed(rows):
        when = dt.datetime.fromisoformat(row["created_at"]).astimezone(ALMATY).strftime("%d.%m %H:%M")
        actor = (
            _who(row["actor_id"], names)
            if row["actor_id"] is not None
            else html.escape(rule_name(inv.lang, row["rule"]))
        )
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
