"""Database trouble while the bot answers: locked, read-only, disk full. Answering goes on, the query
log keeps what it acknowledged in memory (up to its bound) and writes it once the database recovers;
what the database still refuses at exit is kept on disk for the next start."""

import asyncio
import sqlite3

import pytest

from bot.querylog import QueryLog
from bot.storage import QueryRecord, Storage, utcnow
from tests.support import ROOT
from tests.support.app import Chat, running_bot, send
from tests.support.process import bot_env, start_bot_process
from tests.support.storage import Failing

QUESTIONS = [
    "где получить иин",
    "как открыть счет в банке",
    "сколько можно находиться без визы",
    "где снять квартиру в алматы",
    "как найти работу",
]


def record(ref: str) -> QueryRecord:
    return QueryRecord(ref, utcnow(), "ru", "private", "k" * 32, "вопрос", "iin", 50.0, "answer")


def rows(db) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(*) FROM query_log").fetchone()[0]


async def break_locked(db, storage):
    """Another process holds the write lock; the bot gives up waiting for it after 50 ms."""
    await storage._db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")

    async def repair():
        other.execute("ROLLBACK")
        other.close()

    return repair


async def break_read_only(db, storage):
    await storage._db.execute("PRAGMA query_only = ON")  # "attempt to write a readonly database"

    async def repair():
        await storage._db.execute("PRAGMA query_only = OFF")

    return repair


async def break_disk_full(db, storage):
    async with storage._db.execute("PRAGMA page_count") as cursor:
        (pages,) = await cursor.fetchone()
    await storage._db.execute(
        f"PRAGMA max_page_count = {pages}"
    )  # no room for one more page: "database or disk is full"

    async def repair():
        await storage._db.execute("PRAGMA max_page_count = 1073741823")

    return repair


