import asyncio
import os
import sqlite3
import stat

import pytest

from bot.querylog import QueryLog
from bot.storage import SCHEMA_VERSION, QueryRecord, Storage, StorageError, UserKeys, utcnow
from tests.support.storage import Failing


def record(ref: str, question: str = "где получить иин") -> QueryRecord:
    return QueryRecord(ref, utcnow(), "ru", "private", "k" * 32, question, "iin", 71.5, "answer")


async def test_opening_creates_the_folder_the_schema_and_wal(tmp_path):
    path = tmp_path / "missing" / "folder" / "bot.sqlite3"
    storage = await Storage.open(path)
    try:
        assert await storage.schema_version() == SCHEMA_VERSION
    finally:
        await storage.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_a_database_from_a_newer_version_is_refused_clearly(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StorageError, match="newer than this bot"):
        await Storage.open(path)


async def test_queries_and_feedback_are_stored(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        await storage.add_queries([record("a1"), record("a2", "как открыть счет")])
        assert await storage.set_feedback("a2", helpful=False) is True
        assert await storage.set_feedback("unknown", helpful=True) is False
        rows = {r["ref"]: r for r in await storage.queries()}
        assert rows["a1"]["question"] == "где получить иин" and rows["a1"]["feedback"] is None
        assert rows["a2"]["feedback"] == 0 and rows["a2"]["outcome"] == "answer"
    finally:
        await storage.close()


async def test_language_preference_is_remembered(tmp_path):
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    await storage.set_language("user-1", "kk")
    await storage.set_language("user-1", "en")
    await storage.close()
    storage = await Storage.open(path)
    try:
        assert await storage.language("user-1") == "en"
        assert await storage.language("user-2") is None
    finally:
        await storage.close()


async def test_query_log_writes_in_the_background_and_drains_on_close(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    log = QueryLog(storage)
    log.start()
    for i in range(300):
        log.add(record(f"r{i}"))
    log.feedback("r7", helpful=True)
    await log.close()
    rows = await storage.queries(limit=1000)
    await storage.close()
    assert len(rows) == 300
    assert next(r for r in rows if r["ref"] == "r7")["feedback"] == 1


async def test_stored_rows_keep_every_value_as_given(tmp_path):
    """The batch goes to SQLite as one JSON parameter: quotes, emoji, newlines, NULLs and numbers survive."""
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    odd = 'он сказал "привет" \\ 👋\nи ушёл; DROP TABLE query_log; --'
    try:
        await storage.add_queries(
            [
                QueryRecord("x1", utcnow(), "kk", "group", "k" * 32, odd, None, 0.0, "none"),
                QueryRecord("x2", utcnow(), "en", "private", "k" * 32, "", "iin", 99.25, "answer"),
            ]
        )
        rows = {r["ref"]: r for r in await storage.queries()}
    finally:
        await storage.close()
    assert rows["x1"]["question"] == odd and rows["x1"]["matched_id"] is None and rows["x1"]["score"] == 0.0
    assert rows["x2"]["question"] == "" and rows["x2"]["score"] == 99.25 and rows["x2"]["language"] == "en"


async def test_a_burst_is_written_in_a_few_transactions_when_the_writer_lingers(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    batches = []
    real_add = storage.add_queries

    async def counting(records):
        batches.append(len(records))
        await real_add(records)

    storage.add_queries = counting
    log = QueryLog(storage, linger=0.2)
    log.start()
    for i in range(200):  # questions arriving over about half a second
        log.add(record(f"b{i}"))
        await asyncio.sleep(0.0025)
    await log.close()
    total = len(await storage.queries(limit=1000))
    await storage.close()
    assert total == 200 and sum(batches) == 200
    assert len(batches) <= 5  # without lingering: about one transaction per question


class FlakyStorage:
    """Fails the first writes, as a locked or full database would."""

    def __init__(self, storage, failures):
        self.storage, self.failures = storage, failures

    async def add_queries(self, records):
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        await self.storage.add_queries(records)

    async def set_feedback(self, ref, helpful):
        return await self.storage.set_feedback(ref, helpful)


async def test_query_log_keeps_records_while_the_database_fails_and_writes_them_later(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    log = QueryLog(FlakyStorage(storage, failures=2), retry_seconds=0.01)
    log.start()
    log.add(record("kept-1"))
    await asyncio.sleep(0.05)
    log.add(record("kept-2"))
    await log.close()
    refs = {r["ref"] for r in await storage.queries()}
    await storage.close()
    assert refs == {"kept-1", "kept-2"}


def test_user_keys_are_keyed_hashes_and_the_generated_secret_is_owner_only(tmp_path):
    keys = UserKeys.from_config(None, tmp_path)
    secret_file = tmp_path / "user-key.secret"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    key = keys.key(123456789)
    assert "123456789" not in key and len(key) == 32
    assert UserKeys.from_config(None, tmp_path).key(123456789) == key  # stable across restarts
    assert UserKeys.from_config("another-secret-of-16+", tmp_path).key(123456789) != key


# --- issue 11: text no database or JSON layer may cut or choke on ---------------------------------

NUL_TEXTS = ["до\x00после", "\x00в начале", "в конце\x00", "a\x00b\x00\x00c"]


@pytest.mark.parametrize("text", NUL_TEXTS)
async def test_a_nul_character_anywhere_in_any_text_field_is_stored_whole(tmp_path, text):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        await storage.add_queries(
            [
                QueryRecord("n1", utcnow(), "ru", "private", "k" * 32, text, None, 0.0, "none"),
                QueryRecord("n2", utcnow(), "ru", "inline:" + text, "k" * 32, "обычный вопрос", "iin", 50.0, "answer"),
            ]
        )
        rows = {r["ref"]: r for r in await storage.queries()}
    finally:
        await storage.close()
    assert rows["n1"]["question"] == text and rows["n2"]["chat_type"] == "inline:" + text
    assert rows["n2"]["question"] == "обычный вопрос"


# Lone surrogates, as a Bot API server's JSON escape ("\ud800") reaches Python: high, low, reversed pair,
# at either end, next to a real emoji. None of them can be encoded in UTF-8.
SURROGATE_TEXTS = ["\ud800", "вопрос \udfff", "\udc00\ud83d конец", "😀\ud83d", "a\udbff\udfff"[:2] + "b"]


def replaced(text: str) -> str:
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


@pytest.mark.parametrize("text", SURROGATE_TEXTS)
async def test_a_lone_surrogate_is_stored_replaced_and_the_writer_goes_on(tmp_path, text):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    log = QueryLog(storage, retry_seconds=0.01)
    log.start()
    log.add(QueryRecord("s1", utcnow(), "ru", "inline:" + text, "k" * 32, text, None, 0.0, "none"))
    log.feedback("s1" + text, helpful=True)  # a callback's data is Telegram's text too
    await log.flush()
    log.add(record("after"))
    await log.close()
    rows = {r["ref"]: r for r in await storage.queries()}
    await storage.close()
    assert rows["s1"]["question"] == replaced(text) and rows["s1"]["chat_type"] == "inline:" + replaced(text)
    assert "after" in rows and log.pending == 0


async def test_a_lone_surrogate_in_rows_kept_at_exit_neither_raises_nor_loses_them(tmp_path):
    spill = tmp_path / "query-log.pending.jsonl"
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    log = QueryLog(Failing(storage), retry_seconds=0.02, spill_path=spill, close_timeout=0.2)
    log.start()
    for i, text in enumerate(SURROGATE_TEXTS):
        log.add(QueryRecord(f"x{i}", utcnow(), "ru", "private", "k" * 32, text, None, 0.0, "none"))
    await log.close()  # the database never recovered: everything goes to the spill file, nothing raises
    restarted = QueryLog(storage, spill_path=spill)
    restarted.start()
    await restarted.close()
    questions = {r["ref"]: r["question"] for r in await storage.queries()}
    await storage.close()
    assert questions == {f"x{i}": replaced(t) for i, t in enumerate(SURROGATE_TEXTS)}
