"""One moderation command from message to handler: who acts (an anonymous admin through a button),
their right checked on the server side, the reply or the refusal."""

from __future__ import annotations

import datetime as dt
import html
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.ext import ApplicationHandlerStop, filters

from bot import render
from bot.context import BotContext, Pending
from bot.core.moderation.permissions import Verdict, actor_verdict, sender_kind
from bot.core.moderation.settings import ChatSettings
from bot.enforcement import Failure, Ops, Target, format_duration
from bot.i18n import t

log = logging.getLogger(__name__)

GROUPS = filters.ChatType.GROUPS
PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE  # an edited "/ban" must not ban again
ANON_TTL = dt.timedelta(minutes=5)


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

    async def done(
        self,
        failure: Failure | None,
        key: str,
        target: Target,
        *,
        reason: str = "",
        duration: dt.timedelta | None = None,
        show_duration: bool = False,
        **values: str,
    ) -> None:
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


async def run(
    update: Update,
    context: BotContext,
    name: str,
    spec: Spec,
    *,
    message: Message | None = None,
    actor: User | None = None,
    args: list[str] | None = None,
    via_button: bool = False,
    alerts: list[str] | None = None,
) -> bool:
    """Check the caller's right on the server side, then run the command. False when refused."""
    ops = Ops.of(context)
    message = message or update.effective_message
    if message is None:
        return False
    chat = message.chat
    private = chat.type == Chat.PRIVATE
    settings = ChatSettings() if private else await ops.settings(chat.id)
    args = list(context.args or []) if args is None else args
    if actor is None:
        kind = sender_kind(
            message.from_user.id if message.from_user else None,
            message.sender_chat.id if message.sender_chat else None,
            chat.id,
            bool(message.is_automatic_forward),
        )
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
    if not private:
        verdict = actor_verdict(
            spec.permission, await ops.actor(chat.id, actor.id), global_moderator=ops.is_global_moderator(actor.id)
        )
        if not verdict:
            await inv.refuse(inv.verdict_text(verdict))
            return False
    try:
        await spec.handler(inv)
    except ApplicationHandlerStop:
        raise
    except Exception:
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
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(settings.lang, "mod_anon_button"), callback_data=render.callback(render.ANONYMOUS, token)
                )
            ]
        ]
    )
    await ops.say(
        message.chat.id,
        t(settings.lang, "mod_anon_confirm", command=html.escape("/" + name)),
        settings,
        reply_to=message.message_id,
        reply_markup=keyboard,
    )
