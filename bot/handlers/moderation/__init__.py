"""Moderation in groups: admins' commands, /report for everyone, networks, and the automatic rules.

Thin handlers: the decisions are in `bot.core.moderation`, the Telegram work and the audit trail in
`bot.enforcement`. Here: `framework` (one command from message to handler), `targets` (whom a command
aims at), the commands by subject (`members`, `messages`, `settings`, `networks`) and their table
(`commands`), and `events` (the gate, member events, the rules' scanner, the jobs). The handler groups
(gate, commands, member events, scanner) are explained in `bot.handlers.registry`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
)

from bot.handlers.moderation.commands import SPECS, anonymous_button, command, group_only
from bot.handlers.moderation.events import (
    SCANNED_MESSAGES,
    SERVICE_MESSAGES,
    bot_member_update,
    commands_job,
    gate,
    member_update,
    night_job,
    prune_job,
    scan,
    service_message,
)
from bot.handlers.moderation.framework import GROUPS, NEW_MESSAGE, PRIVATE
from bot.handlers.registry import Group


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, gate), group=Group.GATE)
    for name, spec in SPECS.items():
        chats = (GROUPS | PRIVATE) if spec.private else GROUPS
        application.add_handler(
            CommandHandler(name, command(name), filters=chats & NEW_MESSAGE), group=Group.MODERATION_COMMANDS
        )
    group_only_names = [name for name, spec in SPECS.items() if not spec.private]
    application.add_handler(
        CommandHandler(group_only_names, group_only, filters=PRIVATE & NEW_MESSAGE), group=Group.MODERATION_COMMANDS
    )
    application.add_handler(CallbackQueryHandler(anonymous_button, pattern=r"^mod:"), group=Group.MODERATION_COMMANDS)
    application.add_handler(ChatMemberHandler(member_update, ChatMemberHandler.CHAT_MEMBER), group=Group.MEMBER_EVENTS)
    application.add_handler(
        ChatMemberHandler(bot_member_update, ChatMemberHandler.MY_CHAT_MEMBER), group=Group.MEMBER_EVENTS
    )
    application.add_handler(MessageHandler(SERVICE_MESSAGES.filters, service_message), group=Group.MEMBER_EVENTS)
    application.add_handler(MessageHandler(SCANNED_MESSAGES.filters, scan), group=Group.SCAN)
    if application.job_queue is not None:
        application.job_queue.run_repeating(night_job, interval=60, first=5, name="moderation-night")
        application.job_queue.run_repeating(prune_job, interval=6 * 3600, first=600, name="moderation-prune")
        # however late the job queue starts (a slow start on a loaded machine), the menus are still set
        application.job_queue.run_once(
            commands_job, 2, name="moderation-commands", job_kwargs={"misfire_grace_time": None}
        )
