"""One ban for the whole network: creating and joining a network, network bans, and catching joins."""

import re

from tests.support.app import Chat, running_bot, send
from tests.support.moderation import ADMIN, GROUP, MEMBER, OTHER_GROUP, OWNER, TROLL, Group, setup_group, texts

OWNER_B = 1100
THIRD_GROUP = -1001000000003
OWNER_C = 1200


async def audit(app, chat_id):
    return list(reversed(await app.bot_data.storage.mod_audit(chat_id, 100)))


async def make_network(app, api) -> str:
    await send(app, api, Chat(user_id=OWNER).message("/newnet Almaty relocation"))
    created = api.calls_to("sendMessage")[-1]["text"]
    return re.search(r"<code>([0-9a-f]{8})</code>", created).group(1)


async def test_a_network_ban_reaches_every_chat_and_catches_a_later_join(api, tmp_path):
    setup_group(api, GROUP)
    setup_group(api, OTHER_GROUP, owner=OWNER_B, admins={})
    setup_group(api, THIRD_GROUP, owner=OWNER_C, admins={})
    a, b, c = Group(GROUP, "Almaty A"), Group(OTHER_GROUP, "Almaty B"), Group(THIRD_GROUP, "Astana C")
    async with running_bot(api, tmp_path) as app:
        network = await make_network(app, api)
        await send(app, api, a.message(ADMIN, f"/joinnet {network}"))  # an admin, not the owner
        await send(app, api, a.message(OWNER, f"/joinnet {network}"))
        await send(app, api, b.message(OWNER_B, f"/joinnet {network}"))
        await send(app, api, a.message(ADMIN, f"/nban {TROLL} fake account"))  # not a network admin yet
        await send(app, api, a.message(OWNER, f"/npromote {ADMIN}"))
        await send(app, api, a.message(ADMIN, f"/nban {TROLL} fake account"))
        await send(app, api, c.message(OWNER_C, f"/joinnet {network}"))
        await send(app, api, c.join(TROLL))  # joins a chat that entered the network later
        audit_a, audit_b, audit_c = (
            await audit(app, GROUP),
            await audit(app, OTHER_GROUP),
            await audit(app, THIRD_GROUP),
        )
    said_a = texts(api, GROUP)
    assert said_a[0] == "⛔ Это может только владелец чата."
    assert "Almaty relocation" in said_a[1] and "баны сети" in said_a[1]
    assert said_a[2] == "⛔ Это могут только владелец сети и её администраторы."
    assert "Заблокирован в чатах: 2 из 2" in said_a[4] and "fake account" in said_a[4]
    bans = [(int(p["chat_id"]), int(p["user_id"])) for p in api.calls_to("banChatMember")]
    assert sorted(bans[:2]) == [(OTHER_GROUP, TROLL), (GROUP, TROLL)] and bans[2] == (THIRD_GROUP, TROLL)
    assert api.status(THIRD_GROUP, TROLL) == "kicked"
    assert "бан-листе сети" in texts(api, THIRD_GROUP)[-1]
    assert [r["action"] for r in audit_a if r["action"] in ("nban", "ban")] == ["nban", "ban"]
    assert [(r["action"], r["actor_id"], r["rule"]) for r in audit_b if r["action"] == "ban"] == [
        ("ban", ADMIN, f"network:{network}")
    ]
    assert [(r["action"], r["actor_id"], r["target_id"]) for r in audit_c if r["action"] == "ban"] == [
        ("ban", None, TROLL)
    ]


