"""How the bot talks to Telegram: Telegram's rate limits, flood waits, retries and update concurrency.

* `BotRateLimiter`: PTB's `AIORateLimiter` (about 30 messages/s overall, 20/min per group) plus about
  one message per second per private chat; flood waits (429 with retry_after) obeyed, every request
  paused meanwhile; and retries with exponential backoff of what failed on the way (connection
  errors, timeouts, 5xx answers). A retried send whose first attempt did reach Telegram shows twice; that is rarer and
  better than an answer lost. Telegram's refusals (400, 403) are never retried.
* `JsonRequest`: PTB's HTTPX request sending JSON bodies, which the Bot API accepts; PTB's default
  form encoding escapes every byte of a Cyrillic answer in pure Python, several times slower.
* `ChatOrderedProcessor`: updates of different chats are handled concurrently (a slow reply to one
  user never holds up the others), those of one chat strictly in order.
* `BoundedUpdateQueue`: at most a few dozen updates taken from Telegram and not yet handled, so that a
  burst waits at Telegram rather than in memory (where a restart or a kill would lose it).
* `configure(builder, config)`: all of the above on an `ApplicationBuilder`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib.util
import json
import logging
import random
import sys
from typing import Any, Awaitable, Callable, Coroutine

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseUpdateProcessor
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30  # Telegram: about 30 messages per second to different chats
GROUP_PER_MINUTE = 20  # ... 20 per minute in one group
CHAT_PER_SECOND = 1  # ... about 1 per second in one private chat
FLOOD_RETRIES = 3  # flood waits obeyed for one request before giving up
MAX_FLOOD_WAIT = 60.0  # longer flood waits are reported to the caller instead
FLOOD_WAIT_ENDPOINTS = frozenset({  # what the bot says (waited for); other methods report a flood wait to the caller
    "sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "answerInlineQuery",
    "setMyCommands", "sendChatAction",
})
NETWORK_RETRIES = 5  # transient failures retried: 0.5 + 1 + 2 + 4 + 8 s at most, with jitter
NO_RETRY_ENDPOINTS = frozenset({"getUpdates"})  # the updater has its own retry loop for long polling


def avoid_failed_import_cost() -> None:
    """httpcore imports `sniffio` on every lock it sets up, and a failed import is not cached: with
    sniffio absent (anyio 4 no longer needs it) that costs a search of sys.path per request. A None in
    sys.modules makes the failure immediate; httpcore then assumes asyncio, as it would anyway."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


class JsonRequest(HTTPXRequest):
    """Sends the parameters as a JSON body (files still go as multipart, through PTB's own code).

    With `update_queue` set (the request PTB uses for getUpdates only), a long poll waits until the
    queue has room, see BoundedUpdateQueue; the last, confirming call at shutdown (timeout 0) never waits.
    """

    update_queue: "BoundedUpdateQueue | None" = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=HTTPXRequest.DEFAULT_NONE, write_timeout=HTTPXRequest.DEFAULT_NONE,
                         connect_timeout=HTTPXRequest.DEFAULT_NONE, pool_timeout=HTTPXRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self.update_queue is not None and request_data is not None:
            await hold_while_full(self.update_queue, request_data.parameters)
        if request_data is None or request_data.contains_files:
            return await super().do_request(url, method, request_data, read_timeout, write_timeout,
                                            connect_timeout, pool_timeout)
        import httpx

        if self._client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        defaults = self._client.timeout
        timeout = httpx.Timeout(
            connect=defaults.connect if isinstance(connect_timeout, type(self.DEFAULT_NONE)) else connect_timeout,
            read=defaults.read if isinstance(read_timeout, type(self.DEFAULT_NONE)) else read_timeout,
            write=defaults.write if isinstance(write_timeout, type(self.DEFAULT_NONE)) else write_timeout,
            pool=defaults.pool if isinstance(pool_timeout, type(self.DEFAULT_NONE)) else pool_timeout,
        )
        body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        try:
            response = await self._client.request(
                method=method, url=url, content=body, timeout=timeout,
                headers={"User-Agent": self.USER_AGENT, "Content-Type": "application/json"},
            )
        except httpx.TimeoutException as exc:
            raise TimedOut from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"httpx.{exc.__class__.__name__}: {exc}") from exc
        return response.status_code, response.content


