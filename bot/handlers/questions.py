"""Newcomers' questions in a private chat: commands, free text, menu buttons and feedback."""

from __future__ import annotations

import logging
import time
from typing import NamedTuple

from telegram import Chat, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import render
from bot.context import BotContext, BotData
from bot.core.question import follows_up
from bot.handlers.registry import Group
from bot.i18n import LANGUAGES, t
from bot.storage import utcnow

log = logging.getLogger(__name__)
MATCH_INPUT_LIMIT = 500  # questions are short; a 4,096-character paste is matched on its start
FOLLOW_UP_SECONDS = 600  # a short message this soon after an answer is read with that answer in mind
LAST_ANSWER = "last_answer"  # user_data key (memory only, never stored): a Recent


class Recent(NamedTuple):
    """The last answer in a private chat: what a short follow-up is read with."""

    entry_id: str
    language: str  # the language it was given in
    at: float  # time.monotonic()


def reply_language(detected: str, preferred: str, conversation: str | None = None) -> str:
    """The language the message was written in. Where that cannot be told apart, the conversation's (a follow-up
    "а черга довга?" after a Ukrainian question reads as Russian) or else the user's choice: Kazakh speakers often
    type without Kazakh letters ('ru' then), Ukrainians who chose English read English answers."""
    if detected == "ru":
        return next((lang for lang in (conversation, preferred) if lang in ("kk", "uk")), detected)
    if detected == "uk" and preferred == "en":
        return "en"
    return detected


def recent_answer(context: BotContext) -> Recent | None:
    """The answer given in this private chat in the last FOLLOW_UP_SECONDS, for reading a short follow-up."""
    found = (context.user_data or {}).get(LAST_ANSWER)
    if isinstance(found, Recent) and time.monotonic() - found.at <= FOLLOW_UP_SECONDS:
        return found
    return None


async def start(update: Update, context: BotContext) -> None:
    svc = context.bot_data
    lang = await svc.user_language(update.effective_user)
    if context.args and context.args[0] in svc.knowledge.entries:
        await send_entry(update, context, context.args[0], lang)
        return
    await update.effective_message.reply_text(
        t(lang, "start"), reply_markup=render.topics_keyboard(svc.knowledge, lang)
    )


async def help_command(update: Update, context: BotContext) -> None:
    lang = await context.bot_data.user_language(update.effective_user)
    await update.effective_message.reply_text(t(lang, "help"))


async def topics_command(update: Update, context: BotContext) -> None:
    svc = context.bot_data
    lang = await svc.user_language(update.effective_user)
    await update.effective_message.reply_text(
        t(lang, "topics"), reply_markup=render.topics_keyboard(svc.knowledge, lang)
    )


async def lang_command(update: Update, context: BotContext) -> None:
    svc = context.bot_data
    choice = context.args[0].lower() if context.args else ""
    if choice in LANGUAGES:
        await svc.storage.set_language(svc.user_keys.key(update.effective_user.id), choice)
        await update.effective_message.reply_text(
            t(choice, "language_set"), reply_markup=render.topics_keyboard(svc.knowledge, choice)
        )
        return
    lang = await svc.user_language(update.effective_user)
    await update.effective_message.reply_text(t(lang, "choose_language"), reply_markup=render.language_keyboard())


