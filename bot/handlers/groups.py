"""FAQ answers where newcomers ask: in group chats (mention, reply, /ask, /faq, optional auto-answer).

Group answers are short — the headline and the source — with a button that opens the full entry in a
private chat, so the chat stays readable.
"""

from __future__ import annotations

import re
import time

from telegram import Message, ReplyParameters, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot import render
from bot.context import BotContext, BotData
from bot.core.matcher import Match
from bot.enforcement import Ops
from bot.handlers.questions import MATCH_INPUT_LIMIT, reply_language
from bot.handlers.registry import Group
from bot.i18n import t
from bot.storage import utcnow

ANONYMOUS_ADMIN = 1087968824  # Telegram's "Group" user: an admin posting as the group
AUTO_ANSWER_MIN_SCORE = 45.0  # unasked answers only for very confident matches
AUTO_ANSWER_COOLDOWN = 3600.0  # seconds before the same entry is auto-answered again in the same chat
_QUESTION_START = re.compile(
    r"^(где|как|какой|какая|какие|каких|куда|когда|зачем|почему|сколько|можно|нужно|нужна|нужен|надо|есть ли|кто|что|"
    r"подскажите|посоветуйте|how|where|what|which|when|why|can|do|does|is|are|should)\b",
    re.IGNORECASE,
)
# Kazakh puts the question word anywhere and may end with a question particle.
_KAZAKH_QUESTION = re.compile(
    r"\b(қалай|қайда|қайдан|қандай|қашан|неге|қанша|кім)\b|\b(ма|ме|ба|бе|па|пе)$", re.IGNORECASE
)
COOLDOWN_KEY = "auto_answer_cooldown"


def looks_like_question(text: str) -> bool:
    """A chat message is treated as a question only when it says so: a question mark or a question word first."""
    text = text.strip()
    return text.endswith("?") or bool(_QUESTION_START.match(text) or _KAZAKH_QUESTION.search(text))


def _addressed_text(message: Message, bot_username: str) -> str:
    """The message text without the bot's @mention."""
    return re.sub(rf"@{re.escape(bot_username)}\b", " ", message.text or "", flags=re.IGNORECASE).strip()


