"""A seeded query log for the statistics, suggestions, export and retention tests.

Times are Almaty days and hours relative to "now", so the same log works with an injected clock
(the bot's tests) and with the real one (the command-line tests, which run as separate processes).
"""

from __future__ import annotations

import datetime as dt
import secrets
import struct
import zlib
from pathlib import Path

from bot.core.moderation.night import ALMATY
from bot.storage import QueryRecord, Storage, UserKeys

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)  # 17:00 in Almaty
KEYS = UserKeys(b"test-secret-for-the-seeded-log")
OFF = "(off-topic)"

# (days ago, Almaty hour, user, language, question, outcome, matched id, feedback)
LAST_7_DAYS = [
    (1, 10, 1, "ru", "где получить иин", "answer", "iin", 1),
    (2, 10, 2, "ru", "где получить иин", "answer", "iin", 1),
    (3, 10, 3, "ru", "где получить иин", "answer", "iin", 0),
    (4, 10, 1, "ru", "где получить иин", "answer", "iin", None),
    (1, 21, 4, "en", "how to open a bank account", "answer", "bank-account", None),
    (2, 21, 2, "ru", "документы", "clarify", "iin", None),
    (1, 14, 5, "ru", "как отправить посылку в россию", "none", OFF, None),
    (2, 14, 10, "ru", "как отправить посылку в россию", "none", OFF, None),
    (3, 14, 6, "ru", "как отправить посылки в россию", "none", OFF, None),
    (4, 14, 7, "ru", "kak otpravit posylku v rossiyu", "none", None, None),
    (3, 12, 2, "ru", "", "browse", "housing", 0),
    (5, 9, 3, "ru", "привет", "smalltalk", None, None),
]
DAYS_8_TO_30 = [
    (10, 19, 8, "ru", "как перевезти собаку", "none", OFF, None),
    (12, 19, 9, "ru", "как перевезти собаку", "none", OFF, None),
    (15, 11, 8, "ru", "сколько стоит аренда квартиры", "answer", "housing", 0),
    (16, 11, 11, "ru", "сколько стоит аренда квартиры", "answer", "housing", None),
    (20, 9, 12, "kk", "ЖСН қалай алуға болады", "answer", "iin", 1),
]
OLDER = [
    (40, 10, 1, "ru", "где получить иин", "answer", "iin", None),
    (100, 10, 13, "ru", "очень старый вопрос", "none", None, None),
]
SEED = LAST_7_DAYS + DAYS_8_TO_30 + OLDER


def at(now: dt.datetime, days_ago: int, hour: int) -> dt.datetime:
    day = now.astimezone(ALMATY).date() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, 7), ALMATY).astimezone(dt.UTC)


async def seed(storage: Storage, now: dt.datetime = NOW, rows=SEED) -> None:
    records, feedback = [], []
    for days_ago, hour, user, language, question, outcome, matched, helpful in rows:
        ref = secrets.token_hex(8)
        records.append(
            QueryRecord(
                ref, at(now, days_ago, hour), language, "private", KEYS.key(user), question, matched, 42.0, outcome
            )
        )
        if helpful is not None:
            feedback.append((ref, bool(helpful)))
    await storage.add_queries(records)
    for ref, helpful in feedback:
        await storage.set_feedback(ref, helpful)


async def seeded_database(path: Path, now: dt.datetime) -> Path:
    storage = await Storage.open(path)
    try:
        await seed(storage, now)
    finally:
        await storage.close()
    return path


def decode_png(data: bytes) -> tuple[int, int, list[list[tuple[int, int, int]]]]:
    """Width, height and RGB rows of an 8-bit RGB PNG written with filter 0 (what the bot writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + width * 3
    pixels = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0
        pixels.append([tuple(line[1 + x * 3 : 4 + x * 3]) for x in range(width)])
    return width, height, pixels
