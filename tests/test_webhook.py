"""`python -m bot run --webhook`: the webhook is registered with its secret, every request must carry
that secret, updates are answered, and SIGTERM stops the bot after writing the query log."""

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.support import ROOT
from tests.support.app import Chat
from tests.support.fake_bot_api import TOKEN
from tests.support.process import bot_env, start_bot_process

pytestmark = pytest.mark.slow  # the bot as its own process

SECRET = "s3cret-token_for-the-webhook"
PATH = "telegram-hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(port: int, update: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/{PATH}", data=json.dumps(update).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_webhook_checks_the_secret_on_every_request_answers_and_stops_cleanly(api_thread, tmp_path):
    db, port = tmp_path / "data" / "bot.sqlite3", free_port()
    bot = start_bot_process(
        "--webhook",
        BOT_API_BASE_URL=api_thread.base_url,
        BOT_DB_PATH=db,
        BOT_WEBHOOK_URL=f"https://bot.example.org/{PATH}",
        BOT_WEBHOOK_LISTEN="127.0.0.1",
        BOT_WEBHOOK_PORT=port,
        BOT_WEBHOOK_SECRET=SECRET,
    )
    try:
        registered = api_thread.wait_for("setWebhook")[0]
        deadline = time.monotonic() + 30
        while True:  # the web server comes up right after the webhook is set
            try:
                status = post(port, {"update_id": 1, **Chat(user_id=11).message("где получить иин")}, None)
                break
            except OSError:
                assert time.monotonic() < deadline, "the webhook server did not come up"
                time.sleep(0.05)
        assert status == 403  # no secret
        assert (
            post(port, {"update_id": 2, **Chat(user_id=12).message("где получить иин")}, "wrong-secret-token-0000")
            == 403
        )
        assert post(port, {"update_id": 3, **Chat(user_id=13).message("как открыть счет в банке")}, SECRET) == 200
        replies = api_thread.wait_for("sendMessage")
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = bot.communicate(timeout=30)
    assert bot.returncode == 0, stderr
    assert registered["url"] == f"https://bot.example.org/{PATH}" and registered["secret_token"] == SECRET
    assert [int(r["chat_id"]) for r in replies] == [13]  # only the request with the secret was handled
    assert SECRET not in stderr and TOKEN not in stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT matched_id FROM query_log").fetchall() == [("bank-account",)]


def test_webhook_mode_needs_its_url_and_secret(tmp_path):
    env = bot_env(BOT_DB_PATH=tmp_path / "bot.sqlite3")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--webhook"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "BOT_WEBHOOK_URL" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    env["BOT_WEBHOOK_URL"] = "https://bot.example.org/hook"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--webhook"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "BOT_WEBHOOK_SECRET" in done.stderr
