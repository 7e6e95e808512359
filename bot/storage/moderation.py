"""Moderation's tables (issue 3): users seen in groups, chat settings, warnings, approvals, join times,
networks of chats with their admins and bans, blocked users and the audit. Only what moderation needs:
ids, usernames, times, reasons. Times are UTC ISO strings to the second (`ts`), so they compare as text."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import cast

from bot.storage.migrations import Database
from bot.storage.rows import (
    AuditRow,
    MemberState,
    Network,
    NetworkBan,
    NetworkName,
    PruneCounts,
    WarningRow,
    parse_ts,
    ts,
)


class ModerationStore(Database):
    async def mod_seen_user(self, user_id: int, username: str | None, when: dt.datetime | None = None) -> None:
        """Remember a user the bot has seen in a group (id and @username only), for /ban @username."""
        now = ts(when)
        username = username.lower() if username else None
        async with self._lock:
            if username:  # a username belongs to one account at a time
                await self._db.execute(
                    "UPDATE mod_seen_users SET username = NULL WHERE username = ? AND user_id != ?", (username, user_id)
                )
            await self._db.execute(
                """INSERT INTO mod_seen_users (user_id, username, first_seen, last_seen) VALUES (?, ?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, last_seen = excluded.last_seen""",
                (user_id, username, now, now),
            )
            await self._db.commit()

    async def mod_user_by_username(self, username: str) -> int | None:
        async with (
            self._lock,
            self._db.execute(
                "SELECT user_id FROM mod_seen_users WHERE username = ? ORDER BY last_seen DESC LIMIT 1",
                (username.lower().lstrip("@"),),
            ) as cursor,
        ):
            row = await cursor.fetchone()
            return row[0] if row else None

    async def mod_usernames(self, user_ids: list[int]) -> dict[int, str]:
        """id -> "@username" for the ids whose username is known."""
        ids = sorted({i for i in user_ids if i is not None})
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with (
            self._lock,
            self._db.execute(
                f"SELECT user_id, username FROM mod_seen_users WHERE user_id IN ({marks}) AND username IS NOT NULL", ids
            ) as cursor,
        ):
            return {row[0]: "@" + row[1] for row in await cursor.fetchall()}

    async def mod_chat_settings(self, chat_id: int) -> tuple[dict | None, dict | None]:
        """(settings, permissions saved by night mode) for a chat; (None, None) when never set."""
        async with (
            self._lock,
            self._db.execute(
                "SELECT settings, night_saved FROM mod_chat_settings WHERE chat_id = ?", (chat_id,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        if row is None:
            return None, None
        return json.loads(row[0]), (json.loads(row[1]) if row[1] else None)

    async def mod_save_chat_settings(self, chat_id: int, settings: dict) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_chat_settings (chat_id, settings, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET settings = excluded.settings,
                   updated_at = excluded.updated_at""",
                (chat_id, json.dumps(settings, ensure_ascii=False, sort_keys=True), ts()),
            )
            await self._db.commit()

    async def mod_set_night_saved(self, chat_id: int, permissions: dict | None) -> None:
        """Night mode's copy of the chat's daytime permissions (None once they are restored)."""
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_chat_settings (chat_id, settings, night_saved, updated_at) VALUES (?, '{}', ?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET night_saved = excluded.night_saved,
                   updated_at = excluded.updated_at""",
                (chat_id, json.dumps(permissions) if permissions is not None else None, ts()),
            )
            await self._db.commit()

    async def mod_all_chat_settings(self) -> list[tuple[int, dict, dict | None]]:
        async with (
            self._lock,
            self._db.execute("SELECT chat_id, settings, night_saved FROM mod_chat_settings ORDER BY chat_id") as cursor,
        ):
            return [(r[0], json.loads(r[1]), json.loads(r[2]) if r[2] else None) for r in await cursor.fetchall()]

    async def mod_add_warning(
        self,
        chat_id: int,
        user_id: int,
        *,
        actor_id: int | None,
        rule: str | None,
        reason: str,
        when: dt.datetime,
        expires_at: dt.datetime | None,
    ) -> int:
        """Store a warning and return how many unexpired warnings the member now has in this chat.

        One write transaction (BEGIN IMMEDIATE takes the write lock first) inserts and counts, so the
        count is this warning's own: concurrent warnings, even from other connections, never share one."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                await self._db.execute(
                    """INSERT INTO mod_warnings (chat_id, user_id, actor_id, rule, reason, created_at, expires_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    (chat_id, user_id, actor_id, rule, reason, ts(when), ts(expires_at) if expires_at else None),
                )
                async with self._db.execute(
                    """SELECT COUNT(*) FROM mod_warnings WHERE chat_id = ? AND user_id = ?
                       AND (expires_at IS NULL OR expires_at > ?)""",
                    (chat_id, user_id, ts(when)),
                ) as cursor:
                    row = await cursor.fetchone()
                    assert row is not None  # COUNT(*) always returns one row
                    count = row[0]
                await self._db.commit()
            except BaseException:
                await self._db.rollback()
                raise
            return count

    async def mod_warnings(self, chat_id: int, user_id: int, when: dt.datetime) -> list[WarningRow]:
        """Unexpired warnings, oldest first."""
        async with (
            self._lock,
            self._db.execute(
                """SELECT id, actor_id, rule, reason, created_at, expires_at FROM mod_warnings
               WHERE chat_id = ? AND user_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id""",
                (chat_id, user_id, ts(when)),
            ) as cursor,
        ):
            names = [d[0] for d in cursor.description]
            return [cast(WarningRow, dict(zip(names, row, strict=True))) for row in await cursor.fetchall()]

    async def mod_remove_last_warning(self, chat_id: int, user_id: int, when: dt.datetime) -> bool:
        async with self._lock:
            cursor = await self._db.execute(
                """DELETE FROM mod_warnings WHERE id = (
                       SELECT id FROM mod_warnings WHERE chat_id = ? AND user_id = ?
                       AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC LIMIT 1)""",
                (chat_id, user_id, ts(when)),
            )
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_clear_warnings(self, chat_id: int, user_id: int) -> int:
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM mod_warnings WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
            )
            await self._db.commit()
            return cursor.rowcount

    async def mod_approve(
        self, chat_id: int, user_id: int, actor_id: int | None, when: dt.datetime | None = None
    ) -> bool:
        """False when the member was already approved."""
        async with self._lock:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO mod_approvals (chat_id, user_id, approved_by, approved_at) VALUES (?, ?, ?, ?)",
                (chat_id, user_id, actor_id, ts(when)),
            )
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_unapprove(self, chat_id: int, user_id: int) -> bool:
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM mod_approvals WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
            )
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_approved(self, chat_id: int) -> list[int]:
        async with (
            self._lock,
            self._db.execute(
                "SELECT user_id FROM mod_approvals WHERE chat_id = ? ORDER BY approved_at", (chat_id,)
            ) as cursor,
        ):
            return [row[0] for row in await cursor.fetchall()]

    async def mod_record_join(self, chat_id: int, user_id: int, when: dt.datetime) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_members (chat_id, user_id, joined_at) VALUES (?, ?, ?)
                   ON CONFLICT (chat_id, user_id) DO UPDATE SET joined_at = excluded.joined_at""",
                (chat_id, user_id, ts(when)),
            )
            await self._db.commit()

    async def mod_forget_member(self, chat_id: int, user_id: int) -> None:
        """A member left: their join time is no longer needed."""
        async with self._lock:
            await self._db.execute("DELETE FROM mod_members WHERE chat_id = ? AND user_id = ?", (chat_id, user_id))
            await self._db.commit()

    async def mod_member_state(self, chat_id: int, user_id: int) -> MemberState:
        """What the automatic rules need about one member: approved?, join time, network and network ban."""
        async with (
            self._lock,
            self._db.execute(
                """SELECT
                 EXISTS (SELECT 1 FROM mod_approvals WHERE chat_id = :chat AND user_id = :user),
                 (SELECT joined_at FROM mod_members WHERE chat_id = :chat AND user_id = :user),
                 (SELECT network_id FROM mod_network_chats WHERE chat_id = :chat),
                 EXISTS (SELECT 1 FROM mod_network_bans b JOIN mod_network_chats c ON c.network_id = b.network_id
                         WHERE c.chat_id = :chat AND b.user_id = :user)""",
                {"chat": chat_id, "user": user_id},
            ) as cursor,
        ):
            row = await cursor.fetchone()
            assert row is not None  # a SELECT of EXISTS and sub-queries without FROM always returns one row
            approved, joined_at, network_id, banned = row
        return {
            "approved": bool(approved),
            "joined_at": parse_ts(joined_at),
            "network_id": network_id,
            "network_banned": bool(banned),
        }

    async def mod_create_network(self, name: str, owner_id: int, when: dt.datetime | None = None) -> str:
        async with self._lock:
            while True:
                network_id = secrets.token_hex(4)
                async with self._db.execute("SELECT 1 FROM mod_networks WHERE id = ?", (network_id,)) as cursor:
                    if await cursor.fetchone() is None:
                        break
            await self._db.execute(
                "INSERT INTO mod_networks (id, name, owner_id, created_at) VALUES (?, ?, ?, ?)",
                (network_id, name, owner_id, ts(when)),
            )
            await self._db.commit()
            return network_id

    async def mod_network(self, network_id: str) -> Network | None:
        """The network with its admins and chats, or None."""
        async with self._lock:
            async with self._db.execute(
                "SELECT id, name, owner_id, created_at FROM mod_networks WHERE id = ?", (network_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            async with self._db.execute(
                "SELECT user_id FROM mod_network_admins WHERE network_id = ?", (network_id,)
            ) as cursor:
                admins = frozenset(r[0] for r in await cursor.fetchall())
            async with self._db.execute(
                "SELECT chat_id, title FROM mod_network_chats WHERE network_id = ? ORDER BY joined_at", (network_id,)
            ) as cursor:
                chats = [(r[0], r[1]) for r in await cursor.fetchall()]
            async with self._db.execute(
                "SELECT COUNT(*) FROM mod_network_bans WHERE network_id = ?", (network_id,)
            ) as cursor:
                count_row = await cursor.fetchone()
                assert count_row is not None  # COUNT(*) always returns one row
                bans = count_row[0]
        return {
            "id": row[0],
            "name": row[1],
            "owner_id": row[2],
            "created_at": row[3],
            "admins": admins,
            "chats": chats,
            "bans": bans,
        }

    async def mod_networks_owned(self, owner_id: int) -> list[NetworkName]:
        async with (
            self._lock,
            self._db.execute(
                "SELECT id, name FROM mod_networks WHERE owner_id = ? ORDER BY created_at", (owner_id,)
            ) as cursor,
        ):
            return [{"id": r[0], "name": r[1]} for r in await cursor.fetchall()]

    async def mod_network_of_chat(self, chat_id: int) -> str | None:
        async with (
            self._lock,
            self._db.execute("SELECT network_id FROM mod_network_chats WHERE chat_id = ?", (chat_id,)) as cursor,
        ):
            row = await cursor.fetchone()
            return row[0] if row else None

    async def mod_join_network(
        self, chat_id: int, network_id: str, *, title: str, joined_by: int, when: dt.datetime | None = None
    ) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_network_chats (chat_id, network_id, title, joined_by, joined_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET network_id = excluded.network_id, title = excluded.title,
                   joined_by = excluded.joined_by, joined_at = excluded.joined_at""",
                (chat_id, network_id, title, joined_by, ts(when)),
            )
            await self._db.commit()

    async def mod_leave_network(self, chat_id: int) -> bool:
        async with self._lock:
            cursor = await self._db.execute("DELETE FROM mod_network_chats WHERE chat_id = ?", (chat_id,))
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_set_network_admin(self, network_id: str, user_id: int, admin: bool) -> bool:
        """Add or remove a network admin; False when nothing changed."""
        async with self._lock:
            if admin:
                cursor = await self._db.execute(
                    "INSERT OR IGNORE INTO mod_network_admins (network_id, user_id, added_at) VALUES (?, ?, ?)",
                    (network_id, user_id, ts()),
                )
            else:
                cursor = await self._db.execute(
                    "DELETE FROM mod_network_admins WHERE network_id = ? AND user_id = ?", (network_id, user_id)
                )
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_add_network_ban(
        self, network_id: str, user_id: int, *, actor_id: int, reason: str, when: dt.datetime | None = None
    ) -> None:
        async with self._lock:
            await self._db.execute(
                """INSERT INTO mod_network_bans (network_id, user_id, actor_id, reason, created_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (network_id, user_id) DO UPDATE SET actor_id = excluded.actor_id,
                   reason = excluded.reason, created_at = excluded.created_at""",
                (network_id, user_id, actor_id, reason, ts(when)),
            )
            await self._db.commit()

    async def mod_remove_network_ban(self, network_id: str, user_id: int) -> bool:
        async with self._lock:
            cursor = await self._db.execute(
                "DELETE FROM mod_network_bans WHERE network_id = ? AND user_id = ?", (network_id, user_id)
            )
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_network_ban(self, network_id: str, user_id: int) -> NetworkBan | None:
        async with (
            self._lock,
            self._db.execute(
                "SELECT actor_id, reason, created_at FROM mod_network_bans WHERE network_id = ? AND user_id = ?",
                (network_id, user_id),
            ) as cursor,
        ):
            row = await cursor.fetchone()
            return {"actor_id": row[0], "reason": row[1], "created_at": row[2]} if row else None

    async def mod_block_user(
        self, user_id: int, *, actor_id: int, reason: str, when: dt.datetime | None = None
    ) -> bool:
        """False when the user was already blocked."""
        async with self._lock:
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO mod_blocked_users (user_id, actor_id, reason, created_at) VALUES (?, ?, ?, ?)",
                (user_id, actor_id, reason, ts(when)),
            )
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_unblock_user(self, user_id: int) -> bool:
        async with self._lock:
            cursor = await self._db.execute("DELETE FROM mod_blocked_users WHERE user_id = ?", (user_id,))
            await self._db.commit()
            return cursor.rowcount > 0

    async def mod_blocked_ids(self) -> set[int]:
        async with self._lock, self._db.execute("SELECT user_id FROM mod_blocked_users") as cursor:
            return {row[0] for row in await cursor.fetchall()}

    async def mod_add_audit(
        self,
        *,
        chat_id: int,
        action: str,
        result: str = "ok",
        actor_id: int | None = None,
        rule: str | None = None,
        target_id: int | None = None,
        reason: str = "",
        duration: int | None = None,
        detail: str = "",
        when: dt.datetime | None = None,
    ) -> int:
        """One row per action, manual or automatic, as it really ended (`ok` or `failed` with Telegram's words)."""
        async with self._lock:
            cursor = await self._db.execute(
                """INSERT INTO mod_audit
                   (created_at, chat_id, actor_id, rule, target_id, action, reason, duration, result, detail)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (ts(when), chat_id, actor_id, rule, target_id, action, reason, duration, result, detail),
            )
            await self._db.commit()
            assert cursor.lastrowid is not None  # set by the INSERT just made
            return cursor.lastrowid

    async def mod_audit(self, chat_id: int | None = None, limit: int = 20) -> list[AuditRow]:
        """Recent audit rows, newest first (all chats when `chat_id` is None)."""
        where, params = ("WHERE chat_id = ?", (chat_id, limit)) if chat_id is not None else ("", (limit,))
        async with (
            self._lock,
            self._db.execute(
                f"""SELECT id, created_at, chat_id, actor_id, rule, target_id, action, reason, duration, result, detail
                FROM mod_audit {where} ORDER BY id DESC LIMIT ?""",
                params,
            ) as cursor,
        ):
            names = [d[0] for d in cursor.description]
            return [cast(AuditRow, dict(zip(names, row, strict=True))) for row in await cursor.fetchall()]

    async def mod_prune(
        self, when: dt.datetime, *, members_before: dt.datetime, seen_before: dt.datetime, audit_before: dt.datetime
    ) -> PruneCounts:
        """Forget what moderation no longer needs: expired warnings, old join times, long-unseen users,
        old audit rows."""
        deleted = []
        async with self._lock:
            for sql, params in (
                ("DELETE FROM mod_warnings WHERE expires_at IS NOT NULL AND expires_at <= ?", (ts(when),)),
                ("DELETE FROM mod_members WHERE joined_at < ?", (ts(members_before),)),
                ("DELETE FROM mod_seen_users WHERE last_seen < ?", (ts(seen_before),)),
                ("DELETE FROM mod_audit WHERE created_at < ?", (ts(audit_before),)),
            ):
                cursor = await self._db.execute(sql, params)
                deleted.append(cursor.rowcount)
            await self._db.commit()
        warnings, members, seen_users, audit = deleted
        return {"warnings": warnings, "members": members, "seen_users": seen_users, "audit": audit}
