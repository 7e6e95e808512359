"""/reload from the moderator, and what the bot said to a chat, for the reload and match-worker tests."""

from __future__ import annotations

import asyncio
import time

from tests.support.app import Chat, send, started
from tests.support.fake_bot_api import parse_html

MODERATOR = 9001


def replies_to(api, chat_id: int) -> list[str]:
    return [parse_html(str(c["text"]))[1] for c in api.calls_to("sendMessage") if int(c["chat_id"]) == chat_id]


async def reload(app, api, language: str = "en") -> str:
    """/reload from the moderator; its report comes from a task beside the update loop, so wait for it."""
    before = len(replies_to(api, MODERATOR))
    async with started(app):
        await send(app, api, Chat(user_id=MODERATOR, language_code=language).message("/reload"))
        await wait_until(lambda: _said_to_moderator_more_than(api, before))
    return replies_to(api, MODERATOR)[-1]


async def _said_to_moderator_more_than(api, count: int) -> bool:
    return len(replies_to(api, MODERATOR)) > count


async def wait_until(
    condition, timeout: float = 60.0
) -> None:  # a reload retrains the classifier: seconds on a busy machine
    """Until the coroutine `condition()` returns true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)
