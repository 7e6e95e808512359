"""Inline mode: `@bot QUERY` in any chat lists matching entries; choosing one posts the answer with its source.

Telegram sends an inline query on every keystroke, so the log records a user's query only once
they pause (INLINE_LOG_DELAY), not each prefix they typed.
"""

from __future__ import annotations

import datetime as dt

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import Application, InlineQueryHandler

from bot import render
from bot.context import BotContext
from bot.core.matcher import OFFTOPIC
from bot.handlers.questions import MATCH_INPUT_LIMIT, reply_language
from bot.handlers.registry import Group
from bot.i18n import t
from bot.storage import utcnow

RESULTS_LIMIT = 10
POPULAR_WINDOW = dt.timedelta(days=30)
INLINE_LOG_DELAY = 2.0  # seconds of quiet after which the user's inline query counts as asked


async def inline_query(update: Update, context: BotContext) -> None:
    svc = context.bot_data
    query = update.inline_query
    text = query.query.strip()[:MATCH_INPUT_LIMIT]
    preferred = await svc.user_language(query.from_user)
    lang = preferred
    if not text:
        entry_ids = await _most_asked(svc)
    elif text in svc.knowledge.entries:  # the "share" button puts the entry id in the query
        entry_ids = [text]
    else:
        match = await svc.match(text)
        lang = reply_language(match.language, preferred)
        floor = svc.matcher.thresholds.clarify
        entry_ids = [e for e, score in match.ranking if e != OFFTOPIC and score >= floor]
        if match.outcome == "answer":
            assert match.entry_id is not None  # an answer always names its entry
            entry_ids = [match.entry_id] + [e for e in entry_ids if e != match.entry_id]
        _log_when_quiet(context, query.from_user.id, query.chat_type or "inline", lang, text, match)
    results = [_article(svc, entry_id, lang) for entry_id in entry_ids[:RESULTS_LIMIT]]
    button = None if results else InlineQueryResultsButton(t(lang, "open_bot"), start_parameter="help")
    await query.answer(results, cache_time=30, is_personal=False, button=button)


async def _most_asked(svc) -> list[str]:
    """The most asked entries of the last month, topped up with the menu order for a new bot."""
    popular = await svc.storage.most_asked(utcnow() - POPULAR_WINDOW, RESULTS_LIMIT) if svc.storage else []
    popular = [e for e in popular if e in svc.knowledge.entries]
    return popular + [e for e in svc.knowledge.entries if e not in popular]


def _article(svc, entry_id: str, lang: str) -> InlineQueryResultArticle:
    entry = svc.knowledge.entries[entry_id]
    return InlineQueryResultArticle(
        id=entry_id,
        title=entry.text(lang).question,
        description=render.plain_headline(entry, lang)[:200],
        input_message_content=InputTextMessageContent(
            render.answer_text(entry, lang, svc.today()),
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
    )


def _log_when_quiet(context: BotContext, user_id: int, chat_type: str, lang: str, text: str, match) -> None:
    """Log the user's query after INLINE_LOG_DELAY unless a newer one replaces it (a keystroke)."""
    pending = context.bot_data.inline_pending
    previous = pending.pop(user_id, None)
    if previous is not None:
        previous.schedule_removal()
    if context.job_queue is None:
        return
    data = {
        "user_id": user_id,
        "chat_type": chat_type,
        "lang": lang,
        "text": text,
        "match": match,
        "asked_at": utcnow(),
    }
    # PTB types CallbackContext.job_queue as JobQueue[ST] with ST unbound, so no callback matches it
    pending[user_id] = context.job_queue.run_once(
        _write_log,  # type: ignore[arg-type]
        INLINE_LOG_DELAY,
        data=data,
        name=f"inline-log-{user_id}",
    )


async def _write_log(context: BotContext) -> None:
    assert context.job is not None and isinstance(context.job.data, dict)  # a job callback, with the data above
    data = context.job.data
    context.bot_data.inline_pending.pop(data["user_id"], None)
    match = data["match"]
    context.bot_data.log_question(
        user_id=data["user_id"],
        chat_type=f"inline:{data['chat_type']}",
        language=data["lang"],
        question=data["text"],
        matched_id=match.nearest,
        score=match.score,
        outcome=match.outcome,
        asked_at=data["asked_at"],
    )


def forget_pending(context: BotContext, user_id: int) -> None:
    """/forgetme: the user's inline query still waiting for its pause is not logged."""
    previous = context.bot_data.inline_pending.pop(user_id, None)
    if previous is not None:
        previous.schedule_removal()


def register(application: Application) -> None:
    application.add_handler(InlineQueryHandler(inline_query), group=Group.FAQ)
