"""How the bot talks to Telegram: Telegram's rate limits, flood waits, retries and update concurrency.

Built on python-telegram-bot's public interfaces only (`BaseRateLimiter`, `BaseRequest`,
`BaseUpdateProcessor`), so that any PTB 22 release works.

* `BotRateLimiter`: about 30 messages/s overall, 20/min per group and about one message per second
  per private chat (aiolimiter, as PTB's `AIORateLimiter`); flood waits (429 with retry_after)
  obeyed, every request paused meanwhile; and retries with exponential backoff of what failed on the
  way (connection errors, timeouts, 5xx answers). A retried send whose first attempt did reach
  Telegram shows twice; that is rarer and better than an answer lost. Telegram's refusals (400, 403)
  are never retried.
* `JsonRequest`: requests over httpx sending JSON bodies, which the Bot API accepts; PTB's
  `HTTPXRequest` form-encodes them, escaping every byte of a Cyrillic answer in pure Python, several
  times slower.
* `ChatOrderedProcessor`: updates of different chats are handled concurrently (a slow reply to one
  user never holds up the others), those of one chat strictly in order.
* `BoundedUpdateQueue`: at most a few dozen updates taken from Telegram and not yet handled, so that a
  burst waits at Telegram rather than in memory (where a restart or a kill would lose it).
* `configure(builder, config)`: all of the above on an `ApplicationBuilder`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter, BaseUpdateProcessor
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30  # Telegram: about 30 messages per second to different chats
GROUP_PER_MINUTE = 20  # ... 20 per minute in one group
CHAT_PER_SECOND = 1  # ... about 1 per second in one private chat
FLOOD_RETRIES = 3  # flood waits obeyed for one request before giving up
MAX_FLOOD_WAIT = 60.0  # longer flood waits are reported to the caller instead
FLOOD_WAIT_ENDPOINTS = frozenset(
    {  # what the bot says (waited for); other methods report a flood wait to the caller
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "answerInlineQuery",
        "setMyCommands",
        "sendChatAction",
    }
)
NETWORK_RETRIES = 5  # transient failures retried: 0.5 + 1 + 2 + 4 + 8 s at most, with jitter
NO_RETRY_ENDPOINTS = frozenset({"getUpdates"})  # the updater has its own retry loop for long polling
UPLOAD_WRITE_TIMEOUT = 20.0  # seconds to send a file, as PTB's HTTPXRequest allows


class JsonRequest(BaseRequest):
    """Sends the parameters as a JSON body (files as multipart, from PTB's own encoding of them).

    With `update_queue` set (the request PTB uses for getUpdates only), a long poll waits until the
    queue has room, see BoundedUpdateQueue; the last, confirming call at shutdown (timeout 0) never waits.
    """

    def __init__(self, connection_pool_size: int, timeout: float):
        self.update_queue: BoundedUpdateQueue | None = None
        # httpcore checks every pooled connection for each request: a pool no larger than needed is cheaper
        self._timeout = httpx.Timeout(timeout)
        self._limits = httpx.Limits(max_connections=connection_pool_size)
        self._client = httpx.AsyncClient(timeout=self._timeout, limits=self._limits)

    @property
    def read_timeout(self) -> float | None:
        return self._client.timeout.read

    async def initialize(self) -> None:
        if self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self._timeout, limits=self._limits)

    async def shutdown(self) -> None:
        if not self._client.is_closed:
            await self._client.aclose()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self.update_queue is not None and request_data is not None:
            await hold_while_full(self.update_queue, request_data.parameters)
        if self._client.is_closed:
            raise RuntimeError("This JsonRequest is not initialized!")
        headers = {"User-Agent": self.USER_AGENT}
        body: dict[str, Any] = {}
        upload = request_data is not None and request_data.contains_files
        if request_data is not None and upload:
            body = {"files": request_data.multipart_data, "data": request_data.json_parameters}
        elif request_data is not None:
            body = {"content": json.dumps(request_data.parameters, ensure_ascii=False).encode()}
            headers["Content-Type"] = "application/json"
        defaults = self._client.timeout
        timeout = httpx.Timeout(
            connect=defaults.connect if connect_timeout is self.DEFAULT_NONE else connect_timeout,
            read=defaults.read if read_timeout is self.DEFAULT_NONE else read_timeout,
            write=(UPLOAD_WRITE_TIMEOUT if upload else defaults.write)
            if write_timeout is self.DEFAULT_NONE
            else write_timeout,
            pool=defaults.pool if pool_timeout is self.DEFAULT_NONE else pool_timeout,
        )
        try:
            response = await self._client.request(method=method, url=url, headers=headers, timeout=timeout, **body)
        except httpx.TimeoutException as exc:
            raise TimedOut from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"httpx.{exc.__class__.__name__}: {exc}") from exc
        return response.status_code, response.content


def transient(exc: BaseException) -> bool:
    """A failure on the way to Telegram, worth another try: connection errors, timeouts, 5xx answers."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds, whether PTB gives it as seconds or (PTB_TIMEDELTA) as a timedelta,
    without PTB 22's deprecation warning about the seconds."""
    with warnings.catch_warnings(action="ignore", category=PTBDeprecationWarning):
        value = exc.retry_after
    return float(value) if isinstance(value, (int, float)) else value.total_seconds()


def _limiter(limiters: dict, key: Any, max_rate: float, time_period: float, keep: int) -> AsyncLimiter:
    """The limiter of `key`; beyond `keep` of them, idle ones (their bucket full again) are forgotten."""
    if len(limiters) > keep:
        for other, limiter in list(limiters.items()):
            if other != key and limiter.has_capacity(limiter.max_rate):
                del limiters[other]
    limiter = limiters.get(key)
    if limiter is None:
        limiter = limiters[key] = AsyncLimiter(max_rate=max_rate, time_period=time_period)
    return limiter


class BotRateLimiter(BaseRateLimiter[int]):
    """Telegram's limits (overall, per group, per private chat), flood waits and retries with backoff.

    The overall and group limits and paid broadcasts are as PTB's `AIORateLimiter` applies them; rates
    of 0 switch the corresponding limit off (tests and the benchmark do, against a fake server);
    flood waits and retries stay on. A flood wait (429 with retry_after) on a message the bot sends
    (FLOOD_WAIT_ENDPOINTS) pauses every request, as AIORateLimiter does, and then sends it; on other
    methods (bans, restrictions) and beyond `max_flood_wait` it reaches the caller as `RetryAfter`,
    so that whoever asked can be told to wait.
    """

    def __init__(
        self,
        overall_per_second: float = OVERALL_PER_SECOND,
        group_per_minute: float = GROUP_PER_MINUTE,
        chat_per_second: float = CHAT_PER_SECOND,
        flood_retries: int = FLOOD_RETRIES,
        max_flood_wait: float = MAX_FLOOD_WAIT,
        network_retries: int = NETWORK_RETRIES,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
    ):
        self.overall = AsyncLimiter(max_rate=overall_per_second, time_period=1) if overall_per_second else None
        self.paid_broadcast = AsyncLimiter(max_rate=FloodLimit.PAID_MESSAGES_PER_SECOND, time_period=1)
        self.group_per_minute = group_per_minute
        self.chat_per_second = chat_per_second
        self.flood_retries = flood_retries
        self.max_flood_wait = max_flood_wait
        self.network_retries = network_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.retried = 0  # transient failures retried so far
        self.flood_waits = 0  # flood waits obeyed so far
        self._group_limiters: dict[int | str, AsyncLimiter] = {}
        self._chat_limiters: dict[int, AsyncLimiter] = {}
        self._flood_until = 0.0  # loop time before which no request goes out (a flood wait)
        self._stopping = asyncio.Event()  # set while the bot stops: no more retries or waits, so that it stops quickly

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

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

    async def _flood_wait(self) -> None:
        """Until the latest flood wait is over (or the bot stops)."""
        loop = asyncio.get_running_loop()
        while (left := self._flood_until - loop.time()) > 0 and not self.stopping:
            await self._pause(left)

    def _limits(self, chat_id: int | str | None, paid_broadcast: bool) -> list[Any]:
        """The limiters a request to `chat_id` goes through, outermost first."""
        limits: list[Any] = []
        if self.chat_per_second and isinstance(chat_id, int) and chat_id > 0:
            # one message at a time, then one per 1/rate seconds (no burst)
            limits.append(_limiter(self._chat_limiters, chat_id, 1, 1 / self.chat_per_second, keep=4096))
        if paid_broadcast:
            limits.append(self.paid_broadcast)
            return limits
        # a string chat_id is a @username: only supergroups and channels have one
        if self.group_per_minute and ((isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str)):
            limits.append(_limiter(self._group_limiters, chat_id, self.group_per_minute, 60, keep=512))
        if self.overall is not None and chat_id is not None:
            limits.append(self.overall)
        return limits

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id) if chat_id is not None else None
        paid_broadcast = bool(data.get("allow_paid_broadcast", False))
        floods = failures = 0
        while True:
            try:
                async with contextlib.AsyncExitStack() as limits:
                    for limiter in self._limits(chat_id, paid_broadcast):
                        await limits.enter_async_context(limiter)
                    await self._flood_wait()
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if (
                    endpoint not in FLOOD_WAIT_ENDPOINTS
                    or wait > self.max_flood_wait
                    or floods >= self.flood_retries
                    or self.stopping
                ):
                    raise
                floods += 1
                self.flood_waits += 1
                log.warning("%s: Telegram asks to wait %.0f s (flood control); every request waits", endpoint, wait)
                self._flood_until = max(self._flood_until, asyncio.get_running_loop().time() + wait + 0.1)
            except NetworkError as exc:
                if (
                    not transient(exc)
                    or endpoint in NO_RETRY_ENDPOINTS
                    or failures >= self.network_retries
                    or self.stopping
                ):
                    raise
                delay = min(self.max_backoff, self.backoff * 2**failures) * random.uniform(0.8, 1.2)
                failures += 1
                self.retried += 1
                log.warning(
                    "%s failed (%s: %s); retry %d of %d in %.1f s",
                    endpoint,
                    type(exc).__name__,
                    exc,
                    failures,
                    self.network_retries,
                    delay,
                )
                await self._pause(delay)
                if self.stopping:
                    raise


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


async def hold_while_full(queue: BoundedUpdateQueue, parameters: dict) -> None:
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


def configure(
    builder: ApplicationBuilder, *, rate_limit: bool = True, concurrency: int = 8, timeout: float = 10.0
) -> ApplicationBuilder:
    """Requests (JSON bodies, timeouts), the rate limiter and the update processor for the bot."""
    request = JsonRequest(connection_pool_size=concurrency + 4, timeout=timeout)
    updates = JsonRequest(connection_pool_size=1, timeout=timeout)
    limiter = BotRateLimiter() if rate_limit else BotRateLimiter(0, 0, 0)
    updates.update_queue = BoundedUpdateQueue(limit=max(16, concurrency * 4))
    return (
        builder.application_class(BotApplication)
        .request(request)
        .get_updates_request(updates)
        .rate_limiter(limiter)
        .update_queue(updates.update_queue)
        .concurrent_updates(ChatOrderedProcessor(concurrency) if concurrency > 1 else False)
    )
