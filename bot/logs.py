"""Logging that never shows a bot token: httpx request lines are silenced and every record is redacted."""

from __future__ import annotations

import logging
import re

_TOKEN_PATTERN = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,}")


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: tuple[str, ...] = ()):
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return _TOKEN_PATTERN.sub("[REDACTED]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup_logging(secrets: tuple[str, ...] = (), level: int | str = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs request URLs, which hold the token; aiosqlite at DEBUG logs every SQL call with its
    # parameters (users' questions and keys). Neither belongs in a log, whatever BOT_LOG_LEVEL says.
    for noisy in ("httpx", "httpcore", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # apscheduler logs two INFO lines for every run of every job (the heartbeat: every 15 s, 10 lines a
    # minute in `docker logs`): keep its warnings and errors, its chatter only at DEBUG.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING)