def transient(exc: BaseException) -> bool:
    """A failure on the way to Telegram, worth another try: connection errors, timeouts, 5xx answers."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


class BotRateLimiter(AIORateLimiter):
    """AIORateLimiter's limits plus a per-private-chat limit, flood waits and retries with backoff.

    Rates of 0 switch the corresponding limit off (tests and the benchmark do, against a fake
    server); flood waits and retries stay on. A flood wait (429 with retry_after) on a message the bot
    sends (FLOOD_WAIT_ENDPOINTS) pauses every request, as AIORateLimiter does, and then sends it; on
    other methods (bans, restrictions) and beyond `max_flood_wait` it reaches the caller as
    `RetryAfter`, so that whoever asked can be told to wait. Built on AIORateLimiter's `_run_request`
    and `_retry_after_event` (python-telegram-bot is pinned to 22.8).
    """

    def __init__(self, overall_per_second: float = OVERALL_PER_SECOND, group_per_minute: float = GROUP_PER_MINUTE,
                 chat_per_second: float = CHAT_PER_SECOND, flood_retries: int = FLOOD_RETRIES,
                 max_flood_wait: float = MAX_FLOOD_WAIT, network_retries: int = NETWORK_RETRIES,
                 backoff: float = 0.5, max_backoff: float = 8.0):
        super().__init__(overall_max_rate=overall_per_second, overall_time_period=1 if overall_per_second else 0,
                         group_max_rate=group_per_minute, group_time_period=60 if group_per_minute else 0)
        self.chat_per_second = chat_per_second
        self.flood_retries = flood_retries
        self.max_flood_wait = max_flood_wait
        self.network_retries = network_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.retried = 0  # transient failures retried so far
        self.flood_waits = 0  # flood waits obeyed so far
        self._chat_limiters: dict[int, AsyncLimiter] = {}
        self._stopping = asyncio.Event()  # set while the bot stops: no more retries or waits, so that it stops quickly

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @stopping.setter
    def stopping(self, value: bool) -> None:
        if value:
            self._stopping.set()
        else:
            self._stopping.clear()

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless the bot starts stopping meanwhile."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        if len(self._chat_limiters) > 4096:  # forget idle chats (their bucket is full again)
            for key, limiter in list(self._chat_limiters.items()):
                if key != chat_id and limiter.has_capacity(limiter.max_rate):
                    del self._chat_limiters[key]
        limiter = self._chat_limiters.get(chat_id)
        if limiter is None:
            # one message at a time, then one per 1/rate seconds (no burst)
            limiter = self._chat_limiters[chat_id] = AsyncLimiter(max_rate=1, time_period=1 / self.chat_per_second)
        return limiter

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any], rate_limit_args: int | None) -> Any:
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id) if chat_id is not None else None
        group = chat_id if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str) else False
        private = self.chat_per_second and isinstance(chat_id, int) and chat_id > 0
        floods = failures = 0
        while True:
            try:
                async with (self._chat_limiter(chat_id) if private else contextlib.nullcontext()):
                    return await self._run_request(chat=chat_id is not None, group=group,
                                                   allow_paid_broadcast=bool(data.get("allow_paid_broadcast", False)),
                                                   callback=callback, args=args, kwargs=kwargs)
            except RetryAfter as exc:
                wait = _seconds(exc)
                if (endpoint not in FLOOD_WAIT_ENDPOINTS or wait > self.max_flood_wait or floods >= self.flood_retries
                        or self.stopping):
                    raise
                floods += 1
                self.flood_waits += 1
                log.warning("%s: Telegram asks to wait %.0f s (flood control); every request waits", endpoint, wait)
                self._retry_after_event.clear()
                try:
                    await self._pause(wait + 0.1)
                finally:
                    self._retry_after_event.set()
            except NetworkError as exc:
                if (not transient(exc) or endpoint in NO_RETRY_ENDPOINTS or failures >= self.network_retries
                        or self.stopping):
                    raise
                delay = min(self.max_backoff, self.backoff * 2 ** failures) * random.uniform(0.8, 1.2)
                failures += 1
                self.retried += 1
                log.warning("%s failed (%s: %s); retry %d of %d in %.1f s", endpoint, type(exc).__name__, exc,
                            failures, self.network_retries, delay)
                await self._pause(delay)
                if self.stopping:
                    raise


def _seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds without PTB 22's deprecation warning about its type."""
    value = getattr(exc, "_retry_after", None)
    if value is None:
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class BoundedUpdateQueue(asyncio.Queue):
    """The Application's update queue, counting the updates taken and not yet handled (`in_flight`).

    PTB hands each update to a task at once, so a plain queue never fills, and under a burst the
    updater would keep fetching from Telegram, each fetch confirming the previous batch there however
    much of it still waits in memory. The getUpdates request (JsonRequest) therefore holds a long poll
    back until fewer than `limit` updates are in flight: the rest of a burst stays with Telegram, a kill
    loses at most about `limit` updates, and SIGTERM finishes quickly. Whole batches still go in at
    once, so PTB confirms exactly what it took (nothing is handled twice after a restart).
    """

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.in_flight = 0
        self._room = asyncio.Event()
        self._room.set()

    def put_nowait(self, item: Any) -> None:  # put() comes here too
        super().put_nowait(item)
        self.in_flight += 1
        if self.in_flight >= self.limit:
            self._room.clear()

    def task_done(self) -> None:
        super().task_done()
        self.in_flight -= 1
        if self.in_flight < self.limit:
            self._room.set()

    async def room(self) -> None:
        """Returns once fewer than `limit` updates are in flight."""
        while self.in_flight >= self.limit:
            self._room.clear()
            await self._room.wait()


