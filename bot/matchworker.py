"""Matching in a worker process, so that the bot's event loop only talks to Telegram.

Matching a question is pure CPU (about half a millisecond on the FAQ, a few on 10,000 entries).
In the bot process it holds the event loop, and with it every other update; on a machine with a
second core a worker process does it instead, in parallel. The worker gets the same `Knowledge`
object the bot loaded (pickled down a pipe), builds its own `Matcher`, and answers requests in order;
knowledge reloads go the same way, so a question asked after a reload is matched on the new knowledge.

Whenever the worker is not ready (starting, reloading, gone) the bot matches in its own process,
with the same matcher: answers never wait for the worker and never differ because of it.

Protocol on the worker's stdin/stdout: frames of a 4-byte big-endian length and a pickle.
  bot -> worker: ("knowledge", generation, Knowledge) | ("match", id, text, entry answered before or None)
  worker -> bot: ("ready", generation) | ("match", id, Match)
The worker exits when its stdin closes (the bot stops, or is killed).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import signal
import struct
import sys
from pathlib import Path

from bot.core.knowledge import Knowledge
from bot.core.matcher import MATCH_CACHE, Match, Matcher
from bot.memory import settle_memory

log = logging.getLogger(__name__)

HEADER = struct.Struct(">I")
START_TIMEOUT = (
    120.0  # seconds for the worker to build its matcher before the bot gives up on it (it matches itself meanwhile)
)
ANSWER_TIMEOUT = 5.0  # a match that takes longer means the worker is stuck: the bot matches itself from then on
WATCH_INTERVAL = 1.0  # seconds between looks for a stuck request


def worker_wanted(setting: str, cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> bool:
    """`auto`: a worker when this process may use more than one CPU (one CPU gains nothing from it):
    the CPUs it may run on, and a container's CPU quota (`docker run --cpus 1`) where there is one."""
    if setting != "auto":
        return setting == "on"
    try:
        cpus = float(len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        cpus = float(os.cpu_count() or 1)
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, int(quota) / int(period))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota to read
    return cpus >= 2


class WorkerGone(Exception):
    pass


