"""Liveness for containers: a heartbeat file the job queue rewrites, and the check that reads it.

The job runs on the bot's event loop, so a fresh heartbeat means the loop is turning and jobs run;
a hung or crashed bot leaves it to age. `python -m bot health` (the Dockerfile's HEALTHCHECK) exits
0 while the file is younger than `max_age` seconds, 1 otherwise, with one line saying why.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the health check itself must start fast: no telegram import
    from telegram.ext import Application, ContextTypes

log = logging.getLogger(__name__)
INTERVAL = 15.0  # seconds between heartbeats
MAX_AGE = 60.0  # a heartbeat older than this means the bot is not well
JOB_NAME = "heartbeat"


def write(path: Path, **status) -> None:
    """Replace the file atomically (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"time": time.time(), "pid": os.getpid(), **status}))
    os.replace(temporary, path)


def start(application: Application, path: Path | None, status=lambda: {}) -> None:
    """Write a first heartbeat now and then one every INTERVAL seconds from the job queue."""
    if path is None:
        return

    async def beat(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            write(path, **status())
        except OSError as exc:
            log.warning("cannot write the heartbeat file %s: %s", path, exc)

    write(path, **status())
    if application.job_queue is not None:  # None only without PTB's [job-queue] extra, which the bot requires
        application.job_queue.run_repeating(beat, interval=INTERVAL, first=INTERVAL, name=JOB_NAME)


def stop(path: Path | None) -> None:
    """A bot that stopped cleanly leaves no heartbeat behind."""
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()


def check(path: Path | None, max_age: float = MAX_AGE, now: float | None = None) -> tuple[bool, str]:
    """(healthy, one line) from the heartbeat file."""
    if path is None:
        return False, "BOT_HEARTBEAT_FILE is not set: there is no heartbeat to check"
    try:
        data = json.loads(path.read_text())
        written = float(data["time"])
    except FileNotFoundError:
        return False, f"no heartbeat in {path}: the bot is not running (or has not started yet)"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return False, f"unreadable heartbeat in {path}: {exc}"
    age = (time.time() if now is None else now) - written
    if age > max_age:
        return False, f"the last heartbeat is {age:.0f} s old (limit {max_age:.0f} s): the bot is stuck or stopped"
    extra = ", ".join(f"{k} {v}" for k, v in data.items() if k not in ("time", "pid"))
    return True, f"ok: heartbeat {age:.0f} s ago" + (f" ({extra})" if extra else "")


def main() -> int:
    """`python -m bot.health`: the check alone, without loading the rest of the bot (the container runs it often)."""
    raw = os.environ.get("BOT_HEARTBEAT_FILE", "").strip()
    try:
        max_age = float(os.environ.get("BOT_HEALTH_MAX_AGE", "") or MAX_AGE)
    except ValueError:
        max_age = MAX_AGE
    healthy, message = check(Path(raw) if raw else None, max_age)
    print(message, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
