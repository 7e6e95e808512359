"""The automatic rules on group messages (network bans, flood, blocked words, newcomers' links, night),
joins and leaves, and bans across a network of chats."""

from __future__ import annotations

import datetime as dt
import html

from telegram import Chat, Message, User

from bot.core.moderation.links import scan_links
from bot.core.moderation.night import is_night, night_ends
from bot.core.moderation.permissions import exempt_from_rules, sender_kind
from bot.core.moderation.rules import is_newcomer, links_rule_applies
from bot.core.moderation.settings import ChatSettings
from bot.enforcement.actions import Actions
from bot.enforcement.values import Failure, Target, format_duration, has_media, local_time, message_entities
from bot.i18n import t

JOIN_DEDUP = dt.timedelta(minutes=1)  # a join arrives twice (chat_member update and service message)


class Rules(Actions):
    """The automatic rules and network bans, for `bot.enforcement.Ops`."""

    async def apply_rule(
        self,
        message: Message,
        settings: ChatSettings,
        *,
        rule: str,
        action: str,
        target: Target,
        notice: str,
        detail: str = "",
    ) -> None:
        """Delete the message, then warn / mute / kick / ban as the chat chose; explain in the chat or only in the
        log."""
        chat, lang = message.chat, settings.lang
        failure = await self.delete(chat.id, message.message_id)
        await self.record(chat, settings, action="delete", failure=failure, rule=rule, target=target, detail=detail)
        if target.is_channel or action == "delete":
            consequence = ""
        elif action == "warn":
            result = await self.warn(chat, settings, target, rule=rule)  # the rule column says why
            consequence = result.text(lang, target)
        else:
            duration = settings.mute_delta if action == "mute" else None
            punished = await self.punish(chat, settings, action, target, rule=rule, duration=duration)
            consequence = (
                punished.text(lang, target.html())
                if punished
                else t(lang, f"mod_then_{action}", duration=format_duration(lang, duration))
            )
        if failure is not None and not consequence:
            return  # nothing happened in the chat: the audit row says why, the chat need not hear it
        await self.say(chat.id, " ".join(p for p in (notice, consequence) if p), settings, automatic=True)

    async def scan(self, message: Message, edited: bool = False) -> None:
        """The automatic rules for one group message: network ban, flood, blocked words, newcomers' links, night."""
        chat = message.chat
        kind = sender_kind(
            message.from_user.id if message.from_user else None,
            message.sender_chat.id if message.sender_chat else None,
            chat.id,
            bool(message.is_automatic_forward),
        )
        if kind in ("anonymous_admin", "linked_channel") or message.from_user is None:
            return
        bot = await self.bot_member(chat.id)
        if bot is None or not bot.has("can_delete_messages"):
            return  # not an administrator who can delete: nothing the rules could do
        settings = await self.settings(chat.id)
        lang = settings.lang
        now = self.now()
        text = message.text or message.caption or ""
        if kind == "channel":  # someone posting as a channel: the message can only be deleted (or the channel banned)
            sender = message.sender_chat
            assert sender is not None  # "channel" is the kind of a message sent on behalf of a chat
            target = Target(sender.id, sender.title or sender.username, is_channel=True)
            hit = self.mod.words.find(text) if settings.words != "off" else None
            if hit or (settings.links != "off" and scan_links(text, message_entities(message)).has_links):
                await self.apply_rule(
                    message,
                    settings,
                    rule="words" if hit else "links",
                    action="delete",
                    target=target,
                    notice=t(lang, "mod_rule_channel", name=target.html()),
                )
            return
        user = message.from_user
        if user.id == self.bot.id:
            return
        admins = await self.admins(chat.id)
        state = await self.storage.mod_member_state(chat.id, user.id)
        target = Target.of(user)
        if state["network_banned"]:
            assert state["network_id"] is not None  # banned only through the chat's network
            await self.enforce_network_ban(chat, settings, target, state["network_id"], message=message)
            return
        if exempt_from_rules(
            admins.get(user.id),
            user_id=user.id,
            approved=state["approved"],
            global_moderator=self.is_global_moderator(user.id),
            bot_id=self.bot.id,
        ):
            return
        newcomer = is_newcomer(state["joined_at"], now, settings.newcomer_hours)
        subject = links_rule_applies(scope=settings.scope, newcomer=newcomer)
        flood_key = (chat.id, user.id)
        if (
            not edited
            and settings.flood != "off"
            and self.mod.flood.hit(flood_key, now.timestamp(), settings.flood_messages, settings.flood_seconds)
        ):
            self.mod.flood.reset(flood_key)
            await self.apply_rule(
                message,
                settings,
                rule="flood",
                action=settings.flood,
                target=target,
                notice=t(lang, "mod_rule_flood", name=target.html()),
                detail=f">{settings.flood_messages}/{settings.flood_seconds}s",
            )
            return
        if settings.words != "off":
            hit = self.mod.words.find(text)
            if hit:
                await self.apply_rule(
                    message,
                    settings,
                    rule="words",
                    action=settings.words,
                    target=target,
                    notice=t(lang, "mod_rule_words", name=target.html()),
                    detail=hit,
                )
                return
        links = scan_links(text, message_entities(message))
        if settings.links != "off" and subject and links.has_links:
            key = "mod_rule_links" if settings.scope == "newcomers" else "mod_rule_links_all"
            await self.apply_rule(
                message,
                settings,
                rule="links",
                action=settings.links,
                target=target,
                notice=t(lang, key, name=target.html(), hours=settings.newcomer_hours),
                detail=" ".join(links.links)[:300],
            )
            return
        if (
            settings.night != "off"
            and subject
            and is_night(now, settings.night_start, settings.night_end)
            and (links.has_links or has_media(message) or message.forward_origin is not None)
        ):
            until = local_time(night_ends(now, settings.night_start, settings.night_end))
            await self.apply_rule(
                message,
                settings,
                rule="night",
                action="delete",
                target=target,
                notice=t(lang, "mod_rule_night", name=target.html(), until=until),
            )

    # --- joins and network bans -------------------------------------------------------------

    async def joined(self, chat: Chat, user: User) -> None:
        """A member joined: note the time (for the newcomer rules) and remove them at once if the network bans them."""
        if user.is_bot:
            return
        now = self.now()
        key = (chat.id, user.id)
        last = self.mod.recent_joins.get(key)
        if last is not None and now - last < JOIN_DEDUP:
            return
        self.mod.recent_joins[key] = now
        await self.storage.mod_record_join(chat.id, user.id, now)
        await self.remember(user)
        state = await self.storage.mod_member_state(chat.id, user.id)
        if state["network_banned"]:
            assert state["network_id"] is not None  # banned only through the chat's network
            await self.enforce_network_ban(chat, await self.settings(chat.id), Target.of(user), state["network_id"])

    async def left(self, chat: Chat, user: User) -> None:
        await self.storage.mod_forget_member(chat.id, user.id)

    async def enforce_network_ban(
        self, chat: Chat, settings: ChatSettings, target: Target, network_id: str, message: Message | None = None
    ) -> None:
        """Someone on the network's ban list joined or spoke: remove them (never an admin of this chat)."""
        member = (await self.admins(chat.id)).get(target.user_id)
        if member is not None or self.is_global_moderator(target.user_id):
            return
        ban = await self.storage.mod_network_ban(network_id, target.user_id)
        reason = ban["reason"] if ban is not None else ""
        if message is not None:
            await self.delete(chat.id, message.message_id)
        failure = await self.punish(chat, settings, "ban", target, rule=f"network:{network_id}", reason=reason)
        if failure is None:
            await self.say(chat.id, t(settings.lang, "mod_rule_network", name=target.html()), settings, automatic=True)

    async def network_ban(
        self, network: dict, target: Target, *, actor: User, reason: str, unban: bool = False
    ) -> tuple[int, int, list[str]]:
        """Ban (or unban) in every chat of the network; (done, total, failure texts). Admins of a chat are skipped."""
        done, problems = 0, []
        for chat_id, title in network["chats"]:
            settings = await self.settings(chat_id)
            chat = Chat(chat_id, Chat.SUPERGROUP, title=title or None)
            admins = await self.admins(chat_id)
            if not unban and (
                target.user_id in admins or (await self.target_member(chat_id, target.user_id))[0].is_admin
            ):
                await self.record(
                    chat,
                    settings,
                    action="ban",
                    failure=Failure("target_admin", "administrator here"),
                    actor=actor,
                    rule=f"network:{network['id']}",
                    target=target,
                    reason=reason,
                )
                problems.append(f"{html.escape(title or str(chat_id))}: {t(settings.lang, 'mod_protect_short_admin')}")
                continue
            failure = await self.punish(
                chat,
                settings,
                "unban" if unban else "ban",
                target,
                actor=actor,
                rule=f"network:{network['id']}",
                reason=reason,
            )
            if failure is None:
                done += 1
            else:
                problems.append(f"{html.escape(title or str(chat_id))}: {failure.text(settings.lang, target.html())}")
        return done, len(network["chats"]), problems
