"""Fixtures shared by the tests; the helpers they import are in tests/support/."""

from __future__ import annotations

import pytest

from bot.core.knowledge import load_knowledge
from bot.core.matcher import Matcher
from tests.support import KNOWLEDGE_DIR
from tests.support.fake_bot_api import FakeBotAPI
from tests.support.knowledge_files import copy_knowledge
from tests.support.process import ThreadedAPI


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def matcher(knowledge):
    return Matcher(knowledge)


@pytest.fixture
def knowledge_copy(tmp_path):
    """A copy of the shipped knowledge folder that a test may edit."""
    return copy_knowledge(tmp_path)


@pytest.fixture
async def api():
    server = FakeBotAPI()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def api_thread():
    server = ThreadedAPI()
    yield server
    server.close()
