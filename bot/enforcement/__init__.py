"""Carrying moderation out on Telegram: admin lists, actions, the audit trail, the log channel and notices.

The decisions come from `bot.core.moderation`; this package asks Telegram, acts, and records what
really happened. `Ops` is one object per update or job run, built in layers by responsibility:
`caches` (who is who, chat settings), `actions` (notices, audit, Telegram's actions, warnings),
`rules` (the automatic rules, joins, network bans) and `night` (night mode's lock). `values` holds
the target, failures and their texts. `bot/handlers/moderation/` holds the thin handlers that call in here.
"""

from __future__ import annotations

from bot.enforcement.night import Night
from bot.enforcement.rules import Rules
from bot.enforcement.values import Failure, Target, WarnResult, failure_from, format_duration, member_from, rule_name

__all__ = ["Failure", "Ops", "Target", "WarnResult", "failure_from", "format_duration", "member_from", "rule_name"]


class Ops(Rules, Night):
    """Moderation operations for one application: cheap to build, one per update or job run."""
