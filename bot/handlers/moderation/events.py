"""Updates that are not commands: the gate first for every update, member events, the automatic rules
on group messages, and the jobs (night mode, pruning, the group command menus)."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeAllChatAdministrators, BotCommandScopeAllGroupChats, Chat, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.enforcement import Ops, member_from
from bot.handlers.moderation.framework import GROUPS, NEW_MESSAGE, PRIVATE
from bot.i18n import LANGUAGES, t

log = logging.getLogger(__name__)

DATA_RIGHTS = ("privacy", "forgetme")  # commands a blocked user may still use


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


async def _filters_only(update: Update, context: BotContext) -> None:
    """Never called: the two handlers below are only asked whether an update is theirs."""


SERVICE_MESSAGES: MessageHandler[BotContext, None] = MessageHandler(
    GROUPS & (filters.StatusUpdate.NEW_CHAT_MEMBERS | filters.StatusUpdate.LEFT_CHAT_MEMBER), _filters_only
)
SCANNED_MESSAGES: MessageHandler[BotContext, None] = MessageHandler(
    GROUPS & filters.UpdateType.MESSAGES & ~filters.StatusUpdate.ALL, _filters_only
)


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
    if message is None:
        return
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


ADMIN_MENU = (
    "faq",
    "ban",
    "mute",
    "warn",
    "kick",
    "unban",
    "unmute",
    "unwarn",
    "del",
    "purge",
    "approve",
    "settings",
    "modlog",
    "nban",
    "modhelp",
)
MEMBER_MENU = ("ask", "report", "warns")


async def commands_job(context: BotContext) -> None:
    """Command menus for group admins and members, in each language (the private menu is set in app.py)."""
    for lang in LANGUAGES:
        code = None if lang == "ru" else lang
        for scope, names in (
            (BotCommandScopeAllChatAdministrators(), ADMIN_MENU + MEMBER_MENU),
            (BotCommandScopeAllGroupChats(), MEMBER_MENU),
        ):
            try:
                await context.bot.set_my_commands(
                    [BotCommand(n, t(lang, f"mod_cmd_{n}")) for n in names], scope=scope, language_code=code
                )
            except TelegramError as exc:
                log.warning("could not register the group commands (%s): %s", lang, exc.message)
