"""What the tests import: the fake Bot API, the bot run in-process or as its own process, updates built as
Telegram sends them, seeded data and edits of a knowledge copy. conftest.py holds the fixtures only."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_DIR = ROOT / "knowledge"
