"""`python -m bot run` as its own process, as the Bot API emulator starts it: BOT_TOKEN + BOT_API_BASE_URL,
long polling."""

import signal
import sqlite3
import subprocess
import time

import pytest

from tests.support.app import Chat
from tests.support.fake_bot_api import TOKEN
from tests.support.process import start_bot_process

pytestmark = pytest.mark.slow  # the bot as its own process


def test_the_bot_process_answers_over_long_polling_and_flushes_its_log_on_sigterm(api_thread, tmp_path):
    db = tmp_path / "data" / "bot.sqlite3"
    process = start_bot_process(BOT_API_BASE_URL=api_thread.base_url, BOT_DB_PATH=db)
    try:
        api_thread.wait_for("setMyCommands", count=3)
        api_thread.push_update({"update_id": 1, **Chat().message("где получить иин")})
        api_thread.push_update({"update_id": 2, **Chat().message("kak otkryt schet v banke")})
        replies = api_thread.wait_for("sendMessage", count=2)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "ИИН" in replies[0]["text"]
    assert TOKEN not in stderr and TOKEN.split(":")[1] not in stderr  # the token never reaches the log
    with sqlite3.connect(db) as connection:
        logged = connection.execute("SELECT matched_id, outcome FROM query_log ORDER BY id").fetchall()
    assert logged == [("iin-where", "answer"), ("bank-account", "answer")]


def test_a_lone_surrogate_from_the_bot_api_is_logged_replaced_and_sigterm_still_stops_the_bot(api_thread, tmp_path):
    """A Bot API server may send "\\ud800" (a JSON escape of half a character): logged as U+FFFD, the rows after
    it are logged too, and the bot exits 0 on SIGTERM with its database closed."""
    db = tmp_path / "data" / "bot.sqlite3"
    process = start_bot_process(BOT_API_BASE_URL=api_thread.base_url, BOT_DB_PATH=db)
    try:
        api_thread.wait_for("setMyCommands", count=3)
        api_thread.push_update({"update_id": 1, **Chat(user_id=11).message("где получить иин \ud800")})
        api_thread.push_update({"update_id": 2, **Chat(user_id=12).message("\udfff\ud83d")})
        api_thread.wait_for("sendMessage", count=2)
        time.sleep(1)  # the writer has met both rows
        api_thread.push_update({"update_id": 3, **Chat(user_id=13).message("kak otkryt schet v banke")})
        api_thread.wait_for("sendMessage", count=3)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise AssertionError("the bot did not stop on SIGTERM") from None
    assert process.returncode == 0, stderr
    with sqlite3.connect(db) as connection:
        logged = connection.execute("SELECT question FROM query_log ORDER BY id").fetchall()
    assert logged == [("где получить иин \ufffd",), ("\ufffd\ufffd",), ("kak otkryt schet v banke",)]


def _workers() -> set[str]:
    return set(subprocess.run(["pgrep", "-f", "bot.matchworker"], capture_output=True, text=True).stdout.split())


def test_sigterm_during_start_up_stops_the_bot_and_its_worker(api_thread, tmp_path):
    """A stop while the bot is still registering its commands (its database open, its worker starting): the
    start-up is cancelled, then everything it opened is closed; no process is left behind."""
    before = _workers()
    process = start_bot_process(BOT_API_BASE_URL=api_thread.base_url, BOT_DB_PATH=tmp_path / "data" / "bot.sqlite3")
    try:
        api_thread.wait_for("setMyCommands", count=1)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert _workers() <= before
