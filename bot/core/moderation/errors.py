"""Telegram's refusals, read from the error description, turned into a short code the chat can be told."""

from __future__ import annotations

_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "target_admin",
        (
            "user is an administrator",
            "user_admin_invalid",
            "can't remove chat owner",
            "can't restrict self",
            "chat owner",
        ),
    ),
    (
        "bot_rights",
        (
            "not enough rights",
            "chat_admin_required",
            "have no rights",
            "need administrator rights",
            "admin privileges are required",
        ),
    ),
    ("supergroup_only", ("only for supergroups", "for supergroup")),
    ("cant_delete", ("message can't be deleted",)),
    ("message_gone", ("message to delete not found", "message not found", "message to forward not found")),
    (
        "user_not_found",
        (
            "user not found",
            "participant_id_invalid",
            "user_id_invalid",
            "user_not_participant",
            "member not found",
            "invalid user_id",
        ),
    ),
    ("chat_not_found", ("chat not found", "peer_id_invalid")),
)


def classify(description: str, *, forbidden: bool = False) -> str:
    """A code for `mod_err_<code>`: target_admin, bot_rights, cant_delete, user_not_found, bot_removed, telegram…"""
    text = description.lower()
    for code, needles in _PATTERNS:
        if any(needle in text for needle in needles):
            return code
    if forbidden:
        return "bot_removed"
    return "telegram"
