"""Telegram's limits and a failing Bot API: flood waits obeyed, transient failures retried with
backoff, the bot never crashes and answers once the API recovers; long answers split cleanly."""

import asyncio
import datetime as dt
import time

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot import render
from bot.core.html_check import telegram_html_problems
from bot.network import BotRateLimiter, ChatOrderedProcessor
from tests.support.app import Chat, running_bot, send
from tests.support.fake_bot_api import FakeBotAPI, parse_html
from tests.support.process import ThreadedAPI, start_bot_process

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB 22 on RetryAfter's int seconds


def limiter_of(app) -> BotRateLimiter:
    limiter = app.bot.rate_limiter
    limiter.backoff = 0.02  # seconds before the first retry; doubles each time
    return limiter


async def test_a_flood_wait_on_an_answer_is_waited_out_and_the_answer_sent_once(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        limiter = limiter_of(app)
        api.fail("429", retry_after=1)
        started = time.monotonic()
        await send(app, api, Chat().message("где получить иин"))
        elapsed = time.monotonic() - started
    attempts = api.calls_to("sendMessage")
    assert len(attempts) == 2 and len(api.delivered()) == 1
    assert "ИИН" in api.delivered()[0]["text"]
    assert elapsed >= 1.0 and limiter.flood_waits == 1


async def test_a_flood_wait_on_a_moderation_call_reaches_the_caller():
    limiter = BotRateLimiter(0, 0, 0)
    calls = []

    async def refused(*args, **kwargs):
        calls.append(time.monotonic())
        raise RetryAfter(30)

    with pytest.raises(RetryAfter):
        await limiter.process_request(refused, (), {}, "banChatMember", {"chat_id": -100, "user_id": 1}, None)
    assert len(calls) == 1  # reported at once, so the admin can be told to wait


@pytest.mark.parametrize("fault, extra", [("5xx", {}), ("timeout", {"BOT_API_TIMEOUT": "0.3"})])
async def test_failed_sends_are_retried_with_backoff_until_the_answer_goes_through(api, tmp_path, fault, extra):
    async with running_bot(api, tmp_path, **extra) as app:
        limiter = limiter_of(app)
        api.fail(fault, times=3, status=503, delay=0.6)
        await send(app, api, Chat().message("как открыть счет в банке"))
    assert len(api.calls_to("sendMessage")) == 4
    assert len(api.delivered()) == 1 and limiter.retried == 3


async def test_a_refusal_is_never_retried(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        limiter = limiter_of(app)
        api.fail_next("sendMessage", 400, "Bad Request: chat not found")
        await send(app, api, Chat().message("где получить иин"))
    assert limiter.retried == 0
    assert len(api.calls_to("sendMessage")) == 2  # the answer (refused), then the error reply


async def test_an_outage_longer_than_the_retries_costs_that_answer_only_and_the_next_one_is_answered(
    api, tmp_path, caplog
):
    async with running_bot(api, tmp_path) as app:
        limiter = limiter_of(app)
        limiter.network_retries = 2
        api.outage(5.0)
        await send(app, api, Chat().message("где получить иин"))  # fails after its retries; the error handler logs it
        api.outage(0)
        await send(app, api, Chat().message("как открыть счет в банке"))
    assert len(api.delivered()) == 1 and "банк" in api.delivered()[0]["text"].lower()
    assert any("error while handling an update: NetworkError" in r.getMessage() for r in caplog.records)


async def test_a_bot_api_that_refuses_connections_for_a_while_is_waited_for(tmp_path):
    api = FakeBotAPI()
    await api.start()
    port = api.port
    try:
        async with running_bot(api, tmp_path) as app:
            limiter_of(app).backoff = 0.3
            await api.stop()  # connection refused from now on
            answering = asyncio.create_task(send(app, api, Chat().message("где получить иин")))
            await asyncio.sleep(0.5)
            api = FakeBotAPI(port=port)
            await api.start()  # back on the same address
            await answering
            assert len(api.delivered()) == 1
    finally:
        await api.stop()


async def test_long_polling_survives_an_outage_and_then_answers_what_came_meanwhile(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            api.outage(1.5)  # getUpdates fails too
            api.push_update(Chat(user_id=1).message("где получить иин"))
            api.push_update(Chat(user_id=2).message("как открыть счет в банке"))
            replies = await api.wait_delivered(2, timeout=20)
        finally:
            await app.updater.stop()
            await app.stop()
    assert {r["chat_id"] for r in replies} == {1, 2}


async def test_each_private_chat_gets_about_one_message_a_second_and_others_are_not_held_up():
    limiter = BotRateLimiter(0, 0, chat_per_second=10)  # 10/s here so that the test is quick
    sent: list[tuple[int, float]] = []

    async def deliver(chat_id):
        sent.append((chat_id, time.monotonic()))
        return True

    started = time.monotonic()
    await asyncio.gather(
        *(
            limiter.process_request(deliver, (chat,), {}, "sendMessage", {"chat_id": chat}, None)
            for chat in [42] * 5 + [7]
        )
    )
    to_42 = sorted(t - started for chat, t in sent if chat == 42)
    to_7 = [t - started for chat, t in sent if chat == 7]
    assert to_42[-1] >= 0.35  # five messages to one chat at 10/s
    assert to_7[0] < 0.1


async def test_a_flood_wait_holds_back_every_request_until_it_is_over():
    limiter = BotRateLimiter(0, 0, 0)
    sent: list[tuple[int, float]] = []
    refused: list[int] = []

    async def deliver(chat_id):
        if chat_id == 1 and not refused:
            refused.append(chat_id)
            raise RetryAfter(dt.timedelta(seconds=0.5))
        sent.append((chat_id, time.monotonic()))
        return True

    started = time.monotonic()
    first = asyncio.create_task(limiter.process_request(deliver, (1,), {}, "sendMessage", {"chat_id": 1}, None))
    await asyncio.sleep(0.1)
    await limiter.process_request(deliver, (2,), {}, "sendMessage", {"chat_id": 2}, None)
    await first
    assert sorted(chat for chat, _ in sent) == [1, 2] and limiter.flood_waits == 1
    assert all(t - started >= 0.5 for _, t in sent)  # the other chat waited too


async def test_a_group_gets_its_quota_a_minute_and_other_groups_are_not_held_up():
    limiter = BotRateLimiter(0, group_per_minute=2, chat_per_second=0)
    sent: list[int] = []

    async def deliver(chat_id):
        sent.append(chat_id)
        return True

    sends = [
        asyncio.create_task(limiter.process_request(deliver, (chat,), {}, "sendMessage", {"chat_id": chat}, None))
        for chat in [-100, -100, -100, -200, "@channel"]
    ]
    await asyncio.sleep(0.2)
    assert sorted(sent, key=str) == [-100, -100, -200, "@channel"]  # the third to -100 waits for the next minute
    for task in sends:
        task.cancel()
    await asyncio.gather(*sends, return_exceptions=True)


async def test_transient_failures_are_told_apart_from_refusals():
    from bot.network import transient

    assert transient(TimedOut()) and transient(NetworkError("Bad Gateway"))
    assert not transient(BadRequest("Bad Request: message is too long")) and not transient(RetryAfter(3))


async def test_updates_of_one_chat_are_handled_in_order_and_different_chats_at_once():
    processor = ChatOrderedProcessor(8)
    log: list[tuple[str, int]] = []

    class FakeUpdate:
        def __init__(self, chat, number):
            self.effective_chat = type("Chat", (), {"id": chat})()
            self.number = number

    async def handle(update, pause):
        log.append(("start", update.number))
        await asyncio.sleep(pause)
        log.append(("end", update.number))

    updates = [(FakeUpdate(1, 1), 0.05), (FakeUpdate(1, 2), 0.0), (FakeUpdate(2, 3), 0.0)]
    await asyncio.gather(*(processor.process_update(u, handle(u, p)) for u, p in updates))
    assert log.index(("end", 1)) < log.index(("start", 2))  # same chat: strictly in order
    assert log.index(("end", 3)) < log.index(("end", 1))  # another chat did not wait


async def test_an_answer_longer_than_a_message_is_split_cleanly(api, tmp_path, monkeypatch):
    paragraph = "<b>Важно:</b> " + "очень длинный ответ с <i>деталями &amp; ссылками</i> " * 20
    long_answer = "\n\n".join([paragraph] * 12)  # about 12,000 characters
    original = render.answer_text
    monkeypatch.setattr(
        render,
        "answer_text",
        lambda entry, lang, today, limit=None: long_answer + "\n\n" + original(entry, lang, today, limit=None),
    )
    monkeypatch.setattr(render, "_built", {})  # answers split before, for the same knowledge, are not reused
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("где получить иин"))
    parts = api.delivered()
    assert len(parts) >= 3
    assert all(len(parse_html(p["text"])[1]) <= 4096 for p in parts)  # the fake refuses bad HTML: all were accepted
    assert [bool(p.get("reply_markup")) for p in parts] == [False] * (len(parts) - 1) + [True]
    assert "Источник" in parts[-1]["text"] or "Source" in parts[-1]["text"]


def test_the_split_parts_are_valid_html_and_keep_the_text():
    from bot.core.split import split_html

    text = "<b>" + "слово " * 1000 + '</b>\n\n<a href="https://example.org">' + "ссылка " * 800 + "</a>"
    parts = split_html(text, 1000)
    assert all(not telegram_html_problems(p) for p in parts)
    visible = " ".join(parse_html(p)[1].strip() for p in parts)
    assert visible.split() == parse_html(text)[1].split()


async def test_long_polling_waits_while_many_updates_are_in_flight():
    from bot.network import BoundedUpdateQueue, hold_while_full

    queue = BoundedUpdateQueue(limit=3)
    for n in range(4):  # a whole batch goes in at once, even past the limit
        await queue.put(n)
    polling = asyncio.create_task(hold_while_full(queue, {"timeout": 10, "offset": 5}))
    await asyncio.sleep(0.05)
    assert not polling.done()  # held back: four in flight
    await asyncio.wait_for(hold_while_full(queue, {"timeout": 0, "offset": 9}), 1)  # shutdown's confirming call
    for _ in range(2):
        await queue.get()
        queue.task_done()
    await asyncio.wait_for(polling, 1)
    assert queue.in_flight == 2


@pytest.mark.slow
def test_a_bot_whose_api_is_gone_still_stops_promptly_on_sigterm(tmp_path):
    import signal
    import subprocess

    api_thread = ThreadedAPI()
    bot = start_bot_process(
        stdout=subprocess.DEVNULL, BOT_API_BASE_URL=api_thread.base_url, BOT_DB_PATH=tmp_path / "bot.sqlite3"
    )
    try:
        api_thread.wait_for("setMyCommands", count=3)
        api_thread.close()  # the Bot API goes away: every request now fails and is retried with backoff
        time.sleep(2.5)
        started = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        _, stderr = bot.communicate(timeout=30)
    finally:
        if bot.poll() is None:
            bot.kill()
    assert bot.returncode == 0, stderr
    assert time.monotonic() - started < 5  # retries stop with the bot: well within docker stop's 10 s
