"""The container's health check: a heartbeat file the job queue rewrites, and `python -m bot health`."""

import asyncio
import json
import logging
import os
import subprocess
import sys
import time

import pytest

from bot import health
from bot.logs import setup_logging
from tests.support import ROOT
from tests.support.app import running_bot


def check_command(path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    if path is not None:
        env["BOT_HEARTBEAT_FILE"] = str(path)
    return subprocess.run(
        [sys.executable, "-m", "bot", "health"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


async def test_the_running_bot_keeps_its_heartbeat_fresh_and_removes_it_when_it_stops(api, tmp_path, monkeypatch):
    monkeypatch.setattr(health, "INTERVAL", 0.2)
    beat = tmp_path / "run" / "heartbeat"
    async with running_bot(api, tmp_path, BOT_HEARTBEAT_FILE=str(beat)) as app:
        first = json.loads(beat.read_text())["time"]  # written as soon as the bot is up
        await app.start()  # the job queue runs from here
        try:
            await asyncio.sleep(0.7)
            later = json.loads(beat.read_text())
        finally:
            await app.stop()
        assert later["time"] > first and later["query_log_pending"] == 0
        assert health.check(beat)[0]
    assert not beat.exists()


async def test_the_heartbeat_job_is_not_logged_at_every_run_unless_debugging(api, tmp_path, monkeypatch, capsys):
    """`docker logs` (never rotated by default) keeps what matters: at INFO the job queue's two lines per
    heartbeat are not written; at DEBUG they are."""
    monkeypatch.setattr(health, "INTERVAL", 0.1)
    root = logging.getLogger()
    handlers, level_before = root.handlers[:], root.level
    try:
        for level, shown in ((logging.INFO, False), (logging.DEBUG, True)):
            setup_logging(level=level)
            folder = tmp_path / logging.getLevelName(level)
            async with running_bot(api, folder, BOT_HEARTBEAT_FILE=str(folder / "heartbeat")) as app:
                await app.start()
                try:
                    await asyncio.sleep(0.45)
                finally:
                    await app.stop()
            logged = capsys.readouterr().err
            assert ("apscheduler" in logged and "heartbeat" in logged) == shown, logged[-2000:]
    finally:
        root.handlers[:] = handlers
        root.setLevel(level_before)
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)


@pytest.mark.slow
def test_the_health_command_passes_on_a_fresh_heartbeat_only(tmp_path):
    beat = tmp_path / "heartbeat"
    health.write(beat, query_log_pending=0)
    fresh = check_command(beat)
    assert fresh.returncode == 0 and fresh.stdout.startswith("ok")
    beat.write_text(json.dumps({"time": time.time() - 600, "pid": 1}))
    stale = check_command(beat)
    assert stale.returncode == 1 and "s old" in stale.stderr
    beat.unlink()
    assert check_command(beat).returncode == 1
    beat.write_text("{not json")
    assert check_command(beat).returncode == 1
    unset = check_command(None)
    assert unset.returncode == 1 and "BOT_HEARTBEAT_FILE" in unset.stderr
