"""SIGTERM in the middle of a burst: the bot answers and logs every update it has already taken from
Telegram, leaves the rest there, and after a restart every update has been answered exactly once."""

import signal
import sqlite3
import time
from collections import Counter

import pytest

from tests.support.app import Chat
from tests.support.process import start_bot

pytestmark = pytest.mark.slow  # the bot as its own process, a burst, SIGTERM and a restart

BURST, USERS = 600, 30


def stop(bot) -> None:
    bot.send_signal(signal.SIGTERM)
    _, stderr = bot.communicate(timeout=60)
    assert bot.returncode == 0, stderr


def test_sigterm_mid_burst_finishes_what_was_taken_and_a_restart_answers_the_rest_once(api_thread, tmp_path):
    db = tmp_path / "data" / "bot.sqlite3"
    texts = [f"где получить иин {n}" for n in range(BURST)]
    bot = start_bot(api_thread, db)
    try:
        api_thread.wait_for("setMyCommands", count=3)
        for n, text in enumerate(texts):
            api_thread.push_update(Chat(user_id=800_000 + n % USERS).message(text))
        api_thread.wait_for("sendMessage", count=20)
    finally:
        stop(bot)
    answered_first = len(api_thread.calls_to("sendMessage"))
    with sqlite3.connect(db) as connection:
        logged_first = connection.execute("SELECT COUNT(*) FROM query_log").fetchone()[0]
    assert 20 <= answered_first < BURST and logged_first == answered_first  # everything answered was logged

    bot = start_bot(api_thread, db)
    try:
        api_thread.wait_for("setMyCommands", count=6)  # up again
        api_thread.wait_for("sendMessage", count=BURST, timeout=120)
        time.sleep(0.5)  # anything answered twice would show up now
    finally:
        stop(bot)
    assert len(api_thread.calls_to("sendMessage")) == BURST
    with sqlite3.connect(db) as connection:
        questions = Counter(row[0] for row in connection.execute("SELECT question FROM query_log"))
    assert questions == Counter(texts)  # each update answered and logged exactly once across the restart