class MatchWorker:
    """The bot's side: start, match, reload, stop. One per application, used from its event loop."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._waiting: dict[int, asyncio.Future] = {}
        self._ids = itertools.count()
        self._generation = 0
        self._ready_generation = -1
        self._ready = asyncio.Event()
        self._answers: dict[
            tuple[str, str | None], Match
        ] = {}  # the same text asked again is answered here, as Matcher.match does
        self._sent_at: dict[int, float] = {}  # request -> loop time sent, in order: the oldest first
        self._watchdog: asyncio.Task | None = None
        self._given_up = False  # stuck: killed, never used again
        self._stopping = False
        self._starting: asyncio.Task | None = None

    @property
    def ready(self) -> bool:
        return self._process is not None and not self._given_up and self._ready_generation == self._generation

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self, knowledge: Knowledge, timeout: float = START_TIMEOUT) -> bool:
        """Start the worker and wait until it has built its matcher; False (and matching in the bot) if it cannot."""
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.matchworker", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            )
        except OSError as exc:
            log.warning("could not start the matching worker (%s); matching in the bot process", exc)
            return False
        self._reader = asyncio.create_task(self._read(), name="match-worker-reader")
        self._watchdog = asyncio.create_task(self._watch(), name="match-worker-watchdog")
        self._send_knowledge(knowledge)
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            log.warning("the matching worker did not start within %.0f s; matching in the bot process", timeout)
            await self.stop()
            return False
        log.info("matching in a worker process (pid %s)", self._process.pid)
        return True

    def start_soon(self, knowledge: Knowledge) -> None:
        """Start the worker without waiting for it: the bot polls Telegram at once and matches questions itself
        until the worker has built its matcher (a few seconds: imports, word vectors, training)."""
        self._starting = asyncio.create_task(self.start(knowledge), name="match-worker-start")

    async def started(self) -> bool:
        """Whether the worker is ready once its background start has ended (a bench measures the steady state)."""
        if self._starting is not None:
            await asyncio.wait({self._starting})
        return self.ready

    def reload(self, knowledge: Knowledge) -> None:
        """Send new knowledge; until the worker has built it, the bot matches itself (on the new knowledge)."""
        if self._process is None:
            return
        self._answers.clear()
        with contextlib.suppress(WorkerGone):  # gone already: the bot matches itself
            self._send_knowledge(knowledge)

    async def match(self, text: str, follows: str | None = None) -> Match:
        """The worker's match of `text` (after the answer `follows`); WorkerGone when it is not ready or fails
        (the caller matches itself)."""
        if not self.ready:
            raise WorkerGone
        found = self._answers.get((text, follows))
        if found is not None:
            return found
        request, generation = next(self._ids), self._generation
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting[request] = future
        self._sent_at[request] = loop.time()
        try:
            self._send(("match", request, text, follows))
            found = await future
        finally:
            self._waiting.pop(request, None)
            self._sent_at.pop(request, None)
        if generation == self._generation:  # not an answer on knowledge replaced meanwhile
            if len(self._answers) >= MATCH_CACHE:
                self._answers.clear()
            self._answers[(text, follows)] = found
        return found

    async def stop(self) -> None:
        """Close the worker's input (it exits), then wait for it a little."""
        process, self._stopping = self._process, True
        if self._starting is not None and not self._starting.done() and self._starting is not asyncio.current_task():
            self._starting.cancel()  # stopped while still starting: nothing waits for it to be ready any more
        if process is None:
            return
        if not self.ready and process.returncode is None:
            process.kill()  # still building its matcher (it reads its input only then): nothing in flight to finish
        elif process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 3.0)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            await self._reader
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._process = None
        self._fail_waiting()

    # --- inside ---------------------------------------------------------------------------------

    def _send_knowledge(self, knowledge: Knowledge) -> None:
        self._generation += 1
        self._send(("knowledge", self._generation, knowledge))

    def _send(self, message: tuple) -> None:
        if self._process is None or self._process.stdin is None or self._process.stdin.is_closing():
            raise WorkerGone
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._process.stdin.write(HEADER.pack(len(data)) + data)

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None  # started just before, stdout=PIPE
        stdout, buffer = self._process.stdout, b""
        try:
            while chunk := await stdout.read(1 << 16):  # whatever has arrived: often several answers at once
                buffer += chunk
                while len(buffer) >= HEADER.size and len(buffer) >= (
                    end := HEADER.size + HEADER.unpack_from(buffer)[0]
                ):
                    self._receive(pickle.loads(buffer[HEADER.size : end]))
                    buffer = buffer[end:]
        except ConnectionError:
            pass
        finally:
            if not self._stopping and not self._given_up:
                log.warning("the matching worker exited; matching in the bot process from now on")
            self._ready_generation = -1
            self._fail_waiting()

    def _receive(self, message: tuple) -> None:
        if message[0] == "match":
            future = self._waiting.get(message[1])
            if future is not None and not future.done():
                future.set_result(message[2])
        elif message[0] == "ready":
            self._ready_generation = message[1]
            self._ready.set()

    async def _watch(self) -> None:
        """A request unanswered for ANSWER_TIMEOUT means a stuck worker: stop using it (its callers match here)."""
        loop = asyncio.get_running_loop()
        while not self._stopping and not self._given_up:
            await asyncio.sleep(WATCH_INTERVAL)
            oldest = next(iter(self._sent_at.values()), None)
            if oldest is not None and loop.time() - oldest > ANSWER_TIMEOUT:
                log.warning(
                    "the matching worker did not answer within %.0f s; matching in the bot process from now on",
                    ANSWER_TIMEOUT,
                )
                self._abandon()

    def _fail_waiting(self) -> None:
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(WorkerGone())

    def _abandon(self) -> None:
        self._given_up = True
        if self._process is not None and self._process.returncode is None:
            self._process.kill()  # stop() still reaps it
        self._fail_waiting()


# --- the worker process ---------------------------------------------------------------------------


def _serve(source, sink) -> None:
    matcher: Matcher | None = None
    while True:
        header = source.read(HEADER.size)
        if len(header) < HEADER.size:
            return  # the bot closed our input: stop
        (size,) = HEADER.unpack(header)
        message = pickle.loads(source.read(size))
        if message[0] == "knowledge":
            matcher = Matcher(message[2])
            settle_memory()
            reply: tuple = ("ready", message[1])
        else:
            assert matcher is not None  # the bot sends the knowledge before any question
            reply = ("match", message[1], matcher.match(message[2], message[3]))
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        sink.write(HEADER.pack(len(data)) + data)
        sink.flush()


def main() -> None:
    # Ctrl-C reaches the whole process group: the bot finishes what is in flight and then closes our input
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(BrokenPipeError):
        _serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
