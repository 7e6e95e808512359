"""The bot as its own process (`python -m bot ...`), and the fake Bot API on a thread for it to talk to."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time

from tests.support import ROOT
from tests.support.fake_bot_api import TOKEN, FakeBotAPI


def run(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` as a maintainer runs it, without this process's BOT_ settings."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        timeout=60,
    )


def bot_env(**settings) -> dict[str, str]:
    """This process's environment without its own BOT_ settings, with the fake API's token and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update({"BOT_TOKEN": TOKEN, **{k: str(v) for k, v in settings.items()}})
    return env


def start_bot_process(*args: str, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **settings) -> subprocess.Popen:
    """`python -m bot run [args]` as its own process, as the Bot API emulator starts it (its output piped unless
    given: a pipe nobody reads stalls the bot once it holds 64 KB of log)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=ROOT,
        env=bot_env(**settings),
        stdout=stdout,
        stderr=stderr,
        text=True,
    )


def start_bot(api_thread: ThreadedAPI, db) -> subprocess.Popen:
    """The bot process on the database `db`, Telegram's rate limits off, its output thrown away."""
    return start_bot_process(
        stdout=subprocess.DEVNULL, BOT_API_BASE_URL=api_thread.base_url, BOT_DB_PATH=db, BOT_RATE_LIMIT=0
    )


class ThreadedAPI:
    """The fake Bot API on its own event loop in a thread, for tests that run the bot as a separate process."""

    def __init__(self):
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

    def fail_next(self, method: str, code: int, description: str) -> None:
        self.loop.call_soon_threadsafe(self.server.fail_next, method, code, description)

    def calls_to(self, method: str) -> list[dict]:
        return list(self.server.calls_to(method))

    def wait_for(self, method: str, count: int = 1, timeout: float = 120.0) -> list[dict]:
        """The calls to `method` once there are `count`; the long default covers a bot process that starts
        (trains its classifier) on a loaded machine: seen taking 45 s on two busy cores."""
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s), got {self.calls_to(method)}")
            time.sleep(0.05)
        return self.calls_to(method)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
