"""Matching in a worker process: the same answers as in the bot's own process, new knowledge after a
reload, and answering goes on when the worker dies or hangs."""

import asyncio
import os
import signal
import time

import pytest
import yaml

from bot import matchworker
from bot.config import ConfigError, load_config
from bot.core.knowledge import load_knowledge
from bot.core.matcher import Matcher
from bot.matchworker import MatchWorker, worker_wanted
from tests.support import KNOWLEDGE_DIR
from tests.support.app import Chat, running_bot, send
from tests.support.fake_bot_api import TOKEN
from tests.support.knowledge_files import edit
from tests.support.process import start_bot
from tests.support.reload import MODERATOR, reload
from tests.support.reload import replies_to as answers_to

HELD_OUT = KNOWLEDGE_DIR.parent / "tests" / "data" / "questions.yaml"
NEW_PHRASING = "зеленый жираф танцует на крыше"  # no entry knows these words until the reload adds them


async def wait_until(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def worker_ready(worker: MatchWorker):
    return lambda: worker.ready


async def test_the_bot_answers_while_its_worker_is_still_starting(api, tmp_path, monkeypatch):
    """The bot polls Telegram at once; until the worker has built its matcher, the bot matches itself."""
    started = asyncio.Event()
    real_start = MatchWorker.start

    async def slow_start(worker, knowledge, timeout=matchworker.START_TIMEOUT):
        await started.wait()  # held back until the question has been answered
        return await real_start(worker, knowledge, timeout)

    monkeypatch.setattr(MatchWorker, "start", slow_start)
    async with running_bot(api, tmp_path, BOT_MATCH_WORKER="on") as app:
        worker = app.bot_data.match_worker
        await send(app, api, Chat(user_id=7).message("где получить иин"))
        assert "ЦОН" in answers_to(api, 7)[-1] and not worker.ready and worker.pid is None
        started.set()
        await wait_until(worker_ready(worker), 120)


async def test_stopping_the_bot_while_its_worker_starts_stops_the_worker(api, tmp_path):
    async with running_bot(api, tmp_path, BOT_MATCH_WORKER="on") as app:
        worker = app.bot_data.match_worker
        await wait_until(lambda: worker.pid is not None)
        pid = worker.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not worker.ready


@pytest.mark.slow
async def test_the_worker_answers_exactly_as_the_bot_process_would():
    knowledge = load_knowledge(KNOWLEDGE_DIR)
    questions = [item["q"] for item in yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))]
    worker = MatchWorker()
    assert await worker.start(knowledge)
    try:
        answers = await asyncio.gather(*(worker.match(q) for q in questions))  # many in flight at once
    finally:
        await worker.stop()
    matcher = Matcher(knowledge)
    assert answers == [matcher.match(q) for q in questions]


@pytest.mark.slow
async def test_a_bot_with_the_worker_answers_and_goes_on_answering_when_it_dies(api, tmp_path, caplog):
    async with running_bot(api, tmp_path, BOT_MATCH_WORKER="on") as app:
        svc = app.bot_data
        worker = svc.match_worker
        await wait_until(worker_ready(worker), 120)
        await send(app, api, Chat(user_id=1).message("где получить иин"))
        assert (
            "ЦОН" in answers_to(api, 1)[-1] and ("где получить иин", None) in worker._answers
        )  # matched by the worker
        os.kill(worker.pid, signal.SIGKILL)
        await wait_until(lambda: not worker.ready)
        await send(app, api, Chat(user_id=2).message("как открыть счет в банке"))
        assert "банк" in answers_to(api, 2)[-1].lower()
    assert "matching worker exited" in caplog.text


@pytest.mark.slow
async def test_a_hung_worker_is_given_up_and_the_question_still_answered(api, tmp_path, monkeypatch):
    monkeypatch.setattr(matchworker, "ANSWER_TIMEOUT", 0.3)
    monkeypatch.setattr(matchworker, "WATCH_INTERVAL", 0.1)
    async with running_bot(api, tmp_path, BOT_MATCH_WORKER="on") as app:
        worker = app.bot_data.match_worker
        await wait_until(worker_ready(worker), 120)
        os.kill(worker.pid, signal.SIGSTOP)  # alive, but answering nothing
        await asyncio.wait_for(send(app, api, Chat(user_id=3).message("где получить иин")), 5)
        assert "ЦОН" in answers_to(api, 3)[-1]
        assert not worker.ready


