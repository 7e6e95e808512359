"""Configuration from environment variables, checked once at start-up.

A missing or malformed value raises `ConfigError` with one line that names the variable,
so `python -m bot run` can stop with a clear message instead of a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
DEFAULT_DATA_DIR = Path("data")
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
DEFAULT_RETENTION_DAYS = 90
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """One line naming the variable and what is wrong with it."""


@dataclass(frozen=True)
class Config:
    token: str | None = field(repr=False)  # never in a repr: a logged Config must not leak it
    api_base_url: str | None = None
    api_base_file_url: str | None = None
    db_path: Path = DEFAULT_DATA_DIR / "bot.sqlite3"
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    moderator_ids: frozenset[int] = field(default_factory=frozenset)
    user_key_secret: str | None = field(default=None, repr=False)
    retention_days: int = DEFAULT_RETENTION_DAYS
    watch_knowledge: bool = False
    log_level: str = "INFO"
    # production (issue 6): webhook, health, Telegram's limits
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    heartbeat_file: Path | None = None
    rate_limit: bool = True
    concurrent_updates: int = 8
    api_timeout: float = 10.0
    match_worker: str = "auto"  # auto | on | off: match questions in a worker process (bot/matchworker.py)

    @property
    def webhook_path(self) -> str:
        """The path part of the webhook URL, where the bot's web server listens."""
        return urlsplit(self.webhook_url or "").path.strip("/")

    @property
    def data_dir(self) -> Path:
        return self.db_path.parent


def _url(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"{name} must be an http(s) URL such as http://127.0.0.1:8081/bot, got {value!r}")
    return value


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "").strip()
    if not raw:
        return frozenset()
    ids = set()
    for part in raw.split(","):
        part = part.strip()
        if not re.fullmatch(r"-?\d{1,20}", part):
            raise ConfigError(f"{name} must be comma-separated Telegram ids (numbers), got {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def _retention(env: Mapping[str, str]) -> int:
    raw = env.get("BOT_RETENTION_DAYS", "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    if not re.fullmatch(r"\d{1,5}", raw) or not 1 <= int(raw) <= 3650:
        raise ConfigError(f"BOT_RETENTION_DAYS must be a number of days from 1 to 3650, got {raw!r}")
    return int(raw)


def _switch(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0 (also true/false, yes/no, on/off), got {raw!r}")


def _match_worker(env: Mapping[str, str]) -> str:
    raw = env.get("BOT_MATCH_WORKER", "").strip().lower() or "auto"
    if raw == "auto":
        return raw
    try:
        return "on" if _switch(env, "BOT_MATCH_WORKER") else "off"
    except ConfigError:
        raise ConfigError(f"BOT_MATCH_WORKER must be auto, on or off, got {raw!r}") from None


def _log_level(env: Mapping[str, str]) -> str:
    raw = env.get("BOT_LOG_LEVEL", "").strip().upper() or "INFO"
    if raw not in LOG_LEVELS:
        raise ConfigError(f"BOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return raw


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float, integer: bool = True) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{name} must be {kind} from {low:g} to {high:g}, got {raw!r}")
    return value


def _webhook(env: Mapping[str, str]) -> dict:
    url = env.get("BOT_WEBHOOK_URL", "").strip() or None
    if url is not None and not re.match(r"^https://[^\s/?#]+(/[^\s?#]*)?$", url):
        raise ConfigError(
            "BOT_WEBHOOK_URL must be the public https:// URL Telegram posts updates to, "
            f"such as https://bot.example.org/telegram, got {url!r}"
        )
    listen = env.get("BOT_WEBHOOK_LISTEN", "").strip() or "0.0.0.0"
    if not re.fullmatch(r"[0-9A-Za-z.:\[\]-]{1,253}", listen):
        raise ConfigError(
            f"BOT_WEBHOOK_LISTEN must be an address to listen on, such as 0.0.0.0 or 127.0.0.1, got {listen!r}"
        )
    secret = env.get("BOT_WEBHOOK_SECRET", "").strip() or None
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
        raise ConfigError(
            "BOT_WEBHOOK_SECRET must be 16 to 256 characters of letters, digits, _ and - (Telegram's rule)"
        )
    return {
        "webhook_url": url,
        "webhook_listen": listen,
        "webhook_secret": secret,
        "webhook_port": int(_number(env, "BOT_WEBHOOK_PORT", 8443, 1, 65535)),
    }


def require_webhook(config: Config) -> None:
    """`run --webhook` needs the public URL and the secret token Telegram sends back with every update."""
    if not config.webhook_url:
        raise ConfigError("BOT_WEBHOOK_URL is not set: webhook mode needs the public https:// URL of this bot")
    if not config.webhook_secret:
        raise ConfigError(
            "BOT_WEBHOOK_SECRET is not set: webhook mode needs a secret (16+ letters, digits, _ or -) "
            "to check every request"
        )


def load_config(env: Mapping[str, str] | None = None, require_token: bool = True) -> Config:
    env = os.environ if env is None else env
    token = env.get("BOT_TOKEN", "").strip() or None
    if require_token and token is None:
        raise ConfigError("BOT_TOKEN is not set: get a token from @BotFather and run BOT_TOKEN=... python -m bot run")
    if token is not None and not _TOKEN.match(token):
        raise ConfigError(
            "BOT_TOKEN does not look like a bot token (digits, a colon, then letters, digits, - or _), "
            "as @BotFather gives it"
        )
    knowledge_dir = Path(env.get("BOT_KNOWLEDGE_DIR", "").strip() or DEFAULT_KNOWLEDGE_DIR)
    if not knowledge_dir.is_dir():
        raise ConfigError(f"BOT_KNOWLEDGE_DIR: folder {str(knowledge_dir)!r} does not exist")
    db_raw = env.get("BOT_DB_PATH", "").strip()
    db_path = Path(db_raw) if db_raw else DEFAULT_DATA_DIR / "bot.sqlite3"
    if db_path.exists() and db_path.is_dir():
        raise ConfigError(f"BOT_DB_PATH: {str(db_path)!r} is a folder; give a file path such as data/bot.sqlite3")
    secret = env.get("BOT_USER_KEY_SECRET", "").strip() or None
    if secret is not None and len(secret) < 16:
        raise ConfigError(
            "BOT_USER_KEY_SECRET must be at least 16 characters (or unset, to generate one in the data folder)"
        )
    return Config(
        token=token,
        api_base_url=_url(env, "BOT_API_BASE_URL"),
        api_base_file_url=_url(env, "BOT_API_BASE_FILE_URL"),
        db_path=db_path,
        knowledge_dir=knowledge_dir,
        moderator_ids=_ids(env, "BOT_MODERATOR_IDS"),
        user_key_secret=secret,
        retention_days=_retention(env),
        watch_knowledge=_switch(env, "BOT_WATCH_KNOWLEDGE"),
        log_level=_log_level(env),
        **_webhook(env),
        heartbeat_file=Path(env["BOT_HEARTBEAT_FILE"].strip()) if env.get("BOT_HEARTBEAT_FILE", "").strip() else None,
        rate_limit=not env.get("BOT_RATE_LIMIT", "").strip() or _switch(env, "BOT_RATE_LIMIT"),
        concurrent_updates=int(_number(env, "BOT_CONCURRENT_UPDATES", 8, 1, 256)),
        api_timeout=_number(env, "BOT_API_TIMEOUT", 10.0, 0.1, 300.0, integer=False),
        match_worker=_match_worker(env),
    )