async def hold_while_full(queue: "BoundedUpdateQueue", parameters: dict) -> None:
    """A long poll (timeout > 0) fetches, and so confirms the last batch at Telegram, only with room for more."""
    if parameters.get("timeout"):
        await queue.room()


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Up to `max_concurrent_updates` updates at once, but one chat's (or, without a chat, one user's) in order."""

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    @staticmethod
    def key(update: object) -> int | None:
        chat = getattr(update, "effective_chat", None)
        if chat is not None:
            return chat.id
        user = getattr(update, "effective_user", None)
        return user.id if user is not None else None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self.key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class BotApplication(Application):
    """The Application, telling the rate limiter when it stops: a Bot API that is down then must not
    keep a stopping bot busy retrying (docker stop gives it 10 seconds)."""

    def _limiter(self) -> BotRateLimiter | None:
        limiter = self.bot.rate_limiter
        return limiter if isinstance(limiter, BotRateLimiter) else None

    async def start(self) -> None:
        if (limiter := self._limiter()) is not None:
            limiter.stopping = False
        await super().start()

    async def stop(self) -> None:
        if (limiter := self._limiter()) is not None:
            limiter.stopping = True
        await super().stop()


def configure(builder: ApplicationBuilder, *, rate_limit: bool = True, concurrency: int = 8,
              timeout: float = 10.0) -> ApplicationBuilder:
    """Requests (JSON bodies, timeouts), the rate limiter and the update processor for the bot."""
    avoid_failed_import_cost()
    # httpcore checks every pooled connection for each request: a pool no larger than needed is cheaper
    request = JsonRequest(connection_pool_size=concurrency + 4, read_timeout=timeout, write_timeout=timeout,
                          connect_timeout=timeout, pool_timeout=timeout)
    updates = JsonRequest(connection_pool_size=1, read_timeout=timeout, write_timeout=timeout,
                          connect_timeout=timeout, pool_timeout=timeout)
    limiter = BotRateLimiter() if rate_limit else BotRateLimiter(0, 0, 0)
    updates.update_queue = BoundedUpdateQueue(limit=max(16, concurrency * 4))
    return (builder.application_class(BotApplication).request(request).get_updates_request(updates).rate_limiter(limiter)
            .update_queue(updates.update_queue)
            .concurrent_updates(ChatOrderedProcessor(concurrency) if concurrency > 1 else False))
