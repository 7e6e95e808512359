"""Commands on members: ban, mute, kick and their undoing, warnings, approval."""

from __future__ import annotations

import datetime as dt
import html

from bot.core.moderation.night import ALMATY
from bot.core.moderation.permissions import actor_verdict
from bot.enforcement import Target
from bot.handlers.moderation.framework import Invocation
from bot.handlers.moderation.targets import replied_to, resolve, text_mention
from bot.i18n import t


async def _punishment(inv: Invocation, action: str, *, wants_duration: bool) -> None:
    found = await resolve(inv, action, wants_duration=wants_duration)
    if found is None:
        return
    target, parsed = found
    if target.is_channel and action not in ("ban", "unban"):
        await inv.reply(t(inv.lang, "mod_err_channel_target"))
        return
    failure = await inv.ops.punish(
        inv.chat, inv.settings, action, target, actor=inv.actor, reason=parsed.reason, duration=parsed.duration
    )
    await inv.done(
        failure,
        f"mod_done_{action}",
        target,
        reason=parsed.reason,
        duration=parsed.duration,
        show_duration=action in ("ban", "mute") and not target.is_channel,
    )


async def cmd_ban(inv: Invocation) -> None:
    await _punishment(inv, "ban", wants_duration=True)


async def cmd_unban(inv: Invocation) -> None:
    await _punishment(inv, "unban", wants_duration=False)


async def cmd_kick(inv: Invocation) -> None:
    await _punishment(inv, "kick", wants_duration=False)


async def cmd_mute(inv: Invocation) -> None:
    await _punishment(inv, "mute", wants_duration=True)


async def cmd_unmute(inv: Invocation) -> None:
    await _punishment(inv, "unmute", wants_duration=False)


async def cmd_warn(inv: Invocation) -> None:
    found = await resolve(inv, "warn")
    if found is None:
        return
    target, parsed = found
    if target.is_channel:
        await inv.reply(t(inv.lang, "mod_err_channel_target"))
        return
    result = await inv.ops.warn(inv.chat, inv.settings, target, actor=inv.actor, reason=parsed.reason)
    lines = [t(inv.lang, "mod_done_warn", name=target.html()) + " " + result.text(inv.lang, target)]
    if parsed.reason:
        lines.append(t(inv.lang, "mod_reason", reason=html.escape(parsed.reason)))
    await inv.reply("\n".join(lines))


async def cmd_unwarn(inv: Invocation) -> None:
    found = await resolve(inv, "unwarn")
    if found is None:
        return
    target, parsed = found
    storage, now = inv.ops.storage, inv.ops.now()
    if not await storage.mod_remove_last_warning(inv.chat.id, target.user_id, now):
        await inv.reply(t(inv.lang, "mod_no_warns", name=target.html()))
        return
    count = len(await storage.mod_warnings(inv.chat.id, target.user_id, now))
    await inv.ops.record(
        inv.chat,
        inv.settings,
        action="unwarn",
        actor=inv.actor,
        target=target,
        reason=parsed.reason,
        detail=f"{count}/{inv.settings.warn_limit}",
    )
    await inv.done(
        None, "mod_done_unwarn", target, reason=parsed.reason, count=str(count), limit=str(inv.settings.warn_limit)
    )


async def cmd_warns(inv: Invocation) -> None:
    """Anyone may see their own warnings; an admin may see anyone's."""
    if replied_to(inv.message) is None and not inv.args and text_mention(inv.message) is None:
        target = Target.of(inv.actor)
    else:
        verdict = actor_verdict(
            "warns_other",
            await inv.ops.actor(inv.chat.id, inv.actor.id),
            global_moderator=inv.ops.is_global_moderator(inv.actor.id),
        )
        if not verdict:
            await inv.refuse(inv.verdict_text(verdict))
            return
        found = await resolve(inv, "warns_other", in_chat=False)
        if found is None:
            return
        target = found[0]
    warnings = await inv.ops.storage.mod_warnings(inv.chat.id, target.user_id, inv.ops.now())
    if not warnings:
        await inv.reply(t(inv.lang, "mod_no_warns", name=target.html()))
        return
    lines = [
        t(inv.lang, "mod_warns_list", name=target.html(), count=str(len(warnings)), limit=str(inv.settings.warn_limit))
    ]
    for number, warning in enumerate(warnings, 1):
        when = dt.datetime.fromisoformat(warning["created_at"]).astimezone(ALMATY).strftime("%d.%m.%Y")
        reason = html.escape(warning["reason"] or "—")
        lines.append(f"{number}. {when}: {reason}")
    await inv.reply("\n".join(lines))


async def cmd_approve(inv: Invocation) -> None:
    found = await resolve(inv, "approve", in_chat=False)
    if found is None:
        return
    target, parsed = found
    if not await inv.ops.storage.mod_approve(inv.chat.id, target.user_id, inv.actor.id, inv.ops.now()):
        await inv.reply(t(inv.lang, "mod_already_approved", name=target.html()))
        return
    await inv.ops.record(inv.chat, inv.settings, action="approve", actor=inv.actor, target=target, reason=parsed.reason)
    await inv.done(None, "mod_done_approve", target)


async def cmd_unapprove(inv: Invocation) -> None:
    found = await resolve(inv, "unapprove", in_chat=False)
    if found is None:
        return
    target, parsed = found
    if not await inv.ops.storage.mod_unapprove(inv.chat.id, target.user_id):
        await inv.reply(t(inv.lang, "mod_not_approved", name=target.html()))
        return
    await inv.ops.record(
        inv.chat, inv.settings, action="unapprove", actor=inv.actor, target=target, reason=parsed.reason
    )
    await inv.done(None, "mod_done_unapprove", target)


async def cmd_approved(inv: Invocation) -> None:
    ids = await inv.ops.storage.mod_approved(inv.chat.id)
    if not ids:
        await inv.reply(t(inv.lang, "mod_approved_none"))
        return
    names = await inv.ops.storage.mod_usernames(ids)
    shown = [Target(i, username=(names.get(i) or "").lstrip("@") or None).html() for i in ids[:50]]
    await inv.reply(t(inv.lang, "mod_approved_list", count=str(len(ids))) + "\n" + ", ".join(shown))
