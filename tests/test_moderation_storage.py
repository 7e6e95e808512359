"""Moderation tables: the migration from version 1, warnings with expiry, networks, the audit trail, pruning."""

import datetime as dt
import sqlite3

from bot.storage import MIGRATIONS, SCHEMA_VERSION, Storage

UTC = dt.UTC
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


async def test_a_version_1_database_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        for statement in MIGRATIONS[0]:
            db.execute(statement)
        db.execute("INSERT INTO user_prefs (user_key, language, updated_at) VALUES ('k', 'kk', 'x')")
        db.execute("PRAGMA user_version = 1")
    storage = await Storage.open(path)
    try:
        assert await storage.schema_version() == SCHEMA_VERSION >= 2
        assert await storage.language("k") == "kk"
        await storage.mod_add_audit(chat_id=-100, action="ban", target_id=5, actor_id=1, when=NOW)
        assert (await storage.mod_audit(-100))[0]["action"] == "ban"
    finally:
        await storage.close()


async def test_warnings_count_only_until_they_expire(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        week = dt.timedelta(days=7)
        assert (
            await storage.mod_add_warning(-1, 5, actor_id=1, rule=None, reason="a", when=NOW, expires_at=NOW + week)
            == 1
        )
        later = NOW + dt.timedelta(days=3)
        assert (
            await storage.mod_add_warning(-1, 5, actor_id=1, rule=None, reason="b", when=later, expires_at=later + week)
            == 2
        )
        assert [w["reason"] for w in await storage.mod_warnings(-1, 5, NOW + dt.timedelta(days=8))] == ["b"]
        assert await storage.mod_warnings(-2, 5, NOW) == []  # per chat
        assert await storage.mod_remove_last_warning(-1, 5, NOW)
        assert [w["reason"] for w in await storage.mod_warnings(-1, 5, NOW)] == ["a"]
        assert await storage.mod_clear_warnings(-1, 5) == 1
        assert not await storage.mod_remove_last_warning(-1, 5, NOW)
    finally:
        await storage.close()


async def test_usernames_point_to_one_account_at_a_time(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        await storage.mod_seen_user(10, "Troll", NOW)
        assert await storage.mod_user_by_username("@troll") == 10
        await storage.mod_seen_user(11, "troll", NOW)  # the name moved to another account
        assert await storage.mod_user_by_username("troll") == 11
        assert await storage.mod_usernames([10, 11]) == {11: "@troll"}
    finally:
        await storage.close()


async def test_member_state_joins_approval_and_network_bans(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        assert await storage.mod_member_state(-1, 5) == {
            "approved": False,
            "joined_at": None,
            "network_id": None,
            "network_banned": False,
        }
        await storage.mod_record_join(-1, 5, NOW)
        assert await storage.mod_approve(-1, 5, 1, NOW) and not await storage.mod_approve(-1, 5, 1, NOW)
        network = await storage.mod_create_network("Almaty chats", 1, NOW)
        await storage.mod_join_network(-1, network, title="A", joined_by=1)
        await storage.mod_join_network(-2, network, title="B", joined_by=2)
        await storage.mod_add_network_ban(network, 5, actor_id=1, reason="spam")
        state = await storage.mod_member_state(-2, 5)
        assert state["network_banned"] and state["network_id"] == network and not state["approved"]
        assert (await storage.mod_member_state(-1, 5))["joined_at"] == NOW
        info = await storage.mod_network(network)
        assert sorted(info["chats"]) == [(-2, "B"), (-1, "A")] and info["bans"] == 1 and info["owner_id"] == 1
        assert await storage.mod_leave_network(-2)
        assert not (await storage.mod_member_state(-2, 5))["network_banned"]
        await storage.mod_forget_member(-1, 5)
        assert (await storage.mod_member_state(-1, 5))["joined_at"] is None
    finally:
        await storage.close()


async def test_pruning_forgets_what_moderation_no_longer_needs(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        old = NOW - dt.timedelta(days=400)
        await storage.mod_add_warning(
            -1, 5, actor_id=1, rule=None, reason="x", when=old, expires_at=old + dt.timedelta(days=30)
        )
        await storage.mod_add_warning(-1, 6, actor_id=1, rule=None, reason="y", when=old, expires_at=None)
        await storage.mod_record_join(-1, 5, old)
        await storage.mod_seen_user(5, "gone", old)
        await storage.mod_add_audit(chat_id=-1, action="ban", when=old)
        await storage.mod_add_audit(chat_id=-1, action="warn", when=NOW)
        counts = await storage.mod_prune(
            NOW,
            members_before=NOW - dt.timedelta(days=30),
            seen_before=NOW - dt.timedelta(days=365),
            audit_before=NOW - dt.timedelta(days=365),
        )
        assert counts == {"warnings": 1, "members": 1, "seen_users": 1, "audit": 1}
        assert [r["action"] for r in await storage.mod_audit(-1)] == ["warn"]
        assert len(await storage.mod_warnings(-1, 6, NOW)) == 1  # warnings that never expire stay
    finally:
        await storage.close()


async def test_concurrent_warnings_each_get_their_own_count(tmp_path):
    """The count a warning returns is taken in the same transaction as its insert: concurrent warnings
    (here from four connections, as from several bot processes) never share a count, so exactly one
    of them is the one that reaches the limit."""
    import asyncio

    path = tmp_path / "bot.sqlite3"
    storages = [await Storage.open(path) for _ in range(4)]
    try:
        for _ in range(5):
            await storages[0].mod_clear_warnings(-100, 7)
            counts = await asyncio.gather(
                *(
                    storages[i % 4].mod_add_warning(
                        -100, 7, actor_id=1, rule=None, reason=f"w{i}", when=NOW, expires_at=None
                    )
                    for i in range(24)
                )
            )
            assert sorted(counts) == list(range(1, 25))
    finally:
        for storage in storages:
            await storage.close()
