"""The bot process killed with SIGKILL in the middle of a burst: on restart the database passes
PRAGMA integrity_check, every row whose write was committed is there, and the bot answers again."""

import signal
import sqlite3
import time

import pytest

from tests.support.app import Chat
from tests.support.process import start_bot

pytestmark = pytest.mark.slow  # the bot as its own process, a burst, a kill and a restart

BURST, USERS = 600, 60


def committed(db) -> set[str]:
    """What another process sees as committed right now."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return {row[0] for row in connection.execute("SELECT ref FROM query_log")}
    except sqlite3.OperationalError:  # the table is not there yet
        return set()
    finally:
        connection.close()


def test_a_bot_killed_mid_burst_restarts_on_an_intact_database_with_every_committed_row(api_thread, tmp_path):
    db = tmp_path / "data" / "bot.sqlite3"
    bot = start_bot(api_thread, db)
    try:
        api_thread.wait_for("setMyCommands", count=3)
        for n in range(BURST):
            api_thread.push_update(Chat(user_id=700_000 + n % USERS).message(f"где получить иин {n}"))
        deadline = time.monotonic() + 60
        seen: set[str] = set()
        while len(seen) < 100 and time.monotonic() < deadline:
            time.sleep(0.02)
            seen = committed(db)
        answered_before_kill = len(api_thread.calls_to("sendMessage"))
        bot.send_signal(signal.SIGKILL)
        bot.wait(10)
    finally:
        if bot.poll() is None:
            bot.kill()
    assert len(seen) >= 100 and answered_before_kill < BURST  # killed in the middle of the burst
    assert bot.returncode == -signal.SIGKILL

    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert seen <= committed(db)  # nothing committed was lost

    bot = start_bot(api_thread, db)  # the restart, on the same database
    try:
        api_thread.push_update(Chat(user_id=42).message("как открыть счет в банке"))
        deadline = time.monotonic() + 60
        while not any(int(c["chat_id"]) == 42 for c in api_thread.calls_to("sendMessage")):
            assert time.monotonic() < deadline, "the restarted bot did not answer"
            time.sleep(0.05)
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = bot.communicate(timeout=60)
    assert bot.returncode == 0, stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert (
            connection.execute("SELECT COUNT(*) FROM query_log WHERE question LIKE 'как открыть%'").fetchone()[0] == 1
        )
    assert seen <= committed(db)