class _AddressedToBot(filters.MessageFilter):
    """A group message that mentions the bot or replies to one of its messages."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        if (
            message.reply_to_message
            and message.reply_to_message.from_user
            and message.reply_to_message.from_user.id == bot.id
        ):
            return True
        mention = f"@{bot.username}".lower()
        return any(e.type == "mention" and message.parse_entity(e).lower() == mention for e in message.entities or ())


async def _chat_language(context: BotContext, chat_id: int) -> str:
    return (await Ops.of(context).settings(chat_id)).lang


async def answer_in_group(
    update: Update, context: BotContext, question: str, reply_to: Message, *, asker_id: int, auto: bool = False
) -> Match | None:
    """Match `question` and reply to `reply_to` with a short answer, "perhaps you mean" links or a pointer to the
    bot."""
    svc = context.bot_data
    chat = update.effective_chat
    asked_at = utcnow()  # before the awaits: a /forgetme handled meanwhile covers this question
    match = await svc.match(question[:MATCH_INPUT_LIMIT])
    lang = reply_language(match.language, await _chat_language(context, chat.id))
    if auto and (
        match.outcome != "answer"
        or match.score < AUTO_ANSWER_MIN_SCORE
        or _cooling_down(context, chat.id, match.entry_id)
    ):
        return None
    ref = svc.log_question(
        user_id=asker_id,
        chat_type=chat.type,
        language=lang,
        question=question,
        matched_id=match.nearest,
        score=match.score,
        outcome=match.outcome,
        asked_at=asked_at,
    )
    reply = ReplyParameters(message_id=reply_to.message_id, allow_sending_without_reply=True)
    username = context.bot.username
    if match.outcome == "answer":
        assert match.entry_id is not None  # an answer always names its entry
        entry = svc.knowledge.entries[match.entry_id]
        not_helpful = render.callback(render.FEEDBACK, ref, "0", str(asker_id)) if auto else None
        await context.bot.send_message(
            chat.id,
            render.short_answer_text(entry, lang, svc.today()),
            reply_parameters=reply,
            reply_markup=render.group_answer_keyboard(entry, lang, username, not_helpful),
        )
        if auto:
            context.chat_data.setdefault(COOLDOWN_KEY, {})[entry.id] = time.monotonic()
    elif match.outcome == "clarify":
        await context.bot.send_message(
            chat.id,
            t(lang, "group_clarify"),
            reply_parameters=reply,
            reply_markup=render.group_choices_keyboard(svc.knowledge, match.alternatives, lang, username),
        )
    elif match.outcome == "smalltalk":
        intent = next(i for i in svc.knowledge.smalltalk if i.id == match.smalltalk)
        await context.bot.send_message(chat.id, intent.replies.get(lang, intent.replies["ru"]), reply_parameters=reply)
    else:
        await context.bot.send_message(
            chat.id,
            t(lang, "group_no_match", question=render.echo(question)),
            reply_parameters=reply,
            reply_markup=render.open_bot_keyboard(lang, username),
        )
    return match


def _cooling_down(context: BotContext, chat_id: int, entry_id: str | None) -> bool:
    last = context.chat_data.get(COOLDOWN_KEY, {}).get(entry_id)
    return last is not None and time.monotonic() - last < AUTO_ANSWER_COOLDOWN


async def addressed(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    question = _addressed_text(message, context.bot.username)
    if not question:
        lang = await _chat_language(context, message.chat_id)
        await message.reply_text(t(lang, "ask_usage"))
        return
    await answer_in_group(update, context, question, message, asker_id=message.from_user.id)


async def ask(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    question = " ".join(context.args or ())
    if not question.strip():
        await message.reply_text(t(await _chat_language(context, message.chat_id), "ask_usage"))
        return
    await answer_in_group(update, context, question, message, asker_id=message.from_user.id)


async def faq(update: Update, context: BotContext) -> None:
    """/faq as a reply points a newcomer's message to the FAQ; /faq <id or words> picks the entry."""
    message = update.effective_message
    if message is None:
        return
    ops = Ops.of(context)
    settings = await ops.settings(message.chat_id)
    if not await _may_use_faq(ops, message, settings.faq_access):
        await message.reply_text(t(settings.lang, "faq_denied"))
        return
    target = message.reply_to_message
    target_text = (target.text or target.caption or "") if target else ""
    chosen = " ".join(context.args or ()).strip()
    svc = context.bot_data
    if chosen in svc.knowledge.entries:
        await _send_entry(context, message, svc, chosen, target or message, settings.lang)
    elif chosen or target_text:
        question = chosen or target_text
        asker = target.from_user if target and target.from_user else message.from_user
        await answer_in_group(update, context, question, target or message, asker_id=asker.id)
    else:
        await message.reply_text(t(settings.lang, "faq_usage"))


async def _may_use_faq(ops: Ops, message: Message, access: str) -> bool:
    if access == "all":
        return True
    user = message.from_user
    if user is None:
        return False
    if user.id == ANONYMOUS_ADMIN and message.sender_chat and message.sender_chat.id == message.chat_id:
        return True
    if ops.is_global_moderator(user.id):
        return True
    member = await ops.actor(message.chat_id, user.id)
    return member is not None and member.is_admin


async def _send_entry(
    context: BotContext, message: Message, svc: BotData, entry_id: str, reply_to: Message, chat_lang: str
) -> None:
    entry = svc.knowledge.entries[entry_id]
    lang = chat_lang
    svc.log_question(
        user_id=message.from_user.id,
        chat_type=message.chat.type,
        language=lang,
        question="",
        matched_id=entry_id,
        score=100.0,
        outcome="browse",
    )
    await context.bot.send_message(
        message.chat_id,
        render.short_answer_text(entry, lang, svc.today()),
        reply_parameters=ReplyParameters(message_id=reply_to.message_id, allow_sending_without_reply=True),
        reply_markup=render.group_answer_keyboard(entry, lang, context.bot.username),
    )


async def auto_answer(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or message.text is None or message.from_user is None or message.from_user.is_bot:
        return
    if not looks_like_question(message.text):
        return
    if (await Ops.of(context).settings(message.chat_id)).autoanswer != "on":
        return
    await answer_in_group(update, context, message.text, message, asker_id=message.from_user.id, auto=True)


def register(application: Application) -> None:
    groups = filters.ChatType.GROUPS
    application.add_handler(CommandHandler("ask", ask, filters=groups), group=Group.FAQ)
    application.add_handler(CommandHandler("faq", faq, filters=groups), group=Group.FAQ)
    application.add_handler(
        MessageHandler(groups & filters.TEXT & ~filters.COMMAND & _AddressedToBot(), addressed), group=Group.FAQ
    )
    application.add_handler(
        MessageHandler(
            groups & filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED & ~_AddressedToBot(), auto_answer
        ),
        group=Group.AUTO_ANSWER,
    )
