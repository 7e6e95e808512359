"""A minimal fake Telegram Bot API for `python -m bot bench`, run as its own process on 127.0.0.1.

Only what the end-to-end benchmark needs: getMe, getUpdates (long polling over a preloaded list, 100
per call as Telegram does), sendMessage (counted, answered with a real-looking Message) and `ok` for
everything else. Plain asyncio with keep-alive HTTP/1.1, so that the fake costs far less CPU than the
bot it measures; the tests use the fuller fake in tests/fake_bot_api.py.

Control (plain HTTP, for the benchmark process):
  POST /control/load     body: JSON list of updates (without update_id); replaces the last ones, resets the counters
  GET  /control/stats    {"sent": n, "first": t, "last": t, "calls": {method: n}, "connections": n,
                          "first_poll": t}  (times: time.monotonic(), the same clock in every process)
  GET  /control/wait/N   the same, once N messages have been sent
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from urllib.parse import parse_qsl

BOT = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "Bench",
    "username": "bench_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class FakeTelegram:
    def __init__(self) -> None:
        self.updates: list[bytes] = []
        self.first_id = 1
        self.sent = 0
        self.first = self.last = 0.0
        self.calls: dict[str, int] = {}
        self.new_updates = asyncio.Event()
        self.message_id = 1000
        self.connections = 0
        self.first_poll = 0.0  # time.monotonic() of the first getUpdates (start-up benchmark)
        self.progress = asyncio.Event()

    # --- the API ------------------------------------------------------------------------------

    async def handle(self, method: str, path: str, body: bytes, content_type: str) -> bytes:
        if path.startswith("/control/"):
            return await self.control(path, body)
        name = path.rsplit("/", 1)[-1]
        self.calls[name] = self.calls.get(name, 0) + 1
        params = _params(body, content_type)
        if name == "getUpdates":
            if not self.first_poll:
                self.first_poll = time.monotonic()
            return await self.get_updates(params)
        if name == "getMe":
            return _ok(BOT)
        if name == "sendMessage":
            now = time.monotonic()
            if not self.sent:
                self.first = now
            self.sent += 1
            self.last = now
            self.progress.set()
            self.message_id += 1
            chat_id = int(params.get("chat_id", 0))
            return _ok(
                {
                    "message_id": self.message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                    "from": BOT,
                    "text": str(params.get("text", ""))[:100],
                }
            )
        return _ok(True)

    async def get_updates(self, params: dict) -> bytes:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        start = max(0, offset - self.first_id)
        if start >= len(self.updates) and timeout:
            self.new_updates.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.new_updates.wait(), min(timeout, 1.0))
        chunk = self.updates[start : start + limit]
        return b'{"ok":true,"result":[' + b",".join(chunk) + b"]}"

    async def control(self, path: str, body: bytes) -> bytes:
        if path.startswith("/control/wait/"):  # answers once that many messages were sent (or after 120 s)
            target = int(path.rsplit("/", 1)[-1])
            deadline = time.monotonic() + 120
            while self.sent < target and time.monotonic() < deadline:
                self.progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.progress.wait(), 1.0)
        if path == "/control/load":  # replaces what was loaded before; update ids keep growing
            base = self.first_id = self.first_id + len(self.updates)
            self.updates = [
                json.dumps({"update_id": base + index, **update}, ensure_ascii=False).encode()
                for index, update in enumerate(json.loads(body))
            ]
            self.sent, self.first, self.last, self.calls = 0, 0.0, 0.0, {}
            self.new_updates.set()
            return _ok(base)
        return json.dumps(
            {
                "sent": self.sent,
                "first": self.first,
                "last": self.last,
                "calls": self.calls,
                "connections": self.connections,
                "first_poll": self.first_poll,
            }
        ).encode()

    # --- HTTP ---------------------------------------------------------------------------------

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                payload = await self.handle(method, path, body, headers.get("content-type", ""))
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(payload)).encode()
                    + b"\r\n\r\n"
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


def _params(body: bytes, content_type: str) -> dict:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(body)
    return dict(parse_qsl(body.decode()))


def _ok(result) -> bytes:
    return json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


async def serve(port: int = 0) -> None:
    fake = FakeTelegram()
    server = await asyncio.start_server(fake.connection, "127.0.0.1", port, limit=1 << 20)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
