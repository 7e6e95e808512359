"""Who may do what to whom: the actor's right, the bot's own right and the target's protection.

Statuses are Telegram's (`creator`, `administrator`, `member`, `restricted`, `left`, `kicked`) plus
`unknown` when Telegram could not say; rights are the Bot API's `can_*` field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS_ADMIN_ID = 1087968824  # @GroupAnonymousBot: messages an anonymous admin sends "as the group"
TELEGRAM_SERVICE_ID = 777000  # Telegram itself: automatic forwards from a linked channel, service notices
CHANNEL_BOT_ID = 136817688  # @Channel_Bot: the sender shown for messages posted "as a channel"
SERVICE_IDS = frozenset({ANONYMOUS_ADMIN_ID, TELEGRAM_SERVICE_ID, CHANNEL_BOT_ID})

RESTRICT = "can_restrict_members"
DELETE = "can_delete_messages"
CHANGE_INFO = "can_change_info"
ANY_ADMIN = "admin"  # any administrator, whatever the rights
RIGHTS = (
    RESTRICT,
    DELETE,
    CHANGE_INFO,
    "can_pin_messages",
    "can_invite_users",
    "can_promote_members",
    "can_manage_chat",
    "can_manage_video_chats",
    "can_manage_topics",
)


@dataclass(frozen=True)
class ActionRule:
    right: str | None  # what the person asking needs; None: any member
    bot_right: str | None  # what the bot itself needs to carry it out
    protects_target: bool = True  # refused against admins, the owner, the bot and Telegram's accounts
    needs_presence: bool = False  # the target must be in the chat (kick, mute, warn)


ACTIONS: dict[str, ActionRule] = {
    "ban": ActionRule(RESTRICT, RESTRICT),
    "unban": ActionRule(RESTRICT, RESTRICT),
    "kick": ActionRule(RESTRICT, RESTRICT, needs_presence=True),
    "mute": ActionRule(RESTRICT, RESTRICT, needs_presence=True),
    "unmute": ActionRule(RESTRICT, RESTRICT),
    "warn": ActionRule(RESTRICT, RESTRICT, needs_presence=True),
    "unwarn": ActionRule(RESTRICT, None),
    "approve": ActionRule(RESTRICT, None, protects_target=False),
    "unapprove": ActionRule(RESTRICT, None, protects_target=False),
    "del": ActionRule(DELETE, DELETE, protects_target=False),
    "purge": ActionRule(DELETE, DELETE, protects_target=False),
    "settings": ActionRule(CHANGE_INFO, None, protects_target=False),
    "settings_view": ActionRule(ANY_ADMIN, None, protects_target=False),
    "modlog": ActionRule(ANY_ADMIN, None, protects_target=False),
    "admincache": ActionRule(ANY_ADMIN, None, protects_target=False),
    "warns_other": ActionRule(ANY_ADMIN, None, protects_target=False),
    "report": ActionRule(None, None),
    "nban": ActionRule(None, RESTRICT),  # network admins, checked with may_manage_network
    "unnban": ActionRule(None, RESTRICT, protects_target=False),
    "network_admin": ActionRule(None, None, protects_target=False),  # network owner only, checked by the handler
    "block": ActionRule(None, None),  # global moderators only, checked by the handler
    "unblock": ActionRule(None, None, protects_target=False),
    "network": ActionRule(None, None, protects_target=False),  # /newnet, /joinnet…: checked by the handler
    "help": ActionRule(None, None, protects_target=False),
}


@dataclass(frozen=True)
class Member:
    """A person's standing in one chat, as Telegram reported it."""

    user_id: int
    status: str = "unknown"
    rights: frozenset[str] = field(default_factory=frozenset)
    is_anonymous: bool = False
    is_member: bool = True  # for `restricted`: whether they are still in the chat

    @property
    def is_admin(self) -> bool:
        return self.status in ("creator", "administrator")

    @property
    def is_owner(self) -> bool:
        return self.status == "creator"

    @property
    def in_chat(self) -> bool:
        if self.status == "restricted":
            return self.is_member
        return self.status in ("creator", "administrator", "member")

    def has(self, right: str) -> bool:
        if self.status == "creator":
            return True
        if self.status != "administrator":
            return False
        return right == ANY_ADMIN or right in self.rights


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None = None  # a short code; the handler turns it into a `mod_refuse_<reason>` text
    right: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)


def actor_verdict(action: str, actor: Member | None, *, global_moderator: bool = False) -> Verdict:
    """May this person ask for `action`? Global moderators (BOT_MODERATOR_IDS) may do everything."""
    needed = ACTIONS[action].right
    if needed is None or global_moderator:
        return ALLOWED
    if actor is None or not actor.is_admin:
        return Verdict(False, "not_admin")
    if actor.has(needed):
        return ALLOWED
    return Verdict(False, "missing_right", needed)


def bot_verdict(action: str, bot: Member | None) -> Verdict:
    """Can the bot carry `action` out with its own rights in this chat?"""
    needed = ACTIONS[action].bot_right
    if needed is None:
        return ALLOWED
    if bot is None or not bot.is_admin:
        return Verdict(False, "bot_not_admin")
    if bot.has(needed):
        return ALLOWED
    return Verdict(False, "bot_missing_right", needed)


def target_verdict(
    action: str,
    target_id: int,
    target: Member | None,
    *,
    bot_id: int,
    global_moderators: frozenset[int] = frozenset(),
    actor_id: int | None = None,
) -> Verdict:
    """The bot never acts against itself, Telegram's accounts, the owner, an administrator or a global moderator."""
    rule = ACTIONS[action]
    if not rule.protects_target:
        return ALLOWED
    if target_id == bot_id:
        return Verdict(False, "self")
    if target_id in SERVICE_IDS:
        return Verdict(False, "service")
    if target is not None and target.is_owner:
        return Verdict(False, "owner")
    if target is not None and target.status == "administrator":
        return Verdict(False, "admin")
    if target_id in global_moderators:
        return Verdict(False, "moderator")
    if actor_id is not None and target_id == actor_id:
        return Verdict(False, "yourself")
    if rule.needs_presence and target is not None and target.status != "unknown" and not target.in_chat:
        return Verdict(False, "not_in_chat")
    return ALLOWED


def may_manage_network(
    user_id: int, *, owner_id: int, network_admins: frozenset[int], global_moderators: frozenset[int] = frozenset()
) -> bool:
    """Network bans belong to the network's owner, the admins the owner named, and global moderators."""
    return user_id == owner_id or user_id in network_admins or user_id in global_moderators


def may_join_network(actor: Member | None, *, global_moderator: bool = False) -> bool:
    """Only a chat's owner (or a global moderator) puts the chat into a network or takes it out."""
    return global_moderator or (actor is not None and actor.is_owner)


def sender_kind(
    from_id: int | None, sender_chat_id: int | None, chat_id: int, is_automatic_forward: bool = False
) -> str:
    """`anonymous_admin`, `linked_channel`, `channel` (someone posting as a channel) or `user`."""
    if sender_chat_id is not None and sender_chat_id == chat_id:
        return "anonymous_admin"
    if is_automatic_forward or from_id == TELEGRAM_SERVICE_ID:
        return "linked_channel"
    if sender_chat_id is not None:
        return "channel"
    return "user"


def exempt_from_rules(
    member: Member | None, *, user_id: int, approved: bool, global_moderator: bool, bot_id: int
) -> bool:
    """Admins, the owner, approved members, global moderators, the bot and Telegram's accounts skip the automatic
    rules."""
    if approved or global_moderator or user_id == bot_id or user_id in SERVICE_IDS:
        return True
    return member is not None and member.is_admin
