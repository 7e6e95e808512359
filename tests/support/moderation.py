"""Group-chat updates for the moderation tests, built as Telegram sends them."""

from __future__ import annotations

import itertools
import time

from tests.support.fake_bot_api import BOT_ID, FakeBotAPI, parse_html

GROUP = -1001000000001
OTHER_GROUP = -1001000000002
OWNER = 1000
ADMIN = 1001
MEMBER = 2002
TROLL = 3003
ANONYMOUS_ADMIN = 1087968824
TELEGRAM = 777000

_message_ids = itertools.count(1)


def user(user_id: int, first_name: str | None = None, username: str | None = None) -> dict:
    data = {"id": user_id, "is_bot": user_id in (BOT_ID, ANONYMOUS_ADMIN), "first_name": first_name or f"User{user_id}"}
    if username:
        data["username"] = username
    return data


class Group:
    def __init__(self, chat_id: int = GROUP, title: str = "Relocation Almaty"):
        self.chat = {"id": chat_id, "type": "supergroup", "title": title}
        self.names: dict[int, dict] = {}

    def person(self, user_id: int, first_name: str | None = None, username: str | None = None) -> dict:
        self.names[user_id] = user(user_id, first_name, username)
        return self.names[user_id]

    def _from(self, user_id: int) -> dict:
        return self.names.get(user_id) or user(user_id)

    def raw(
        self,
        user_id: int,
        text: str | None = None,
        *,
        reply_to: dict | None = None,
        date: int | None = None,
        entities: list | None = None,
        **extra,
    ) -> dict:
        """A message dict (not yet an update): use it as `reply_to` for a later message."""
        message = {
            "message_id": next(_message_ids),
            "date": date or int(time.time()),
            "chat": self.chat,
            "from": self._from(user_id),
            **extra,
        }
        if user_id == ANONYMOUS_ADMIN:
            message["sender_chat"] = self.chat
        if text is not None:
            message["text"] = text
            if entities is not None:
                message["entities"] = entities
            elif text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return message

    def message(self, user_id: int, text: str | None = None, **kwargs) -> dict:
        return {"message": self.raw(user_id, text, **kwargs)}

    def join(self, user_id: int, old: str = "left", new: str = "member") -> dict:
        """A chat_member update (the bot is an admin and asked for them)."""
        person = self._from(user_id)
        return {
            "chat_member": {
                "chat": self.chat,
                "from": person,
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": person},
                "new_chat_member": {"status": new, "user": person},
            }
        }

    def service_join(self, user_id: int) -> dict:
        return {
            "message": {
                "message_id": next(_message_ids),
                "date": int(time.time()),
                "chat": self.chat,
                "from": self._from(user_id),
                "new_chat_members": [self._from(user_id)],
            }
        }


def texts(api: FakeBotAPI, chat_id: int | None = None) -> list[str]:
    """What the bot said, as people read it (HTML tags removed by the fake API)."""
    said = []
    for params in api.calls_to("sendMessage"):
        if chat_id is None or str(params["chat_id"]) == str(chat_id):
            said.append(parse_html(str(params["text"]))[1])
    return said


def setup_group(api: FakeBotAPI, chat_id: int = GROUP, **kwargs) -> dict:
    kwargs.setdefault("owner", OWNER)
    kwargs.setdefault("admins", {ADMIN: None})
    group = api.add_group(chat_id, **kwargs)
    for member in (MEMBER, TROLL):
        group["members"].setdefault(member, {"status": "member"})
    return group
