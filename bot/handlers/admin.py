"""Maintainers' and users' commands about the bot itself: /reload, /stats, /unanswered for the global
moderators; /privacy and /forgetme for everyone; the retention job and the optional knowledge watcher.

All of it is for private chats. The handlers run in their own group before the FAQ's, and stop the
update once they have handled it; a non-moderator's /stats is left alone, so it gets the same help
reply as any unknown command and the moderator commands stay unadvertised.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, filters

from bot.context import BotContext, BotData
from bot.core.insights import (
    CHART_DAYS,
    STATS_PERIODS,
    UNANSWERED_DAYS,
    chart_png,
    daily_outcomes,
    group_questions,
    least_helpful,
    matcher_reading,
    period_stats,
)
from bot.handlers import inline
from bot.handlers.registry import Group
from bot.i18n import DEFAULT_LANGUAGE, t
from bot.reload import WATCH_INTERVAL, ReloadResult
from bot.reports import reload_report, stats_report, unanswered_report
from bot.storage.rows import ForgetCounts, LoggedQuery

log = logging.getLogger(__name__)

PURGE_INTERVAL = dt.timedelta(days=1)
PURGE_FIRST = dt.timedelta(minutes=1)  # soon after start as well, so frequent restarts still purge


async def _flushed(svc: BotData) -> None:
    """Write the queued query log first, so a report or a deletion covers the last few seconds too."""
    if svc.query_log is not None:
        await svc.query_log.flush()


# --- moderators ----------------------------------------------------------------------------------
# Updates are handled one at a time, and these reports can take seconds (collisions after a reload,
# ranking every unanswered question). So the command only starts the work as a task beside the update
# loop and stops the update: newcomers' questions are not held up behind a maintainer's report.

Report = Callable[[Update, BotContext, BotData, str], Awaitable[None]]


def _moderator_command(report: Report) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    async def command(update: Update, context: BotContext) -> None:
        svc = context.bot_data
        if update.effective_user is None or update.effective_user.id not in svc.config.moderator_ids:
            return  # left to the FAQ's reply to unknown commands
        lang = await svc.user_language(update.effective_user)
        context.application.create_task(report(update, context, svc, lang), update=update)
        raise ApplicationHandlerStop

    return command


async def _reload(update: Update, context: BotContext, svc: BotData, lang: str) -> None:
    result = await context.bot_data.reloader.reload()
    await update.effective_message.reply_text(reload_report(result, lang))


async def _stats(update: Update, context: BotContext, svc: BotData, lang: str) -> None:
    await _flushed(svc)
    now = svc.now()
    rows = await svc.storage.queries_since(now - dt.timedelta(days=max((*STATS_PERIODS, CHART_DAYS))))
    text, chart = await asyncio.to_thread(_figures, rows, now, lang)
    await update.effective_message.reply_text(text)
    await update.effective_message.reply_photo(chart, caption=t(lang, "adm_chart_caption", days=CHART_DAYS))


def _figures(rows: list[LoggedQuery], now: dt.datetime, lang: str) -> tuple[str, bytes]:
    return (
        stats_report([period_stats(rows, now, days) for days in STATS_PERIODS], lang),
        chart_png(daily_outcomes(rows, now, CHART_DAYS)),
    )


async def _unanswered(update: Update, context: BotContext, svc: BotData, lang: str) -> None:
    await _flushed(svc)
    rows = await svc.storage.queries_since(svc.now() - dt.timedelta(days=UNANSWERED_DAYS))
    groups = await asyncio.to_thread(group_questions, rows, matcher_reading(svc.matcher))
    await update.effective_message.reply_text(unanswered_report(groups, least_helpful(rows), UNANSWERED_DAYS, lang))


reload_command = _moderator_command(_reload)
stats_command = _moderator_command(_stats)
unanswered_command = _moderator_command(_unanswered)


# --- everyone ------------------------------------------------------------------------------------


async def privacy_command(update: Update, context: BotContext) -> None:
    svc = context.bot_data
    lang = await svc.user_language(update.effective_user)
    await update.effective_message.reply_text(t(lang, "adm_privacy", days=svc.config.retention_days))
    raise ApplicationHandlerStop


async def forgetme_command(update: Update, context: BotContext) -> None:
    svc = context.bot_data
    lang = await svc.user_language(update.effective_user)  # before the preference goes
    inline.forget_pending(context, update.effective_user.id)  # an inline query waiting for its pause
    key = svc.user_keys.key(update.effective_user.id)
    deleted: dict[str, int] | ForgetCounts
    if svc.query_log is not None:  # drops what is queued and refuses what was asked before now and comes later
        deleted = await svc.query_log.forget(key)
    else:
        deleted = await svc.storage.forget_user(key)
    if context.user_data is not None:
        context.user_data.clear()  # the conversation's last answer, too
    key = "adm_forgot" if deleted["questions"] or deleted["preferences"] else "adm_forgot_nothing"
    await update.effective_message.reply_text(
        t(lang, key, questions=str(deleted["questions"]), days=svc.config.retention_days)
    )
    raise ApplicationHandlerStop


# --- jobs ------------------------------------------------------------------------------------------


async def purge_job(context: BotContext) -> None:
    """Delete query-log rows older than the retention period (BOT_RETENTION_DAYS)."""
    svc = context.bot_data
    before = svc.now() - dt.timedelta(days=svc.config.retention_days)
    deleted = await svc.storage.purge_queries(before)
    log.info("query log: %d row(s) older than %d days deleted", deleted, svc.config.retention_days)


async def watch_job(context: BotContext) -> None:
    """BOT_WATCH_KNOWLEDGE: reload after an edit on disk and tell the moderators how it went."""
    result = await context.bot_data.reloader.poll()
    if result is not None:
        await tell_moderators(context, result)


async def tell_moderators(context: BotContext, result: ReloadResult) -> None:
    svc = context.bot_data
    for moderator in sorted(svc.config.moderator_ids):
        stored = await svc.storage.language(svc.user_keys.key(moderator)) if svc.storage else None
        lang = stored or DEFAULT_LANGUAGE
        try:
            await context.bot.send_message(moderator, t(lang, "adm_watch_changed") + "\n" + reload_report(result, lang))
        except TelegramError as exc:  # e.g. a moderator who never started the bot
            log.warning("could not tell moderator %s about the reload: %s", moderator, exc.message)


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for name, callback in (
        ("reload", reload_command),
        ("stats", stats_command),
        ("unanswered", unanswered_command),
        ("privacy", privacy_command),
        ("forgetme", forgetme_command),
    ):
        application.add_handler(CommandHandler(name, callback, filters=private), group=Group.ADMIN)
    if application.job_queue is None:
        return
    application.job_queue.run_repeating(purge_job, interval=PURGE_INTERVAL, first=PURGE_FIRST, name="privacy-purge")
    if application.bot_data.config.watch_knowledge:
        application.job_queue.run_repeating(
            watch_job, interval=WATCH_INTERVAL, first=WATCH_INTERVAL, name="knowledge-watch"
        )
