"""Reloading the knowledge while the bot runs, for `/reload` and the optional file watcher.

The new knowledge, word list and matcher are built off the event loop (the bot keeps answering) and
swapped in one step only when everything loads; otherwise nothing changes for users and the problems
come back as `file:line: message`. Collisions are checked after the swap: they make an answer worse,
not the bot unusable, so they are reported but do not block.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core.collisions import find_collisions
from bot.core.knowledge import Knowledge, Problem
from bot.core.matcher import Matcher
from bot.core.validation import Checked, check_folder

log = logging.getLogger(__name__)

WATCH_INTERVAL = 2.0  # seconds between looks at the files; an edit is live after two quiet looks


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    problems: tuple[Problem, ...]  # errors and warnings from loading
    entries: int = 0
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    collisions: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity != "error")


Signature = tuple[tuple[str, int, int], ...]


def files_signature(directory: Path) -> Signature:
    """(name, mtime, size) of every YAML file under the folder: any save, new file or deletion changes it."""
    found = []
    for path in Path(directory).rglob("*.yaml"):
        try:
            stat = path.stat()
        except OSError:  # deleted between listing and looking
            continue
        found.append((str(path.relative_to(directory)), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(found))


def _build(directory: Path, today) -> tuple[Checked, Matcher | None]:
    checked = check_folder(directory, today)
    return checked, Matcher(checked.knowledge) if checked.ok and checked.knowledge is not None else None


def _diff(old: Knowledge, new: Knowledge) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    added = tuple(sorted(set(new.entries) - set(old.entries)))
    removed = tuple(sorted(set(old.entries) - set(new.entries)))
    changed = tuple(sorted(i for i in set(old.entries) & set(new.entries) if old.entries[i] != new.entries[i]))
    return added, changed, removed


Swap = Callable[[Checked, Matcher], Knowledge]


class Reloader:
    """One per application; reloads never overlap. Each version of the files is built once: a failed build
    is reported once and not tried again until a file changes.

    `swap` puts the new knowledge, word list and matcher in place (with no await, so no update sees half
    of it) and returns the knowledge it replaced."""

    def __init__(self, directory: Path, today: Callable[[], dt.date], swap: Swap):
        self._directory = directory
        self._today = today
        self._swap = swap
        self._lock = asyncio.Lock()
        self._applied = files_signature(directory)  # what the running knowledge was read from
        self._seen = self._applied

    async def reload(self) -> ReloadResult:
        async with self._lock:
            directory = self._directory
            signature = files_signature(directory)
            # whatever happens below, this version of the files has been tried: a broken one is reported once
            # and tried again only once the files change (the watcher compares with this)
            self._applied = self._seen = signature
            try:  # in a thread: the event loop goes on answering; the loader's size limits bound the work
                checked, matcher = await asyncio.to_thread(_build, directory, self._today())
            except Exception as exc:
                log.error("knowledge not reloaded (the build failed); still serving the previous version", exc_info=exc)
                return ReloadResult(
                    False,
                    (
                        Problem(
                            directory.name, 1, f"the knowledge could not be built: {type(exc).__name__} {exc}".rstrip()
                        ),
                    ),
                )
            if matcher is None:
                log.warning(
                    "knowledge not reloaded; still serving the previous version:\n%s",
                    "\n".join(str(p) for p in checked.errors),
                )
                return ReloadResult(False, checked.problems)
            knowledge = checked.knowledge
            assert knowledge is not None  # a matcher is built only when the check passed
            old = self._swap(checked, matcher)
            added, changed, removed = _diff(old, knowledge)
            log.info(
                "knowledge reloaded: %d entries (added %s, changed %s, removed %s)",
                len(knowledge.entries),
                added,
                changed,
                removed,
            )
            try:
                collisions = await asyncio.to_thread(find_collisions, knowledge, matcher)
            except Exception as exc:
                log.error("the collision check after a reload failed", exc_info=exc)
                collisions = []
            return ReloadResult(
                True, checked.problems, len(knowledge.entries), added, changed, removed, tuple(collisions)
            )

    async def poll(self) -> ReloadResult | None:
        """For the watcher: reload once the files have changed and then stayed the same for one more look.

        Waiting for a quiet look means an editor's or git's half-written set of files is not read.
        """
        current = files_signature(self._directory)
        if current == self._applied or current != self._seen:
            self._seen = current
            return None
        return await self.reload()
