"""Networks of chats that share a ban list (/newnet, /joinnet, /nban, ...) and the bot-wide block list."""

from __future__ import annotations

import html

from telegram import Chat
from telegram.helpers import mention_html

from bot.core.moderation.permissions import may_join_network, may_manage_network
from bot.handlers.moderation.framework import Invocation
from bot.handlers.moderation.targets import resolve
from bot.i18n import t
from bot.storage.rows import Network

NETWORK_NAME_LIMIT = 64


async def _network_here(inv: Invocation) -> Network | None:
    network_id = await inv.ops.storage.mod_network_of_chat(inv.chat.id)
    network = await inv.ops.storage.mod_network(network_id) if network_id else None
    if network is None:
        await inv.reply(t(inv.lang, "mod_err_no_network"))
    return network


async def _network_admin(inv: Invocation, network: Network) -> bool:
    if may_manage_network(
        inv.actor.id,
        owner_id=network["owner_id"],
        network_admins=network["admins"],
        global_moderators=inv.ops.global_moderators,
    ):
        return True
    await inv.refuse(t(inv.lang, "mod_refuse_network_admin"))
    return False


async def _network_target(inv: Invocation, action: str):
    """(network, target, parsed command) for /nban and /unnban, once this chat's network lets the caller act."""
    network = await _network_here(inv)
    if network is None or not await _network_admin(inv, network):
        return None
    found = await resolve(inv, action)
    return None if found is None else (network, *found)


async def cmd_nban(inv: Invocation) -> None:
    found = await _network_target(inv, "nban")
    if found is None:
        return
    network, target, parsed = found
    if target.is_channel:
        await inv.reply(t(inv.lang, "mod_err_channel_target"))
        return
    await inv.ops.storage.mod_add_network_ban(
        network["id"], target.user_id, actor_id=inv.actor.id, reason=parsed.reason, when=inv.ops.now()
    )
    await inv.ops.record(
        inv.chat,
        inv.settings,
        action="nban",
        actor=inv.actor,
        target=target,
        reason=parsed.reason,
        rule=f"network:{network['id']}",
    )
    done, total, problems = await inv.ops.network_ban(network, target, actor=inv.actor, reason=parsed.reason)
    lines = [
        t(inv.lang, "mod_done_nban", name=target.html(), network=html.escape(network["name"]), count=done, total=total)
    ]
    if parsed.reason:
        lines.append(t(inv.lang, "mod_reason", reason=html.escape(parsed.reason)))
    lines.extend(problems[:10])
    await inv.reply("\n".join(lines))


async def cmd_unnban(inv: Invocation) -> None:
    found = await _network_target(inv, "unnban")
    if found is None:
        return
    network, target, parsed = found
    if not await inv.ops.storage.mod_remove_network_ban(network["id"], target.user_id):
        await inv.reply(t(inv.lang, "mod_not_network_banned", name=target.html()))
        return
    await inv.ops.record(
        inv.chat,
        inv.settings,
        action="unnban",
        actor=inv.actor,
        target=target,
        reason=parsed.reason,
        rule=f"network:{network['id']}",
    )
    done, total, problems = await inv.ops.network_ban(
        network, target, actor=inv.actor, reason=parsed.reason, unban=True
    )
    lines = [
        t(
            inv.lang,
            "mod_done_unnban",
            name=target.html(),
            network=html.escape(network["name"]),
            count=done,
            total=total,
        )
    ]
    lines.extend(problems[:10])
    await inv.reply("\n".join(lines))


async def cmd_newnet(inv: Invocation) -> None:
    """Anyone may create a network in a private chat; in a group only its owner. Chats join with /joinnet."""
    if inv.chat.type != Chat.PRIVATE and not may_join_network(
        await inv.ops.actor(inv.chat.id, inv.actor.id), global_moderator=inv.ops.is_global_moderator(inv.actor.id)
    ):
        await inv.refuse(t(inv.lang, "mod_refuse_owner_only"))
        return
    name = " ".join(inv.args).strip()
    if not name or len(name) > NETWORK_NAME_LIMIT:
        await inv.reply(t(inv.lang, "mod_err_network_name", limit=NETWORK_NAME_LIMIT))
        return
    network_id = await inv.ops.storage.mod_create_network(name, inv.actor.id, inv.ops.now())
    await inv.ops.storage.mod_add_audit(
        chat_id=inv.chat.id,
        action="network_create",
        actor_id=inv.actor.id,
        detail=f"{network_id} {name}",
        when=inv.ops.now(),
    )
    await inv.reply(t(inv.lang, "mod_network_created", name=html.escape(name), id=network_id))


