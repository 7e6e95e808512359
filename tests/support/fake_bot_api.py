"""A fake Telegram Bot API on 127.0.0.1 that answers like Telegram where it matters for these tests.

It records every call, rejects what Telegram rejects (bad HTML, texts over 4,096 characters, callback
data over 64 bytes) with Telegram's 400 error shape, and serves queued updates to long polling.
"""

from __future__ import annotations

import asyncio
import contextlib
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
_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
}


class _Strict(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.text, self.error = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag not in _TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = f'Unexpected end tag "{tag}"'

    def handle_data(self, data):
        self.text.append(data)


def parse_html(text: str) -> tuple[str | None, str]:
    """(error or None, visible text) the way Telegram would read `text` with parse_mode=HTML."""
    if re.search(r"<(?![A-Za-z/])", text):
        return 'Can\'t parse entities: unexpected "<"', text
    parser = _Strict()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    return parser.error, "".join(parser.text)


@dataclass
class Call:
    method: str
    params: dict


SHUTDOWN_TIMEOUT = 2.0  # seconds


@dataclass
class FakeBotAPI:
    host: str = "127.0.0.1"
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)

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
        app.router.add_route("*", "/bot{token}/{method}", self._handle_and_record)
        # a stop waits this long for requests in flight (a long poll, a bot's retries on a kept-alive connection), not
        # aiohttp's 60 s: a test that takes the API away must not wait on the bot it is testing (seen: over 10 s)
        self._runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT)
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
            call = Call(method, params)
            self.__dict__.setdefault("_in_flight", {})[id(request)] = call
            self.calls.append(call)
        if (injected := await self._injected(method)) is not None:
            return injected
        if (refused := self._refusal(method)) is not None:
            return refused
        handler = getattr(self, f"_api_{method}", None)
        if handler is not None:
            return await handler(params)
        return self._ok(True)

    async def _api_getMe(self, params):
        return self._ok(
            {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Newcomer Help",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": True,
            }
        )

    async def _api_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:  # as Telegram: asking from an offset confirms (forgets) every update before it
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        pending = [u for u in self.updates if u["update_id"] >= offset]
        if not pending and timeout:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout=min(timeout, 1.0))
            pending = [u for u in self.updates if u["update_id"] >= offset]
        return self._ok(pending[: int(params.get("limit") or 100)])  # Telegram sends at most 100 at a time

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
        if str(params["chat_id"]).startswith("@"):  # a public chat by its @username
            if self._group(params) is None:
                return self._error(400, "Bad Request: chat not found")
            params = {**params, "chat_id": self._group(params)["id"]}
        self.sent.set()
        chat_id = int(params["chat_id"])
        return self._ok(
            {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Newcomer Help", "username": BOT_USERNAME},
                "text": visible,
            }
        )

    async def _api_editMessageReplyMarkup(self, params):
        markup_error = self._check_markup(params)
        if markup_error:
            return self._error(400, markup_error)
        return self._ok(True)

    async def _api_answerInlineQuery(self, params):
        results = params.get("results") or []
        if len(results) > 50:
            return self._error(400, "Bad Request: RESULTS_TOO_MUCH")
        if len({r["id"] for r in results}) != len(results) or any(
            not 1 <= len(r["id"].encode()) <= 64 for r in results
        ):
            return self._error(400, "Bad Request: RESULT_ID_INVALID")
        for result in results:
            content = result.get("input_message_content") or {}
            text = str(content.get("message_text", ""))
            error, visible = parse_html(text) if content.get("parse_mode") == "HTML" else (None, text)
            if error or not visible.strip() or len(visible) > 4096:
                return self._error(400, f"Bad Request: MESSAGE_TEXT_INVALID {error or ''}".strip())
        return self._ok(True)

    async def _api_setMyCommands(self, params):
        for command in params.get("commands", []):
            if not (1 <= len(command["description"]) <= 256):
                return self._error(400, "Bad Request: command description is invalid")
        return self._ok(True)

    # --- group chats and moderation (issue 3) ---------------------------------------------------
    # State per group: members with Telegram's statuses and admin rights, the default permissions and
    # deleted message ids. Refusals follow Telegram's wording. Message ids from 1000 up are the bot's
    # own (see sendMessage), which it may delete without the right to delete others' messages.

    ADMIN_RIGHTS = (
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
        "can_pin_messages",
        "can_manage_topics",
    )
    PERMISSIONS = (
        "can_send_messages",
        "can_send_audios",
        "can_send_documents",
        "can_send_photos",
        "can_send_videos",
        "can_send_video_notes",
        "can_send_voice_notes",
        "can_send_polls",
        "can_send_other_messages",
        "can_add_web_page_previews",
        "can_change_info",
        "can_invite_users",
        "can_pin_messages",
        "can_manage_topics",
    )

    @property
    def groups(self) -> dict:
        return self.__dict__.setdefault("_groups", {})

    @property
    def refusals(self) -> dict:
        """method -> [(code, description, retry_after)] answered (once each) instead of the method (fail_next)."""
        return self.__dict__.setdefault("_refusals", {})

    def add_group(
        self,
        chat_id: int,
        *,
        title: str = "Relocation chat",
        owner: int | None = None,
        admins: dict[int, set[str] | None] | None = None,
        bot_rights: set[str] | None = None,
        bot_admin: bool = True,
        anonymous: set[int] = frozenset(),
    ) -> dict:
        """A supergroup; `admins` maps ids to their rights (None: all rights); the bot gets `bot_rights`
        (default all)."""
        members = {}
        if owner is not None:
            members[owner] = {"status": "creator", "is_anonymous": owner in anonymous}
        for user_id, rights in (admins or {}).items():
            members[user_id] = {
                "status": "administrator",
                "rights": set(self.ADMIN_RIGHTS if rights is None else rights),
                "is_anonymous": user_id in anonymous,
            }
        if bot_admin:
            members[BOT_ID] = {
                "status": "administrator",
                "rights": set(self.ADMIN_RIGHTS if bot_rights is None else bot_rights),
            }
        else:
            members[BOT_ID] = {"status": "member"}
        group = {
            "id": chat_id,
            "title": title,
            "members": members,
            "deleted": set(),
            "undeletable": set(),
            "permissions": {
                p: True
                for p in self.PERMISSIONS
                if p not in ("can_change_info", "can_pin_messages", "can_manage_topics")
            },
            "sender_chats_banned": set(),
        }
        self.groups[chat_id] = group
        return group

    def add_channel(
        self,
        chat_id: int,
        *,
        title: str = "Log channel",
        username: str | None = None,
        owner: int | None = None,
        admins: dict[int, set[str] | None] | None = None,
        bot_admin: bool = True,
    ) -> dict:
        """A channel (for log channels): admins map ids to their rights, `can_post_messages` among them (None: all)."""
        channel = self.add_group(
            chat_id,
            title=title,
            owner=owner,
            bot_admin=bot_admin,
            admins={
                uid: (set(self.ADMIN_RIGHTS) | {"can_post_messages"} if rights is None else rights)
                for uid, rights in (admins or {}).items()
            },
            bot_rights=set(self.ADMIN_RIGHTS) | {"can_post_messages"},
        )
        channel.update({"type": "channel", "username": username})
        return channel

    def set_member(self, chat_id: int, user_id: int, status: str = "member", **extra) -> None:
        self.groups[chat_id]["members"][user_id] = {"status": status, **extra}

    def status(self, chat_id: int, user_id: int) -> str:
        return self.groups[chat_id]["members"].get(user_id, {"status": "left"})["status"]

    def fail_next(self, method: str, code: int, description: str, retry_after: int | None = None) -> None:
        """The next call of `method` (only that method: the bot's own calls in the background go through) is
        answered with Telegram's error `code` and `description` instead of acting."""
        self.refusals.setdefault(method, []).append((code, description, retry_after))

    def _refusal(self, method: str):
        queued = self.refusals.get(method)
        if not queued:
            return None
        code, description, retry_after = queued.pop(0)
        body = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=code)

    def _user(self, user_id: int) -> dict:
        if user_id == BOT_ID:
            return {"id": BOT_ID, "is_bot": True, "first_name": "Newcomer Help", "username": BOT_USERNAME}
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}

    def _member_json(self, chat_id: int, user_id: int) -> dict:
        member = self.groups[chat_id]["members"].get(user_id, {"status": "left"})
        status = member["status"]
        data = {"status": status, "user": self._user(user_id)}
        if status == "creator":
            data["is_anonymous"] = member.get("is_anonymous", False)
        elif status == "administrator":
            data.update({"can_be_edited": False, "is_anonymous": member.get("is_anonymous", False)})
            data.update({right: right in member["rights"] for right in self.ADMIN_RIGHTS})
            if self.groups[chat_id].get("type") == "channel":
                data["can_post_messages"] = "can_post_messages" in member["rights"]
        elif status == "restricted":
            permissions = member.get("permissions", {})
            data.update({p: bool(permissions.get(p, False)) for p in self.PERMISSIONS})
            data.update(
                {
                    "is_member": member.get("is_member", True),
                    "until_date": member.get("until_date", 0),
                    "can_edit_tag": False,
                    "can_react_to_messages": bool(permissions.get("can_send_messages", False)),
                }
            )
        elif status == "kicked":
            data["until_date"] = member.get("until_date", 0)
        return data

    def _bot_can(self, group: dict, right: str) -> bool:
        bot = group["members"].get(BOT_ID, {})
        return bot.get("status") == "administrator" and right in bot.get("rights", ())

    def _group(self, params) -> dict | None:
        chat_id = str(params.get("chat_id", ""))
        if chat_id.startswith("@"):  # a public chat by its @username, as Telegram accepts it
            return next(
                (g for g in self.groups.values() if g.get("username") and g["username"].lower() == chat_id[1:].lower()),
                None,
            )
        return self.groups.get(int(chat_id)) if chat_id.lstrip("-").isdigit() else None

    def _no_group(self, params) -> web.Response | None:
        return self._error(400, "Bad Request: chat not found") if self._group(params) is None else None

    async def _api_getChat(self, params):
        group = self._group(params)
        if group is None:
            return self._error(400, "Bad Request: chat not found")
        extra = {key: group[key] for key in ("username", "linked_chat_id") if group.get(key)}
        return self._ok(
            {
                "id": group["id"],
                "type": group.get("type", "supergroup"),
                "title": group["title"],
                **extra,
                "permissions": dict(group["permissions"]),
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )

    async def _api_getChatAdministrators(self, params):
        group = self._group(params)
        if group is None:
            return self._error(400, "Bad Request: chat not found")
        return self._ok(
            [
                self._member_json(group["id"], uid)
                for uid, m in group["members"].items()
                if m["status"] in ("creator", "administrator")
            ]
        )

    async def _api_getChatMember(self, params):
        group = self._group(params)
        if group is None:
            return self._error(400, "Bad Request: chat not found")
        if group.get("type") == "channel" and not self._bot_can(group, "can_post_messages"):
            return self._error(400, "Bad Request: member list is inaccessible")
        return self._ok(self._member_json(group["id"], int(params["user_id"])))

    def _check_target(self, group: dict, user_id: int, method: str) -> web.Response | None:
        if not self._bot_can(group, "can_restrict_members"):
            return self._error(400, "Bad Request: not enough rights to restrict/unrestrict chat member")
        status = group["members"].get(user_id, {"status": "left"})["status"]
        if status == "creator":
            return self._error(
                400,
                "Bad Request: can't remove chat owner"
                if method == "banChatMember"
                else "Bad Request: user is an administrator of the chat",
            )
        if status == "administrator":
            return self._error(400, "Bad Request: user is an administrator of the chat")
        return None

    async def _api_banChatMember(self, params):
        if (missing := self._no_group(params)) is not None:
            return missing
        group = self._group(params)
        user_id = int(params["user_id"])
        problem = self._check_target(group, user_id, "banChatMember")
        if problem is not None:
            return problem
        group["members"][user_id] = {"status": "kicked", "until_date": int(params.get("until_date") or 0)}
        return self._ok(True)

    async def _api_unbanChatMember(self, params):
        if (missing := self._no_group(params)) is not None:
            return missing
        group = self._group(params)
        user_id = int(params["user_id"])
        if not self._bot_can(group, "can_restrict_members"):
            return self._error(400, "Bad Request: not enough rights to restrict/unrestrict chat member")
        status = group["members"].get(user_id, {"status": "left"})["status"]
        if status == "kicked":
            group["members"][user_id] = {"status": "left"}
        elif status in ("creator", "administrator") and not params.get("only_if_banned"):
            return self._error(400, "Bad Request: user is an administrator of the chat")
        return self._ok(True)

    async def _api_restrictChatMember(self, params):
        if (missing := self._no_group(params)) is not None:
            return missing
        group = self._group(params)
        user_id = int(params["user_id"])
        problem = self._check_target(group, user_id, "restrictChatMember")
        if problem is not None:
            return problem
        permissions = params.get("permissions") or {}
        current = group["members"].get(user_id, {"status": "left"})
        in_chat = current["status"] in ("member", "restricted") and current.get("is_member", True)
        if all(permissions.get(p) for p in self.PERMISSIONS if p not in ("can_manage_topics",)):
            if current["status"] == "restricted":
                group["members"][user_id] = {"status": "member" if in_chat else "left"}
        else:
            group["members"][user_id] = {
                "status": "restricted",
                "permissions": dict(permissions),
                "is_member": in_chat,
                "until_date": int(params.get("until_date") or 0),
            }
        return self._ok(True)

    async def _api_setChatPermissions(self, params):
        if (missing := self._no_group(params)) is not None:
            return missing
        group = self._group(params)
        if not self._bot_can(group, "can_restrict_members"):
            return self._error(400, "Bad Request: not enough rights to change chat permissions")
        group["permissions"] = dict(params.get("permissions") or {})
        return self._ok(True)

    async def _api_banChatSenderChat(self, params):
        if (missing := self._no_group(params)) is not None:
            return missing
        group = self._group(params)
        if not self._bot_can(group, "can_restrict_members"):
            return self._error(400, "Bad Request: not enough rights")
        group["sender_chats_banned"].add(int(params["sender_chat_id"]))
        return self._ok(True)

    def _delete_one(self, group: dict, message_id: int) -> str | None:
        if message_id in group["deleted"]:
            return "Bad Request: message to delete not found"
        if message_id in group["undeletable"]:
            return "Bad Request: message can't be deleted"
        if message_id < 1000 and not self._bot_can(group, "can_delete_messages"):
            return "Bad Request: message can't be deleted"
        group["deleted"].add(message_id)
        return None

    async def _api_deleteMessage(self, params):
        group = self._group(params)
        if group is None:
            return self._ok(True)
        problem = self._delete_one(group, int(params["message_id"]))
        return self._error(400, problem) if problem else self._ok(True)

    async def _api_deleteMessages(self, params):
        if (missing := self._no_group(params)) is not None:
            return missing
        group = self._group(params)
        ids = params.get("message_ids") or []
        if not 1 <= len(ids) <= 100:
            return self._error(
                400,
                "Bad Request: too many messages to delete"
                if ids
                else "Bad Request: message identifiers are not specified",
            )
        if not self._bot_can(group, "can_delete_messages"):
            return self._error(400, "Bad Request: message can't be deleted")
        for message_id in ids:  # Telegram skips what it cannot delete
            self._delete_one(group, int(message_id))
        return self._ok(True)

    # --- photos (issue 5: the /stats chart) ------------------------------------------------------
    # Telegram takes an uploaded photo as multipart form data; the fake keeps its bytes in the recorded
    # call (params["photo"]) and refuses what Telegram refuses: not an image, over 10 MB, width plus
    # height over 10,000, a side ratio over 20, a caption over 1,024 characters or with bad HTML.

    async def _api_sendPhoto(self, params):
        photo = params.get("photo")
        if hasattr(photo, "file"):  # an upload, not a file_id or URL
            params["photo"] = photo = photo.file.read()
        if not isinstance(photo, bytes) or not photo.startswith(b"\x89PNG\r\n\x1a\n") or photo[12:16] != b"IHDR":
            return self._error(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = int.from_bytes(photo[16:20], "big"), int.from_bytes(photo[20:24], "big")
        if len(photo) > 10 * 1024 * 1024 or width + height > 10_000 or max(width, height) > 20 * min(width, height):
            return self._error(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        caption = str(params.get("caption", ""))
        error, visible = parse_html(caption) if params.get("parse_mode") == "HTML" else (None, caption)
        if error:
            return self._error(400, f"Bad Request: {error}")
        if len(visible) > 1024:
            return self._error(400, "Bad Request: message caption is too long")
        chat_id = int(params["chat_id"])
        unique = f"photo{len(self.calls)}"
        return self._ok(
            {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Newcomer Help", "username": BOT_USERNAME},
                "photo": [{"file_id": unique, "file_unique_id": unique, "width": width, "height": height}],
                **({"caption": visible} if visible else {}),
            }
        )

    # --- failure injection (issue 6: resilience) -------------------------------------------------
    # Every call's HTTP status is recorded (Call.status), so a test can tell what reached the chat
    # (`delivered`) from what the bot only tried. Faults are answered instead of the method:
    #   fail(kind, method=None, times=1): "5xx" (status 500/502/503), "timeout" (no answer for `delay`
    #   seconds, then 504), "429" (Too Many Requests with retry_after);
    #   outage(seconds, status): every request, getUpdates included, fails until the time is up.

    async def _handle_and_record(self, request: web.Request) -> web.StreamResponse:
        try:
            response = await self._handle(request)
        finally:
            call = self.__dict__.get("_in_flight", {}).pop(id(request), None)
        if call is not None:
            call.status = response.status
        return response

    @property
    def faults(self) -> list:
        return self.__dict__.setdefault("_faults", [])

    def fail(
        self,
        kind: str,
        method: str | None = "sendMessage",
        times: int = 1,
        status: int = 502,
        retry_after: int = 1,
        delay: float = 1.0,
    ) -> None:
        for _ in range(times):
            self.faults.append((method, kind, status, retry_after, delay))

    def outage(self, seconds: float, status: int = 502) -> None:
        self.__dict__["_outage_until"] = time.monotonic() + seconds
        self.__dict__["_outage_status"] = status

    def delivered(self, method: str = "sendMessage") -> list[dict]:
        """Params of the calls that succeeded (HTTP 200)."""
        return [c.params for c in self.calls if c.method == method and getattr(c, "status", None) == 200]

    async def wait_delivered(self, count: int, method: str = "sendMessage", timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.delivered(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} delivered {method}, got {len(self.delivered(method))}")
            await asyncio.sleep(0.01)
        return self.delivered(method)

    async def _injected(self, method: str) -> web.StreamResponse | None:
        if time.monotonic() < self.__dict__.get("_outage_until", 0.0):
            status = self.__dict__["_outage_status"]
            return self._error(status, "Bad Gateway" if status == 502 else "Internal Server Error")
        for index, fault in enumerate(self.faults):
            if fault[0] is None or fault[0] == method:
                del self.faults[index]
                break
        else:
            return None
        _, kind, status, retry_after, delay = fault
        if kind == "5xx":
            return self._error(
                status, {500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Bad Gateway")
            )
        if kind == "429":
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                status=429,
            )
        if kind == "timeout":
            await asyncio.sleep(delay)
            return self._error(504, "Gateway Timeout")
        raise ValueError(f"unknown fault {kind!r}")
