"""The table of moderation commands and their handlers, the anonymous-admin button, and the private
chat's answer to a command that works only in groups."""

from __future__ import annotations

import contextlib

from telegram import Chat, Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import render
from bot.context import BotContext, Pending
from bot.enforcement import Ops
from bot.handlers.moderation import members, messages, networks, settings
from bot.handlers.moderation.framework import ANON_TTL, Spec, run
from bot.i18n import t


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
    done = await run(
        update,
        context,
        pending.name,
        SPECS[pending.name],
        message=pending.message,
        actor=query.from_user,
        args=pending.args,
        via_button=True,
        alerts=alerts,
    )
    if not done:
        await query.answer(alerts[0] if alerts else t(settings.lang, "mod_refuse_not_admin"), show_alert=True)
        raise ApplicationHandlerStop
    ops.mod.pending.pop(token, None)
    await query.answer()
    with contextlib.suppress(TelegramError):
        await message.delete()
    raise ApplicationHandlerStop  # handled: the FAQ's button handler must not answer it again


SPECS: dict[str, Spec] = {
    "ban": Spec(members.cmd_ban, "ban"),
    "unban": Spec(members.cmd_unban, "unban"),
    "kick": Spec(members.cmd_kick, "kick"),
    "mute": Spec(members.cmd_mute, "mute"),
    "unmute": Spec(members.cmd_unmute, "unmute"),
    "warn": Spec(members.cmd_warn, "warn"),
    "unwarn": Spec(members.cmd_unwarn, "unwarn"),
    "warns": Spec(members.cmd_warns, "report"),
    "del": Spec(messages.cmd_del, "del"),
    "purge": Spec(messages.cmd_purge, "purge"),
    "report": Spec(messages.cmd_report, "report"),
    "approve": Spec(members.cmd_approve, "approve"),
    "unapprove": Spec(members.cmd_unapprove, "unapprove"),
    "approved": Spec(members.cmd_approved, "modlog"),
    "settings": Spec(settings.cmd_settings, "settings_view"),
    "modlog": Spec(settings.cmd_modlog, "modlog"),
    "admincache": Spec(settings.cmd_admincache, "admincache"),
    "modhelp": Spec(settings.cmd_modhelp, "modlog"),
    "nban": Spec(networks.cmd_nban, "nban"),
    "unnban": Spec(networks.cmd_unnban, "unnban"),
    "newnet": Spec(networks.cmd_newnet, "network", private=True),
    "joinnet": Spec(networks.cmd_joinnet, "network"),
    "leavenet": Spec(networks.cmd_leavenet, "network"),
    "netinfo": Spec(networks.cmd_netinfo, "modlog"),
    "npromote": Spec(networks.cmd_npromote, "network"),
    "ndemote": Spec(networks.cmd_ndemote, "network"),
    "block": Spec(networks.cmd_block, "block", private=True),
    "unblock": Spec(networks.cmd_unblock, "unblock", private=True),
}


def command(name: str):
    async def callback(update: Update, context: BotContext) -> None:
        await run(update, context, name, SPECS[name])
        if update.effective_chat.type == Chat.PRIVATE:
            raise ApplicationHandlerStop  # handled: the FAQ's "unknown command" help must not follow

    callback.__name__ = f"moderation_{name}"
    return callback


async def group_only(update: Update, context: BotContext) -> None:
    lang = await context.bot_data.user_language(update.effective_user)
    await update.effective_message.reply_text(t(lang, "mod_group_only"))
    raise ApplicationHandlerStop
