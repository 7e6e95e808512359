from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app import build_application
from bot.config import load_config
from bot.core.knowledge import load_knowledge
from bot.core.matcher import Matcher
from tests.fake_bot_api import TOKEN, FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"


def bot_env(**settings) -> dict[str, str]:
    """This process's environment without its own BOT_ settings, with the fake API's token and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update({"BOT_TOKEN": TOKEN, **{k: str(v) for k, v in settings.items()}})
    return env


def start_bot_process(*args: str, stdout=subprocess.PIPE, **settings) -> subprocess.Popen:
    """`python -m bot run [args]` as its own process, as the Bot API emulator starts it (stderr piped)."""
    return subprocess.Popen([sys.executable, "-m", "bot", "run", *args], cwd=ROOT, env=bot_env(**settings),
                            stdout=stdout, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def matcher(knowledge):
    return Matcher(knowledge)


@pytest.fixture
async def api():
    server = FakeBotAPI()
    await server.start()
    yield server
    await server.stop()


class ThreadedAPI:
    """The fake Bot API on its own event loop in a thread, for tests that run the bot as a separate process."""

    def __init__(self):
        import asyncio
        import threading

        self.loop = asyncio.new_event_loop()
        self.server = FakeBotAPI()
        ready = threading.Event()

        def serve():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(10)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def push_update(self, update: dict) -> None:
        self.loop.call_soon_threadsafe(self.server.push_update, update)

    def calls_to(self, method: str) -> list[dict]:
        return list(self.server.calls_to(method))

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s), got {self.calls_to(method)}")
            time.sleep(0.05)
        return self.calls_to(method)

    def close(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def api_thread():
    server = ThreadedAPI()
    yield server
    server.close()


class Chat:
    """Builds updates as Telegram would send them for one user in a private chat."""

    _ids = itertools.count(1)

    def __init__(self, user_id: int = 4242, language_code: str | None = "ru", chat_type: str = "private", chat_id: int | None = None):
        self.user = {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": language_code}
        self.chat = {"id": chat_id or user_id, "type": chat_type}

    def message(self, text: str | None = None, **extra) -> dict:
        message = {"message_id": next(self._ids), "date": int(time.time()), "chat": self.chat, "from": self.user, **extra}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"message": message}

    def press(self, data: str, message_id: int = 1000, reply_markup: dict | None = None) -> dict:
        """A button press on the bot's message (which carries its keyboard, as Telegram sends it)."""
        message = {"message_id": message_id, "date": int(time.time()), "chat": self.chat,
                   "from": {"id": 7000001, "is_bot": True, "first_name": "Bot"}, "text": "answer"}
        if reply_markup:
            message["reply_markup"] = reply_markup
        return {"callback_query": {"id": str(next(self._ids)), "from": self.user, "chat_instance": "ci",
                                   "data": data, "message": message}}


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
    config = load_config({"BOT_TOKEN": TOKEN, "BOT_API_BASE_URL": api.base_url,
                          "BOT_DB_PATH": str(tmp_path / "data" / "bot.sqlite3"), "BOT_RATE_LIMIT": "0",
                          "BOT_MATCH_WORKER": "off", **env})
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


async def send(application, api: FakeBotAPI, update: dict) -> dict:
    from telegram import Update

    pushed = {"update_id": len(api.calls) + 1, **update}
    await application.process_update(Update.de_json(pushed, application.bot))
    return pushed
