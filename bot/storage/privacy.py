"""How the query log and the language preferences name a user without holding their Telegram id."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.storage.migrations import StorageError


class UserKeys:
    """Pseudonymous user keys: a keyed hash of the Telegram id, so the log never holds the id itself."""

    def __init__(self, secret: bytes):
        self._secret = secret
        self._keys: dict[int, str] = {}  # computed keys, remembered (two per message otherwise)

    def key(self, telegram_id: int) -> str:
        found = self._keys.get(telegram_id)
        if found is None:
            if len(self._keys) >= 100_000:
                self._keys.clear()
            found = self._keys[telegram_id] = hmac.new(
                self._secret, str(telegram_id).encode(), hashlib.sha256
            ).hexdigest()[:32]
        return found

    @classmethod
    def from_config(cls, secret: str | None, data_dir: Path) -> UserKeys:
        """Use the configured secret, or one generated once and kept owner-only in the data folder."""
        if secret:
            return cls(secret.encode())
        path = Path(data_dir) / "user-key.secret"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_hex(32))
            return cls(path.read_text().strip().encode())
        except OSError as exc:
            raise StorageError(f"cannot use the data folder {str(path.parent)!r}: {exc.strerror or exc}") from exc