@pytest.mark.parametrize(
    "trouble", [break_locked, break_read_only, break_disk_full], ids=["locked", "read-only", "disk-full"]
)
async def test_answering_goes_on_while_the_database_fails_and_the_log_catches_up(api, tmp_path, trouble):
    db = tmp_path / "data" / "bot.sqlite3"
    async with running_bot(api, tmp_path) as app:
        svc = app.bot_data
        svc.query_log._retry_seconds = 0.05
        for i in range(3):  # enough rows that a full disk has nothing left to give
            await send(app, api, Chat(user_id=10 + i).message(QUESTIONS[i]))
        await svc.query_log.flush()
        before = rows(db)
        repair = await trouble(db, svc.storage)
        for i in range(40):
            await send(app, api, Chat(user_id=100 + i).message(QUESTIONS[i % len(QUESTIONS)] + f" {i}"))
        assert len(api.delivered()) == 43  # every question answered while the database failed
        await asyncio.sleep(0.2)
        pending = svc.query_log.pending
        assert pending > 0 and rows(db) + pending == before + 40  # what the database refused waits in memory
        await repair()
        for _ in range(100):
            if not svc.query_log.pending:
                break
            await asyncio.sleep(0.05)
        assert svc.query_log.pending == 0
    assert rows(db) == before + 40
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_the_buffer_has_a_bound_and_refuses_rather_than_forgets(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    failing = Failing(storage)
    log = QueryLog(failing, max_pending=5, retry_seconds=0.02)
    log.start()
    acknowledged = [log.add(record(f"r{i}")) for i in range(8)]
    assert acknowledged == [True] * 5 + [False] * 3 and log.refused == 3
    await asyncio.sleep(0.1)
    failing.healthy = True
    await log.close()
    refs = sorted(r["ref"] for r in await storage.queries())
    await storage.close()
    assert refs == [f"r{i}" for i in range(5)]  # every acknowledged record, none of the refused


async def test_what_the_database_refuses_at_exit_is_kept_for_the_next_start(tmp_path):
    spill = tmp_path / "query-log.pending.jsonl"
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    failing = Failing(storage)
    log = QueryLog(failing, retry_seconds=0.02, spill_path=spill, close_timeout=0.2)
    log.start()
    for i in range(3):
        log.add(record(f"s{i}"))
    log.feedback("s1", helpful=False)
    await log.close()  # the database never recovered
    assert spill.exists() and oct(spill.stat().st_mode & 0o777) == "0o600"
    assert await storage.queries() == []

    restarted = QueryLog(storage, spill_path=spill)  # the next start, database healthy again
    restarted.start()
    await restarted.close()
    logged = {r["ref"]: r["feedback"] for r in await storage.queries()}
    await storage.close()
    assert logged == {"s0": None, "s1": 0, "s2": None}
    assert not spill.exists()


async def test_the_bot_stops_cleanly_with_a_broken_database_and_loses_nothing_it_answered(api, tmp_path):
    db = tmp_path / "data" / "bot.sqlite3"
    async with running_bot(api, tmp_path) as app:
        svc = app.bot_data
        svc.query_log._retry_seconds = 0.05
        svc.query_log._close_timeout = 0.3
        await svc.storage._db.execute("PRAGMA query_only = ON")
        for i in range(5):
            await send(app, api, Chat(user_id=200 + i).message(QUESTIONS[i]))
    assert rows(db) == 0 and (tmp_path / "data" / "query-log.pending.jsonl").exists()
    async with running_bot(api, tmp_path) as app:  # restart: the kept rows are written
        await app.bot_data.query_log.flush()
    assert rows(db) == 5


@pytest.mark.slow
@pytest.mark.parametrize("last_exit", ["clean", "killed"])
def test_a_data_folder_the_bot_cannot_write_stops_start_up_at_once(api_thread, tmp_path, last_exit):
    """A restart on a read-only data folder (a volume mounted :ro, a wrong owner): no answering with a log that
    would be lost at exit, but one line naming the folder and a non-zero exit. After a kill the write-ahead
    log is still there, and SQLite then opens the database read-only without complaint."""
    import os
    import shutil
    import stat
    import subprocess
    import sys

    data = tmp_path / "data"
    first = start_bot_process(BOT_API_BASE_URL=api_thread.base_url, BOT_DB_PATH=data / "bot.sqlite3")
    api_thread.wait_for("setMyCommands", count=3)
    if last_exit == "clean":
        first.terminate()
        try:
            code = first.wait(30)
            assert code == 0 and (data / "bot.sqlite3").exists(), first.communicate()[1][-3000:]  # why, if not
        finally:
            first.kill()  # a bot that did not stop must not outlive the test
    else:
        first.kill()
        first.wait(30)
        assert (data / "bot.sqlite3-wal").exists()
    calls = len(api_thread.calls_to("setMyCommands"))
    for path in data.iterdir():
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    data.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    prefix = []
    if os.geteuid() == 0:  # root writes anywhere unless it gives up the capability to
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a read-only folder cannot be simulated")
        prefix = [setpriv, "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]
    try:
        process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=bot_env(BOT_API_BASE_URL=api_thread.base_url, BOT_DB_PATH=data / "bot.sqlite3"),
        )
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise AssertionError("the bot started on a data folder it cannot write") from None
    finally:
        data.chmod(0o755)
        for path in data.iterdir():
            path.chmod(0o600)
    assert process.returncode == 2, stderr
    assert stderr.strip().splitlines()[-1].startswith(f"error: cannot use the data folder '{data}'")
    assert len(api_thread.calls_to("setMyCommands")) == calls  # it never got as far as talking to Telegram


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_database_file_deleted_or_replaced_under_the_running_bot_is_noticed_and_no_row_is_lost(
    api, tmp_path, caplog, how
):
    """Someone deletes (or swaps) data/bot.sqlite3 while the bot runs: SQLite would go on writing into the
    unlinked file, so every row after it would vanish at restart. The bot says so and writes them to the file
    now at that path."""
    db = tmp_path / "data" / "bot.sqlite3"
    async with running_bot(api, tmp_path) as app:
        svc = app.bot_data
        await send(app, api, Chat(user_id=300).message(QUESTIONS[0]))
        await svc.query_log.flush()
        for suffix in ("", "-wal", "-shm"):
            db.with_name(db.name + suffix).unlink(missing_ok=True)
        if how == "replaced":  # e.g. a backup restored over it
            with sqlite3.connect(db) as other:
                other.execute("PRAGMA journal_mode = WAL")
        for i in range(3):
            await send(app, api, Chat(user_id=301 + i).message(QUESTIONS[1 + i]))
        await svc.query_log.flush()
        await send(app, api, Chat(user_id=310).message(QUESTIONS[4]))
    assert len(api.delivered()) == 5  # answering went on
    assert any(
        "bot.sqlite3" in r.getMessage()
        and ("deleted" in r.getMessage() or "replaced" in r.getMessage())
        and r.levelname == "ERROR"
        for r in caplog.records
    )
    with sqlite3.connect(db) as connection:  # what a restart finds
        logged = [q for (q,) in connection.execute("SELECT question FROM query_log ORDER BY id")]
    assert logged == QUESTIONS[1:5]
