"""A fake Telegram Bot API on 127.0.0.1 that answers like Telegram where it matters for these tests.

It records every call, rejects what Telegram rejects (bad HTML, texts over 4,096 characters, callback
data over 64 bytes) with Telegram's 400 error shape, and serves queued updates to long polling.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser

from aiohttp import web

BOT_ID = 7000001
BOT_USERNAME = "newcomer_test_bot"
TOKEN = "7000001:AAFakeTokenForTestsOnly_abcdefghijklmnop"
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span", "blockquote"}


class _Strict(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.text, self.error = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag not in _TAGS:
            self.error = f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = f"Unexpected end tag \"{tag}\""

    def handle_data(self, data):
        self.text.append(data)


def parse_html(text: str) -> tuple[str | None, str]:
    """(error or None, visible text) the way Telegram would read `text` with parse_mode=HTML."""
    if re.search(r"<(?![A-Za-z/])", text):
        return "Can't parse entities: unexpected \"<\"", text
    parser = _Strict()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f"Can't find end tag corresponding to start tag \"{parser.stack[-1]}\""
    return parser.error, "".join(parser.text)


@dataclass
class Call:
    method: str
    params: dict


@dataclass
class FakeBotAPI:
    host: str = "127.0.0.1"
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    fail_next: list[tuple[int, str]] = field(default_factory=list)

    def __post_init__(self):
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.sent = asyncio.Event()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    # --- helpers for tests --------------------------------------------------------------------

    def push_update(self, update: dict) -> dict:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._new_update.set()
        return update

    def calls_to(self, method: str) -> list[dict]:
        return [c.params for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {method} call(s), got {self.calls_to(method)}")
            await asyncio.sleep(0.01)
        return self.calls_to(method)

    # --- the API ------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        params = {}
        for key, value in form.items():
            try:
                params[key] = json.loads(value) if isinstance(value, str) and value[:1] in "{[" else value
            except json.JSONDecodeError:
                params[key] = value
        return params

    def _error(self, code: int, description: str) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)

    def _ok(self, result) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        if method != "getUpdates":
            self.calls.append(Call(method, params))
        if self.fail_next and method != "getUpdates":
            code, description = self.fail_next.pop(0)
            return self._error(code, description)
        handler = getattr(self, f"_api_{method}", None)
        if handler is not None:
            return await handler(params)
        return self._ok(True)

    async def _api_getMe(self, params):
        return self._ok({"id": BOT_ID, "is_bot": True, "first_name": "Newcomer Help", "username": BOT_USERNAME,
                         "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True})

    async def _api_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        pending = [u for u in self.updates if u["update_id"] >= offset]
        if not pending and timeout:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout=min(timeout, 1.0))
            except asyncio.TimeoutError:
                pass
            pending = [u for u in self.updates if u["update_id"] >= offset]
        return self._ok(pending)

    def _check_markup(self, params) -> str | None:
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    return "Bad Request: BUTTON_DATA_INVALID"
                if not button.get("text"):
                    return "Bad Request: text buttons are unallowed in the inline keyboard"
        return None

    async def _api_sendMessage(self, params):
        text = str(params.get("text", ""))
        visible = text
        if params.get("parse_mode") == "HTML":
            error, visible = parse_html(text)
            if error:
                return self._error(400, f"Bad Request: {error}")
        if not visible.strip():
            return self._error(400, "Bad Request: message text is empty")
        if len(visible) > 4096:
            return self._error(400, "Bad Request: message is too long")
        markup_error = self._check_markup(params)
        if markup_error:
            return self._error(400, markup_error)
        self.sent.set()
        chat_id = int(params["chat_id"])
        return self._ok({
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Newcomer Help", "username": BOT_USERNAME},
            "text": visible,
        })

    async def _api_editMessageReplyMarkup(self, params):
        markup_error = self._check_markup(params)
        if markup_error:
            return self._error(400, markup_error)
        return self._ok(True)

    async def _api_setMyCommands(self, params):
        for command in params.get("commands", []):
            if not (1 <= len(command["description"]) <= 256):
                return self._error(400, "Bad Request: command description is invalid")
        return self._ok(True)