async def question(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or message.text is None:  # the handler's filter lets only text messages through
        return
    await answer_question(update, context, message.text)


async def ask_command(update: Update, context: BotContext) -> None:
    """/ask QUESTION works in a private chat too, as in groups."""
    text = " ".join(context.args or ())
    if not text.strip():
        lang = await context.bot_data.user_language(update.effective_user)
        await update.effective_message.reply_text(t(lang, "ask_usage"))
        return
    await answer_question(update, context, text)


async def answer_question(update: Update, context: BotContext, text: str) -> None:
    svc = context.bot_data
    message = update.effective_message
    asked_at = utcnow()  # before the awaits: a /forgetme handled meanwhile covers this question
    recent = recent_answer(context)
    match = await svc.match(text[:MATCH_INPUT_LIMIT], recent.entry_id if recent else None)
    # only a follow-up that reads as Russian after a Kazakh or Ukrainian answer keeps the conversation's language
    conversation = (
        recent.language
        if recent is not None and recent.language in ("kk", "uk") and match.language == "ru" and follows_up(text)
        else None
    )
    lang = reply_language(match.language, await svc.user_language(update.effective_user), conversation)
    ref = svc.log_question(
        user_id=update.effective_user.id,
        chat_type=message.chat.type,
        language=lang,
        question=text,
        matched_id=match.nearest,
        score=match.score,
        outcome=match.outcome,
        asked_at=asked_at,
    )
    if match.outcome == "answer":
        assert match.entry_id is not None  # an answer always names its entry
        if context.user_data is not None:
            context.user_data[LAST_ANSWER] = Recent(match.entry_id, lang, time.monotonic())
        await send_entry(update, context, match.entry_id, lang, ref=ref, also=match.also)
    elif match.outcome == "clarify":
        await message.reply_text(
            t(lang, "clarify", question=render.echo(text)),
            reply_markup=render.choices_keyboard(svc.knowledge, match.alternatives, lang),
        )
    elif match.outcome == "smalltalk":
        intent = next(i for i in svc.knowledge.smalltalk if i.id == match.smalltalk)
        await message.reply_text(intent.replies.get(lang, intent.replies["ru"]))
    else:
        await message.reply_text(
            t(lang, "no_match", question=render.echo(text)), reply_markup=render.topics_keyboard(svc.knowledge, lang)
        )


async def send_entry(
    update: Update, context: BotContext, entry_id: str, lang: str, ref: str | None = None, also: str | None = None
) -> None:
    """The answer, its sources and its buttons; `also`: the entry of another question the message asked."""
    svc = context.bot_data
    entry = svc.knowledge.entries.get(entry_id)
    if entry is None:
        await update.effective_message.reply_text(
            t(lang, "unknown_entry"), reply_markup=render.topics_keyboard(svc.knowledge, lang)
        )
        return
    if ref is None:  # chosen from a menu or a link: logged too, so its feedback has a row to land on
        ref = svc.log_question(
            user_id=update.effective_user.id,
            chat_type=update.effective_chat.type,
            language=lang,
            question="",
            matched_id=entry.id,
            score=100.0,
            outcome="browse",
        )
    parts = render.answer_parts(svc.knowledge, entry, lang, svc.today())
    for part in parts[:-1]:
        await update.effective_message.reply_text(part)
    await update.effective_message.reply_text(
        parts[-1], reply_markup=render.answer_keyboard(svc.knowledge, entry, lang, ref, also)
    )


async def button(update: Update, context: BotContext) -> None:
    """Every button press that reaches here (moderation takes its own first): read strictly by
    `render.parse_callback`; anything the bot did not write, or a private chat's button pressed on a
    group message, gets a quiet answer and changes nothing."""
    svc = context.bot_data
    query = update.callback_query
    press = render.parse_callback(query.data)
    message = query.message if isinstance(query.message, Message) else None  # None: inline or inaccessible
    private = message is not None and message.chat.type == Chat.PRIVATE
    if press is None or message is None or press.kind == render.ANONYMOUS or press.private_only != private:
        await query.answer()
        return
    lang = await svc.user_language(update.effective_user)
    if press.kind == render.FEEDBACK:
        if (
            press.asker is not None and press.asker != update.effective_user.id
        ):  # an auto-answer's 👎 belongs to whoever asked
            await query.answer(t(lang, "only_asker"), show_alert=True)
            return
        svc.query_log.feedback(press.value, press.helpful)
        await query.answer(t(lang, "feedback_thanks" if press.helpful else "feedback_sorry"))
        await query.edit_message_reply_markup(reply_markup=_without_feedback(message.reply_markup))
        return
    listing = _listing(svc, press, lang)
    if press.kind in (render.TOPIC, render.FAMILY) and listing is None:  # no such topic or page (any more: a reload)
        await query.answer()
        return
    if press.kind == render.ENTRY and press.value not in svc.knowledge.entries:
        await query.answer()
        return
    await query.answer()
    if press.kind == render.LANGUAGE:
        await svc.storage.set_language(svc.user_keys.key(update.effective_user.id), press.value)
        await message.reply_text(
            t(press.value, "language_set"), reply_markup=render.topics_keyboard(svc.knowledge, press.value)
        )
    elif listing is not None:
        await message.reply_text(listing[0], reply_markup=listing[1])
    elif press.kind == render.ENTRY:
        await send_entry(update, context, press.value, lang)
    else:
        await message.reply_text(t(lang, "topics"), reply_markup=render.topics_keyboard(svc.knowledge, lang))


def _listing(svc: BotData, press: render.Press, lang: str) -> tuple[str, InlineKeyboardMarkup] | None:
    """A topic's families, or a page of a family's entries; None for any other press."""
    if press.kind == render.TOPIC:
        return render.topic_families(svc.knowledge, press.value, lang)
    if press.kind == render.FAMILY:
        return render.family_entries(svc.knowledge, press.value, press.page, lang)
    return None


def _without_feedback(markup):
    """The same keyboard minus the feedback row, so each answer is rated once."""
    if markup is None:
        return None
    rows = [
        row
        for row in markup.inline_keyboard
        if not any((b.callback_data or "").startswith(render.FEEDBACK + ":") for b in row)
    ]
    return InlineKeyboardMarkup(rows)


async def not_text(update: Update, context: BotContext) -> None:
    lang = await context.bot_data.user_language(update.effective_user)
    await update.effective_message.reply_text(t(lang, "non_text"))


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private), group=Group.FAQ)
    application.add_handler(CommandHandler("help", help_command, filters=private), group=Group.FAQ)
    application.add_handler(CommandHandler("topics", topics_command, filters=private), group=Group.FAQ)
    application.add_handler(CommandHandler("lang", lang_command, filters=private), group=Group.FAQ)
    application.add_handler(CommandHandler("ask", ask_command, filters=private), group=Group.FAQ)
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, question), group=Group.FAQ)
    # the catch-all: any other private command gets the help (why earlier groups stop the update: bot.handlers.registry)
    application.add_handler(MessageHandler(private & filters.COMMAND, help_command), group=Group.FAQ)
    application.add_handler(
        CallbackQueryHandler(button), group=Group.FAQ
    )  # every press, so a forged one is answered too
    application.add_handler(
        MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, not_text), group=Group.FAQ
    )
