"""What the command-line modules share: exit codes, the one-line failure and the knowledge folder."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.config import DEFAULT_KNOWLEDGE_DIR

EXIT_ERROR = 1
EXIT_CONFIG = 2


def fail(message: str, code: int = EXIT_CONFIG) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def knowledge_dir(args: argparse.Namespace) -> Path:
    return Path(args.knowledge or os.environ.get("BOT_KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)
