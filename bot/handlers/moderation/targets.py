"""Whom a command is aimed at: a reply, a mention, an @username seen before, or an id; after every check."""

from __future__ import annotations

import html

from telegram import Chat, Message, MessageEntity, User

from bot.core.moderation.commands import TargetArgs, parse_target_args
from bot.core.moderation.permissions import bot_verdict, target_verdict
from bot.enforcement import Target
from bot.handlers.moderation.framework import Invocation
from bot.i18n import t


def replied_to(message: Message) -> Message | None:
    reply = message.reply_to_message
    if reply is None or reply.forum_topic_created is not None:  # in a forum topic every message "replies" to its root
        return None
    return reply


def text_mention(message: Message) -> tuple[User, list[str]] | None:
    """A user picked from the mention list (no @username): the entity carries the user, the words after it are args."""
    for entity in message.entities or ():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            encoded = (message.text or "").encode("utf-16-le")
            rest = encoded[(entity.offset + entity.length) * 2 :].decode("utf-16-le", errors="ignore")
            return entity.user, rest.split()
    return None


def reply_target(reply: Message, chat: Chat) -> Target:
    if reply.sender_chat is not None and reply.sender_chat.id != chat.id and not reply.is_automatic_forward:
        return Target(reply.sender_chat.id, reply.sender_chat.title or reply.sender_chat.username, is_channel=True)
    assert reply.from_user is not None  # only a message in a channel has no sender, and this is a group
    return Target.of(reply.from_user)


async def resolve(
    inv: Invocation, action: str, *, wants_duration: bool = False, in_chat: bool = True
) -> tuple[Target, TargetArgs] | None:
    """The target of a command (reply, mention, @username seen before, or id) after every check; None once answered."""
    ops, lang = inv.ops, inv.lang
    if in_chat:
        verdict = bot_verdict(action, await ops.bot_member(inv.chat.id))
        if not verdict:
            await inv.reply(inv.verdict_text(verdict))
            return None
    mention = text_mention(inv.message)
    reply = replied_to(inv.message)
    if mention is not None:
        parsed = parse_target_args(mention[1], target_known=True, wants_duration=wants_duration)
    else:
        parsed = parse_target_args(inv.args, target_known=reply is not None, wants_duration=wants_duration)
    if parsed.error == "no_target":
        await inv.reply(t(lang, "mod_err_no_target"))
        return None
    if parsed.error == "bad_id":
        await inv.reply(t(lang, "mod_err_bad_id", token=html.escape(parsed.bad_token[:30])))
        return None
    if parsed.error == "bad_duration":
        await inv.reply(t(lang, "mod_err_bad_duration", token=html.escape(parsed.bad_token[:30])))
        return None
    if parsed.username:
        user_id = await ops.storage.mod_user_by_username(parsed.username)
        if user_id is None:
            await inv.reply(t(lang, "mod_err_unknown_username", username=html.escape(parsed.username)))
            return None
        target = Target(user_id, username=parsed.username)
    elif parsed.user_id is not None:
        known = await ops.storage.mod_usernames([parsed.user_id])
        target = Target(parsed.user_id, username=known.get(parsed.user_id, "").lstrip("@") or None)
    elif mention is not None:
        target = Target.of(mention[0])
    else:
        assert reply is not None  # without a reply, mention or argument parse_target_args answered "no_target"
        target = reply_target(reply, inv.chat)
    member = None
    if in_chat and not target.is_channel:
        member, user = await ops.target_member(inv.chat.id, target.user_id)
        if user is not None and not target.name:  # Telegram's name for a target given by @username or id
            target = Target.of(user)
    verdict = target_verdict(
        action,
        target.user_id,
        member,
        bot_id=ops.bot.id,
        global_moderators=ops.global_moderators,
        actor_id=inv.actor.id,
    )
    if not verdict:
        await inv.reply(t(lang, f"mod_protect_{verdict.reason}", name=target.html()))
        return None
    return target, parsed
