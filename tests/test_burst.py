"""A burst of 2,000 updates from 200 users through the real Application, long polling the fake Bot API:
every update is answered exactly once and logged exactly once."""

import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.support.app import Chat, running_bot

pytestmark = pytest.mark.slow  # 2,000 updates

QUESTIONS = [
    item["q"]
    for item in yaml.safe_load((Path(__file__).parent / "data" / "questions.yaml").read_text(encoding="utf-8"))
]
USERS, PER_USER = 200, 10


async def test_two_thousand_updates_from_two_hundred_users_are_each_answered_and_logged_once(api, tmp_path):
    texts = {}
    for n in range(USERS * PER_USER):
        user = 500_000 + n % USERS
        texts[n] = (user, f"{QUESTIONS[n % len(QUESTIONS)]} {n}")  # every text different, so each is traceable
    async with running_bot(api, tmp_path) as app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        started = time.monotonic()
        try:
            for user, text in texts.values():
                api.push_update(Chat(user_id=user).message(text))
            await api.wait_delivered(USERS * PER_USER, timeout=180)
        finally:
            await app.updater.stop()
            await app.stop()
        elapsed = time.monotonic() - started
        await app.bot_data.query_log.flush()
        keys = app.bot_data.user_keys
        user_of_key = {keys.key(user): user for user, _ in texts.values()}
    sends = api.calls_to("sendMessage")
    assert len(sends) == len(api.delivered()) == USERS * PER_USER  # nothing failed, nothing sent twice
    per_chat = Counter(int(s["chat_id"]) for s in sends)
    assert set(per_chat) == {user for user, _ in texts.values()} and set(per_chat.values()) == {PER_USER}
    with sqlite3.connect(tmp_path / "data" / "bot.sqlite3") as connection:
        logged = connection.execute("SELECT user_key, question FROM query_log").fetchall()
    assert len(logged) == USERS * PER_USER
    assert Counter((user_of_key[k], q) for k, q in logged) == Counter(texts.values())  # each exactly once
    print(f"{USERS * PER_USER} updates in {elapsed:.1f} s")  # for the record; not a timed test
