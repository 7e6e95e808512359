"""Commands on messages: /del, /purge, and /report for every member."""

from __future__ import annotations

import html

from telegram import Message
from telegram.error import TelegramError
from telegram.helpers import mention_html

from bot.core.moderation.permissions import bot_verdict, sender_kind
from bot.core.moderation.rules import PURGE_LIMIT, REPORT_COOLDOWN, can_delete, clip_reason, plan_purge, report_allowed
from bot.enforcement import Failure, failure_from
from bot.handlers.moderation.framework import Invocation
from bot.handlers.moderation.targets import replied_to, reply_target
from bot.i18n import t


async def _replied_message(inv: Invocation, action: str) -> Message | None:
    """The message a /del or /purge points at, once the bot may delete; None after telling why not."""
    verdict = bot_verdict(action, await inv.ops.bot_member(inv.chat.id))
    if not verdict:
        await inv.reply(inv.verdict_text(verdict))
        return None
    reply = replied_to(inv.message)
    if reply is None:
        await inv.reply(t(inv.lang, "mod_err_need_reply"))
    return reply


async def cmd_del(inv: Invocation) -> None:
    reply = await _replied_message(inv, "del")
    if reply is None:
        return
    target = reply_target(reply, inv.chat)
    failure: Failure | None
    if not can_delete(reply.date, inv.ops.now()):
        failure = Failure("cant_delete", "older than 48 hours")
    else:
        failure = await inv.ops.delete(inv.chat.id, reply.message_id)
    reason = clip_reason(" ".join(inv.args))
    await inv.ops.record(
        inv.chat,
        inv.settings,
        action="delete",
        failure=failure,
        actor=inv.actor,
        target=target,
        reason=reason,
        detail=f"message {reply.message_id}",
    )
    if failure is not None:
        await inv.reply(failure.text(inv.lang, target.html()))
        return
    await inv.ops.delete(inv.chat.id, inv.message.message_id)  # the command itself; fine if it cannot go
    lines = [t(inv.lang, "mod_done_del", name=target.html())]
    if reason:
        lines.append(t(inv.lang, "mod_reason", reason=html.escape(reason)))
    await inv.ops.say(inv.chat.id, "\n".join(lines), inv.settings)


async def cmd_purge(inv: Invocation) -> None:
    reply = await _replied_message(inv, "purge")
    if reply is None:
        return
    plan = plan_purge(reply.message_id, inv.message.message_id, reply.date, inv.ops.now())
    if plan.error:
        await inv.reply(t(inv.lang, f"mod_err_purge_{plan.error}", limit=PURGE_LIMIT))
        return
    failure = None
    deleted = 0
    for batch in plan.batches:
        try:
            await inv.ops.bot.delete_messages(inv.chat.id, list(batch))
        except TelegramError as exc:
            failure = failure_from(exc)
            break
        deleted += len(batch)
    await inv.ops.record(
        inv.chat,
        inv.settings,
        action="purge",
        failure=failure,
        actor=inv.actor,
        reason=clip_reason(" ".join(inv.args)),
        detail=f"messages {reply.message_id}-{inv.message.message_id}: {deleted} of {plan.count}",
    )
    if failure is not None and not deleted:
        await inv.reply(failure.text(inv.lang))
        return
    text = t(inv.lang, "mod_done_purge", count=str(deleted))
    if failure is not None:
        text += "\n" + failure.text(inv.lang)
    await inv.ops.say(inv.chat.id, text, inv.settings)


async def cmd_report(inv: Invocation) -> None:
    """Any member: point the admins at a message, at most once per REPORT_COOLDOWN."""
    reply = replied_to(inv.message)
    if reply is None:
        await inv.reply(t(inv.lang, "mod_err_report_reply"))
        return
    ops, now = inv.ops, inv.ops.now()
    target = reply_target(reply, inv.chat)
    admins = await ops.admins(inv.chat.id)
    if (
        target.user_id in admins
        or target.user_id == ops.bot.id
        or sender_kind(
            reply.from_user.id if reply.from_user else None,
            reply.sender_chat.id if reply.sender_chat else None,
            inv.chat.id,
            bool(reply.is_automatic_forward),
        )
        in ("anonymous_admin", "linked_channel")
    ):
        await inv.reply(t(inv.lang, "mod_err_report_admin"))
        return
    key = (inv.chat.id, inv.actor.id)
    if not report_allowed(ops.mod.reports.get(key), now) and inv.actor.id not in admins:
        await inv.reply(t(inv.lang, "mod_err_report_cooldown", minutes=int(REPORT_COOLDOWN.total_seconds() // 60)))
        return
    ops.mod.reports[key] = now
    reason = clip_reason(" ".join(inv.args))
    names = ops.mod.admin_names.get(inv.chat.id, {})
    mentions = ", ".join(mention_html(uid, name) for uid, name in list(names.items())[:20])
    lines = [t(inv.lang, "mod_report", reporter=mention_html(inv.actor.id, inv.actor.full_name), name=target.html())]
    if reason:
        lines.append(t(inv.lang, "mod_reason", reason=html.escape(reason)))
    if mentions:
        lines.append(mentions)
    await ops.record(
        inv.chat,
        inv.settings,
        action="report",
        actor=inv.actor,
        target=target,
        reason=reason,
        detail=f"message {reply.message_id}",
    )
    await ops.say(inv.chat.id, "\n".join(lines), inv.settings, reply_to=reply.message_id)
