"""The one place that builds the python-telegram-bot `Application` from the configuration."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, Defaults

from bot import health, network, render
from bot.config import Config
from bot.context import BotContext, BotData
from bot.core.knowledge import Knowledge
from bot.core.matcher import Matcher
from bot.core.moderation.words import BlockedWords, BlockedWordsError, load_blocked_words
from bot.handlers import admin, groups, inline, moderation, questions
from bot.i18n import LANGUAGES, t
from bot.matchworker import MatchWorker, worker_wanted
from bot.querylog import QueryLog
from bot.storage import Storage

log = logging.getLogger(__name__)
COMMANDS = ("start", "help", "topics", "ask", "lang", "privacy", "forgetme")
QUERY_LOG_LINGER = 0.25  # seconds the query-log writer gathers rows before one transaction (a kill loses at most that)


def build_application(
    config: Config, knowledge: Knowledge, matcher: Matcher | None = None, words: BlockedWords | None = None
) -> Application:
    """The bot's Application; `matcher` and `words`: already built for this knowledge folder (else built here)."""
    assert config.token is not None  # the commands that build the bot load the config with require_token
    builder = (
        Application.builder()
        .token(config.token)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=render.NO_LINK_PREVIEWS))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if config.api_base_url:
        builder = builder.base_url(config.api_base_url)
    if config.api_base_file_url:
        builder = builder.base_file_url(config.api_base_file_url)
    builder = network.configure(
        builder, rate_limit=config.rate_limit, concurrency=config.concurrent_updates, timeout=config.api_timeout
    )
    application = builder.build()
    application.bot_data.setup(
        config, knowledge, matcher or Matcher(knowledge), words if words is not None else load_words(config)
    )
    # the order of the groups is bot.handlers.registry's; within one group the first registered that matches runs
    questions.register(application)
    moderation.register(application)
    groups.register(application)
    inline.register(application)
    admin.register(application)
    application.add_error_handler(_on_error)
    return application


def load_words(config: Config) -> BlockedWords:
    """The moderation word list; a broken one is logged and left out rather than stopping the bot."""
    path = config.knowledge_dir / "blocked_words.yaml"
    try:
        words = load_blocked_words(path)
    except BlockedWordsError as exc:
        log.error("the blocked words list is not used: %s", exc)
        return BlockedWords()
    log.info("blocked words: %d entries from %s", len(words), path)
    return words


async def _post_init(application: Application) -> None:
    svc = application.bot_data
    svc.starting = asyncio.current_task()
    svc.storage = await Storage.open(svc.config.db_path)
    svc.query_log = QueryLog(
        svc.storage, spill_path=svc.config.data_dir / "query-log.pending.jsonl", linger=QUERY_LOG_LINGER
    )
    svc.query_log.start()
    if worker_wanted(svc.config.match_worker):
        svc.match_worker = MatchWorker()
        svc.match_worker.start_soon(svc.knowledge)  # until it is ready, questions are matched in this process
    await _register_commands(application)
    health.start(application, svc.config.heartbeat_file, lambda: {"query_log_pending": svc.query_log.pending})


async def _register_commands(application: Application) -> None:
    """Command menus in each language; Russian is the default for every other client language."""
    scope = BotCommandScopeAllPrivateChats()
    for lang in LANGUAGES:
        commands = [BotCommand(name, t(lang, f"cmd_{name}")) for name in COMMANDS]
        try:
            await application.bot.set_my_commands(commands, scope=scope, language_code=None if lang == "ru" else lang)
        except TelegramError as exc:
            log.warning("could not register the %s commands: %s", lang, exc)


async def _post_shutdown(application: Application) -> None:
    await release(application)


async def release(application: Application) -> None:
    """Stop the worker, write the query log, close the database: each once, however often this is called.

    A stop signal during start-up leaves post_init pending (PTB stops the loop, not the task), perhaps retrying a
    Bot API that is gone: it is cancelled first, so that nothing it would open outlives the stop. `python -m bot run`
    calls this again after PTB has stopped, in case PTB's own shutdown failed before post_shutdown: an open
    connection or a live worker would keep the process from exiting."""
    svc = application.bot_data
    await _finish_starting(svc.starting)
    health.stop(svc.config.heartbeat_file)
    worker, query_log, storage = svc.match_worker, svc.query_log, svc.storage
    svc.match_worker = svc.query_log = svc.storage = None
    try:
        if worker is not None:
            await worker.stop()
        if query_log is not None:
            await query_log.close()
    finally:  # an open connection keeps the process from exiting (aiosqlite >= 0.22): close it whatever happened
        if storage is not None:
            await storage.close()


async def _finish_starting(task: asyncio.Task | None) -> None:
    if task is None or task.done() or task is asyncio.current_task():
        return
    task.cancel()
    with contextlib.suppress(Exception, asyncio.CancelledError):  # a failed start-up: nothing more to do with it
        await task


async def _on_error(update: object, context: BotContext) -> None:
    """Log the failure (never the context: its repr holds the token) and tell the user briefly."""
    log.error("error while handling an update: %s", type(context.error).__name__, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
        try:
            lang = "ru"
            user = update.effective_user
            if user is not None:
                lang = await context.bot_data.user_language(user)
            await context.bot.send_message(update.effective_chat.id, t(lang, "error"))
        except Exception:  # noqa: BLE001 - the error reply itself must never raise
            log.warning("could not send the error reply")