@pytest.mark.slow
async def test_a_reload_reaches_the_worker(api, tmp_path, knowledge_copy):
    async with running_bot(
        api, tmp_path, BOT_MATCH_WORKER="on", BOT_KNOWLEDGE_DIR=str(knowledge_copy), BOT_MODERATOR_IDS=str(MODERATOR)
    ) as app:
        worker = app.bot_data.match_worker
        await wait_until(worker_ready(worker), 120)
        await send(app, api, Chat(user_id=5).message(NEW_PHRASING))
        assert "Бесплатное жилье" not in answers_to(api, 5)[-1]
        edit(
            knowledge_copy / "faq/shelter/shelter.yaml",
            '      - "где переночевать бесплатно в алматы"',
            f'      - "где переночевать бесплатно в алматы"\n      - "{NEW_PHRASING}"',
        )
        await reload(app, api)
        await wait_until(lambda: worker.ready)  # the worker has built the new knowledge
        await send(app, api, Chat(user_id=6).message(NEW_PHRASING + "!"))
        assert (NEW_PHRASING + "!", None) in worker._answers  # answered by the worker, on the new knowledge
        assert worker._answers[(NEW_PHRASING + "!", None)].entry_id == "shelter"


@pytest.mark.slow
async def test_stopping_the_bot_stops_the_worker(api, tmp_path):
    async with running_bot(api, tmp_path, BOT_MATCH_WORKER="on") as app:
        worker = app.bot_data.match_worker
        await wait_until(worker_ready(worker), 120)
        pid = worker.pid
        os.kill(pid, 0)  # running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_worker_setting_is_checked_and_auto_follows_the_cpus(monkeypatch, tmp_path):
    base = {"BOT_TOKEN": TOKEN}
    assert load_config(base).match_worker == "auto"
    assert load_config({**base, "BOT_MATCH_WORKER": "OFF"}).match_worker == "off"
    with pytest.raises(ConfigError, match="BOT_MATCH_WORKER must be auto, on or off"):
        load_config({**base, "BOT_MATCH_WORKER": "sometimes"})
    no_quota = tmp_path / "cpu.max"
    no_quota.write_text("max 100000\n")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not worker_wanted("auto", no_quota) and worker_wanted("on", no_quota) and not worker_wanted("off", no_quota)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert worker_wanted("auto", no_quota)
    one_cpu = tmp_path / "one-cpu.max"
    one_cpu.write_text("100000 100000\n")  # docker run --cpus 1 on a four-CPU host
    assert not worker_wanted("auto", one_cpu)
    assert worker_wanted("auto", tmp_path / "missing")  # no cgroup file: the CPUs decide


@pytest.mark.slow
def test_a_killed_bot_leaves_no_worker_running(api_thread, tmp_path):
    """`kill -9` on the bot closes the worker's pipe: the worker exits by itself (no orphan matching away)."""
    bot = start_bot(api_thread, tmp_path / "data" / "bot.sqlite3")  # BOT_MATCH_WORKER unset: auto, two CPUs here
    try:
        api_thread.wait_for("setMyCommands", count=3)
        workers = _children(bot.pid)
        assert len(workers) == (1 if worker_wanted("auto") else 0)
    finally:
        bot.kill()
        bot.wait()
    for pid in workers:
        deadline = time.monotonic() + 10
        while _running(pid):
            assert time.monotonic() < deadline, f"worker {pid} still runs after its bot was killed"
            time.sleep(0.05)


def _children(parent: int) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


def _running(pid: str) -> bool:
    """Alive and not a zombie waiting for init to reap it."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line for line in status)
    except FileNotFoundError:
        return False