async def test_a_network_banned_member_who_speaks_is_removed_and_admins_are_skipped(api, tmp_path):
    setup_group(api, GROUP)
    setup_group(api, OTHER_GROUP, owner=OWNER_B, admins={MEMBER: None})  # MEMBER is an admin in B
    a, b = Group(GROUP), Group(OTHER_GROUP, "Almaty B")
    async with running_bot(api, tmp_path) as app:
        network = await make_network(app, api)
        await send(app, api, a.message(OWNER, f"/joinnet {network}"))
        await send(app, api, b.message(OWNER_B, f"/joinnet {network}"))
        await send(app, api, a.message(OWNER, f"/nban {MEMBER} spam"))
        assert api.status(GROUP, MEMBER) == "kicked" and api.status(OTHER_GROUP, MEMBER) == "administrator"
        await app.bot_data.storage.mod_add_network_ban(network, 6006, actor_id=OWNER, reason="bot farm")
        api.groups[OTHER_GROUP]["members"][6006] = {"status": "member"}
        spam = b.raw(6006, "hi all")
        await send(app, api, {"message": spam})
        audit_b = await audit(app, OTHER_GROUP)
    said = texts(api, GROUP)[-1]
    assert "1 из 2" in said and "там администратор" in said
    assert int(api.calls_to("deleteMessage")[-1]["message_id"]) == spam["message_id"]
    assert api.status(OTHER_GROUP, 6006) == "kicked"
    assert [(r["action"], r["result"]) for r in audit_b if r["action"] == "ban"] == [("ban", "failed"), ("ban", "ok")]


async def test_a_network_unban_lifts_the_ban_everywhere(api, tmp_path):
    setup_group(api, GROUP)
    setup_group(api, OTHER_GROUP, owner=OWNER_B, admins={})
    a, b = Group(GROUP), Group(OTHER_GROUP)
    async with running_bot(api, tmp_path) as app:
        network = await make_network(app, api)
        await send(app, api, a.message(OWNER, f"/joinnet {network}"))
        await send(app, api, b.message(OWNER_B, f"/joinnet {network}"))
        await send(app, api, a.message(OWNER, f"/nban {TROLL}"))
        await send(app, api, b.message(OWNER, f"/unnban {TROLL} mistake"))
        await send(app, api, b.message(OWNER, f"/unnban {TROLL}"))
        await send(app, api, b.join(TROLL))
    assert api.status(GROUP, TROLL) == "left" and api.status(OTHER_GROUP, TROLL) == "left"  # free to come back
    assert len(api.calls_to("unbanChatMember")) == 2
    assert len(api.calls_to("banChatMember")) == 2  # rejoining after the unban is not caught
    said = texts(api, OTHER_GROUP)
    assert "Разблокирован в чатах: 2 из 2" in said[-2] and "нет в бан-листе" in said[-1]


async def test_network_commands_outside_a_network_say_how_to_join(api, tmp_path):
    setup_group(api)
    a = Group()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, a.message(OWNER, f"/nban {TROLL}"))
        await send(app, api, a.message(OWNER, "/joinnet deadbeef"))
        await send(app, api, Chat(user_id=OWNER).message("/newnet"))
    said = texts(api)
    assert "не входит в сеть" in said[0] and "/joinnet" in said[0]
    assert said[1] == "Сети с id «deadbeef» нет."
    assert said[2].startswith("Укажите название сети")
    assert not api.calls_to("banChatMember")


async def test_network_info_admins_and_leaving(api, tmp_path):
    setup_group(api, GROUP)
    a = Group(GROUP, "Almaty <A>")
    async with running_bot(api, tmp_path) as app:
        network = await make_network(app, api)
        await send(app, api, a.message(OWNER, f"/joinnet {network}"))
        await send(app, api, a.message(OWNER, f"/npromote {ADMIN}"))
        await send(app, api, a.message(ADMIN, f"/ndemote {MEMBER}"))  # only the network's owner names its admins
        await send(app, api, a.message(OWNER, f"/ndemote {ADMIN}"))
        await send(app, api, a.message(ADMIN, "/netinfo"))
        await send(app, api, a.message(ADMIN, "/leavenet"))
        await send(app, api, a.message(OWNER, "/leavenet"))
        await send(app, api, a.message(ADMIN, "/netinfo"))
        rows = await audit(app, GROUP)
    said = texts(api, GROUP)
    assert "администратор сети «Almaty relocation»" in said[1]
    assert said[2] == "⛔ Это может только владелец сети."
    assert "больше не администратор сети" in said[3]
    assert f"({network})" in said[4] and "Чатов: 1" in said[4] and "Almaty <A>" in said[4]
    assert said[5] == "⛔ Это может только владелец чата."
    assert said[6] == "Чат отключён от сети." and "не входит в сеть" in said[7]
    assert [r["action"] for r in rows] == ["network_join", "network_promote", "network_demote", "network_leave"]
