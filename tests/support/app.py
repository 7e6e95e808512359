"""The real Application against the fake Bot API in the test's own process, and updates from a private chat."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from contextlib import asynccontextmanager
from pathlib import Path

from telegram import Update

from bot.app import build_application
from bot.config import load_config
from bot.core.knowledge import load_knowledge
from bot.core.matcher import Matcher
from tests.support import KNOWLEDGE_DIR
from tests.support.fake_bot_api import TOKEN, FakeBotAPI


class Chat:
    """Builds updates as Telegram would send them for one user in a private chat."""

    _ids = itertools.count(1)

    def __init__(
        self,
        user_id: int = 4242,
        language_code: str | None = "ru",
        chat_type: str = "private",
        chat_id: int | None = None,
    ):
        self.user = {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": language_code}
        self.chat = {"id": chat_id or user_id, "type": chat_type}

    def message(self, text: str | None = None, **extra) -> dict:
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"message": message}

    def press(self, data: str, message_id: int = 1000, reply_markup: dict | None = None) -> dict:
        """A button press on the bot's message (which carries its keyboard, as Telegram sends it)."""
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": {"id": 7000001, "is_bot": True, "first_name": "Bot"},
            "text": "answer",
        }
        if reply_markup:
            message["reply_markup"] = reply_markup
        return {
            "callback_query": {
                "id": str(next(self._ids)),
                "from": self.user,
                "chat_instance": "ci",
                "data": data,
                "message": message,
            }
        }


_SHIPPED: dict[str, tuple] = {}


def _shipped_knowledge_and_matcher(directory: Path):
    """The shipped knowledge and its matcher, loaded and built once for all the bots the tests start (a
    matcher is pure: sharing it changes no answer); any other folder is loaded as it is."""
    if directory != KNOWLEDGE_DIR:
        return load_knowledge(directory), None
    if not _SHIPPED:
        knowledge = load_knowledge(directory)
        _SHIPPED["shipped"] = (knowledge, Matcher(knowledge))
    return _SHIPPED["shipped"]


@asynccontextmanager
async def running_bot(api: FakeBotAPI, tmp_path: Path, today: dt.date | None = None, **env):
    """The real Application, initialised against the fake API, with post_init/post_shutdown as run_polling does.

    Telegram's rate limits are off (a test sends faster than 1 message/s per chat); flood waits and retries stay on.
    Questions are matched in the test's process unless a test asks for the worker (BOT_MATCH_WORKER=on):
    tests/test_match_worker.py shows the worker answers the same."""
    config = load_config(
        {
            "BOT_TOKEN": TOKEN,
            "BOT_API_BASE_URL": api.base_url,
            "BOT_DB_PATH": str(tmp_path / "data" / "bot.sqlite3"),
            "BOT_RATE_LIMIT": "0",
            "BOT_MATCH_WORKER": "off",
            **env,
        }
    )
    knowledge, matcher = _shipped_knowledge_and_matcher(config.knowledge_dir)
    application = build_application(config, knowledge, matcher)
    if today is not None:
        application.bot_data.today = lambda: today
    await application.initialize()
    await application.post_init(application)
    try:
        yield application
    finally:
        await application.shutdown()
        await application.post_shutdown(application)


@asynccontextmanager
async def started(application):
    """The application running as under run_polling (job queue on, tasks tracked and awaited on stop),
    for the moderators' commands, which make their reports in tasks beside the update loop."""
    await application.start()
    try:
        yield application
    finally:
        await application.stop()


async def send(application, api: FakeBotAPI, update: dict) -> dict:
    pushed = {"update_id": len(api.calls) + 1, **update}
    await application.process_update(Update.de_json(pushed, application.bot))
    return pushed