async def cmd_joinnet(inv: Invocation) -> None:
    if not may_join_network(
        await inv.ops.actor(inv.chat.id, inv.actor.id), global_moderator=inv.ops.is_global_moderator(inv.actor.id)
    ):
        await inv.refuse(t(inv.lang, "mod_refuse_owner_only"))
        return
    network_id = (inv.args[0] if inv.args else "").strip().lower()
    network = await inv.ops.storage.mod_network(network_id) if network_id else None
    if network is None:
        await inv.reply(t(inv.lang, "mod_err_unknown_network", id=html.escape(network_id[:20] or "—")))
        return
    await inv.ops.storage.mod_join_network(
        inv.chat.id, network_id, title=(inv.chat.title or "")[:128], joined_by=inv.actor.id, when=inv.ops.now()
    )
    await inv.ops.record(
        inv.chat,
        inv.settings,
        action="network_join",
        actor=inv.actor,
        rule=f"network:{network_id}",
        detail=network["name"],
    )
    await inv.reply(t(inv.lang, "mod_network_joined", name=html.escape(network["name"])))


async def cmd_leavenet(inv: Invocation) -> None:
    if not may_join_network(
        await inv.ops.actor(inv.chat.id, inv.actor.id), global_moderator=inv.ops.is_global_moderator(inv.actor.id)
    ):
        await inv.refuse(t(inv.lang, "mod_refuse_owner_only"))
        return
    network_id = await inv.ops.storage.mod_network_of_chat(inv.chat.id)
    if network_id is None or not await inv.ops.storage.mod_leave_network(inv.chat.id):
        await inv.reply(t(inv.lang, "mod_err_no_network"))
        return
    await inv.ops.record(inv.chat, inv.settings, action="network_leave", actor=inv.actor, rule=f"network:{network_id}")
    await inv.reply(t(inv.lang, "mod_network_left"))


async def cmd_netinfo(inv: Invocation) -> None:
    network = await _network_here(inv)
    if network is None:
        return
    chats = "\n".join("• " + html.escape(title or str(chat_id)) for chat_id, title in network["chats"][:30])
    await inv.reply(
        t(
            inv.lang,
            "mod_network_info",
            name=html.escape(network["name"]),
            id=network["id"],
            chats=str(len(network["chats"])),
            bans=str(network["bans"]),
            owner=mention_html(network["owner_id"], str(network["owner_id"])),
        )
        + "\n"
        + chats
    )


async def _network_promotion(inv: Invocation, promote: bool) -> None:
    network = await _network_here(inv)
    if network is None:
        return
    if inv.actor.id != network["owner_id"] and not inv.ops.is_global_moderator(inv.actor.id):
        await inv.refuse(t(inv.lang, "mod_refuse_network_owner"))
        return
    found = await resolve(inv, "network_admin", in_chat=False)
    if found is None:
        return
    target = found[0]
    changed = await inv.ops.storage.mod_set_network_admin(network["id"], target.user_id, promote)
    if changed:
        await inv.ops.record(
            inv.chat,
            inv.settings,
            action="network_promote" if promote else "network_demote",
            actor=inv.actor,
            target=target,
            rule=f"network:{network['id']}",
        )
    key = "mod_network_promoted" if promote else "mod_network_demoted"
    await inv.reply(t(inv.lang, key, name=target.html(), network=html.escape(network["name"])))


async def cmd_npromote(inv: Invocation) -> None:
    await _network_promotion(inv, True)


async def cmd_ndemote(inv: Invocation) -> None:
    await _network_promotion(inv, False)


async def _block(inv: Invocation, block: bool) -> None:
    """The bot-wide block list, for global moderators (BOT_MODERATOR_IDS): the bot ignores the user everywhere."""
    if not inv.ops.is_global_moderator(inv.actor.id):
        await inv.refuse(t(inv.lang, "mod_refuse_global_only"))
        return
    found = await resolve(inv, "block" if block else "unblock", in_chat=False)
    if found is None:
        return
    target, parsed = found
    storage = inv.ops.storage
    if block:
        changed = await storage.mod_block_user(
            target.user_id, actor_id=inv.actor.id, reason=parsed.reason, when=inv.ops.now()
        )
    else:
        changed = await storage.mod_unblock_user(target.user_id)
    if await inv.ops.is_blocked(target.user_id) != block:  # keep the in-memory copy in step
        (inv.ops.mod.blocked.add if block else inv.ops.mod.blocked.discard)(target.user_id)
    if not changed:
        await inv.reply(t(inv.lang, "mod_already_blocked" if block else "mod_not_blocked", name=target.html()))
        return
    await storage.mod_add_audit(
        chat_id=inv.chat.id,
        action="block" if block else "unblock",
        actor_id=inv.actor.id,
        target_id=target.user_id,
        reason=parsed.reason,
        when=inv.ops.now(),
    )
    await inv.done(None, "mod_done_block" if block else "mod_done_unblock", target, reason=parsed.reason)


async def cmd_block(inv: Invocation) -> None:
    await _block(inv, True)


async def cmd_unblock(inv: Invocation) -> None:
    await _block(inv, False)
