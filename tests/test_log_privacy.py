"""The bot's own logs at DEBUG never show the token or the user-key secret: `python -m bot run` as a separate
process against the fake Bot API, through answers, an API failure, /stats with its chart, /reload and /forgetme."""

import signal

import pytest

from tests.support.app import Chat
from tests.support.fake_bot_api import TOKEN
from tests.support.process import start_bot_process

pytestmark = pytest.mark.slow  # the bot as its own process

MODERATOR = 9001
SECRET = "user-key-secret-for-the-leak-test-0123456789"


def test_debug_logs_never_contain_the_token_or_the_user_key_secret(api_thread, tmp_path):
    log = tmp_path / "bot.log"
    with log.open("w") as output:  # a file: the DEBUG log outgrows a pipe that is read only at the end
        process = start_bot_process(
            BOT_API_BASE_URL=api_thread.base_url,
            BOT_DB_PATH=tmp_path / "bot.sqlite3",
            BOT_LOG_LEVEL="DEBUG",
            BOT_USER_KEY_SECRET=SECRET,
            BOT_MODERATOR_IDS=MODERATOR,
            BOT_WATCH_KNOWLEDGE=1,
            stdout=output,
            stderr=output,
        )
    user, moderator = Chat(user_id=4242), Chat(user_id=MODERATOR, language_code="en")
    try:
        api_thread.wait_for("setMyCommands", count=3)
        api_thread.push_update(user.message("/start"))
        api_thread.wait_for("sendMessage", count=1)
        api_thread.fail_next("sendMessage", 400, "Bad Request: chat not found")
        api_thread.push_update(user.message("где получить иин"))  # refused by the API: an error with a traceback
        api_thread.wait_for("sendMessage", count=3)
        for text in ("/stats", "/reload", "/forgetme"):
            api_thread.push_update((moderator if text != "/forgetme" else user).message(text))
        api_thread.wait_for("sendPhoto", count=1)
        api_thread.wait_for("sendMessage", count=6)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    logged = log.read_text(encoding="utf-8")
    assert process.returncode == 0, logged[-4000:]
    assert " DEBUG telegram" in logged and "Calling Bot API endpoint `sendPhoto`" in logged  # DEBUG really was on
    assert "error while handling an update: BadRequest" in logged and "Traceback" in logged
    assert "[REDACTED]" in logged  # PTB logs the API URL, token included, at DEBUG: the filter caught it
    for secret in (TOKEN, TOKEN.split(":")[1], SECRET):
        assert secret not in logged
