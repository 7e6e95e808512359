"""A chat's moderation settings: defaults, validation of `/settings <key> <value>`, and (de)serialisation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from bot.core.knowledge import LANGUAGES  # a chat is moderated in a language the answers are written in
from bot.core.moderation.durations import DurationError, parse_duration
from bot.core.moderation.night import NightHoursError, format_hours, parse_hours

RULE_ACTIONS = ("off", "delete", "warn", "mute", "ban")
FLOOD_ACTIONS = ("off", "delete", "warn", "mute", "kick", "ban")
WARN_ACTIONS = ("ban", "kick", "mute")
NIGHT_MODES = ("off", "delete", "lock")
_CHANNEL = re.compile(r"^(-100\d{5,16}|@[A-Za-z][A-Za-z0-9_]{3,31})$")


@dataclass(frozen=True)
class ChatSettings:
    lang: str = "ru"
    warn_limit: int = 3
    warn_action: str = "ban"
    warn_expiry: int = 30 * 86400  # seconds; 0: warnings never expire
    mute_time: int = 3600  # seconds: automatic mutes and the warn-limit mute
    links: str = "warn"
    scope: str = "newcomers"
    newcomer_hours: int = 24
    words: str = "warn"
    flood: str = "mute"
    flood_messages: int = 5
    flood_seconds: int = 5
    night: str = "delete"
    night_start: int = 0  # minutes after midnight, Almaty time
    night_end: int = 7 * 60
    notices: str = "chat"  # chat: explain automatic actions in the chat; log: only in the log
    autodelete: int = 0  # seconds after which the bot's confirmations and notices delete themselves; 0: never
    log_channel: str = ""  # "-100…" or "@channel"; empty: no log channel
    autoanswer: str = "off"  # on: the bot answers clear questions in the chat by itself (very confident matches only)
    faq_access: str = "admins"  # who may point a message to the FAQ with /faq: admins | all

    @property
    def warn_expiry_delta(self) -> dt.timedelta | None:
        return dt.timedelta(seconds=self.warn_expiry) if self.warn_expiry else None

    @property
    def mute_delta(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.mute_time)

    @property
    def night_hours(self) -> str:
        return format_hours(self.night_start, self.night_end)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> ChatSettings:
        """Stored settings over the defaults; anything unknown or invalid falls back to the default."""
        settings = cls()
        for name, value in (data or {}).items():
            default = getattr(settings, name, None)
            if default is None or type(value) is not type(default):
                continue
            candidate = dataclasses.replace(settings, **{name: value})
            if _valid(candidate):
                settings = candidate
        return settings


def _valid(s: ChatSettings) -> bool:
    return (
        s.lang in LANGUAGES
        and 1 <= s.warn_limit <= 20
        and s.warn_action in WARN_ACTIONS
        and s.warn_expiry >= 0
        and 60 <= s.mute_time <= 365 * 86400
        and s.links in RULE_ACTIONS
        and s.scope in ("newcomers", "all")
        and 1 <= s.newcomer_hours <= 720
        and s.words in RULE_ACTIONS
        and s.flood in FLOOD_ACTIONS
        and 2 <= s.flood_messages <= 50
        and 1 <= s.flood_seconds <= 300
        and s.night in NIGHT_MODES
        and 0 <= s.night_start < 1440
        and 0 <= s.night_end < 1440
        and s.night_start != s.night_end
        and s.notices in ("chat", "log")
        and s.autodelete >= 0
        and (s.log_channel == "" or bool(_CHANNEL.match(s.log_channel)))
        and s.autoanswer in ("off", "on")
        and s.faq_access in ("admins", "all")
    )


class SettingError(ValueError):
    """`code` names the problem (`unknown_key`, `bad_value`); `allowed` says what would be accepted."""

    def __init__(self, code: str, key: str, allowed: str = ""):
        super().__init__(code)
        self.code, self.key, self.allowed = code, key, allowed


# key → what the value may be, shown in /settings help and in errors
SETTING_KEYS: dict[str, str] = {
    "lang": "ru | en | kk",
    "warn_limit": "1…20",
    "warn_action": "ban | kick | mute",
    "warn_expiry": "30d | 12h | off",
    "mute_time": "30m | 1h | 1d",
    "links": "off | delete | warn | mute | ban",
    "scope": "newcomers | all",
    "newcomer_hours": "1…720",
    "words": "off | delete | warn | mute | ban",
    "flood": "off | delete | warn | mute | kick | ban",
    "flood_limit": "5/5 (messages/seconds)",
    "night": "off | delete | lock",
    "night_hours": "00:00-07:00",
    "notices": "chat | log",
    "autodelete": "off | 1m | 10m",
    "log": "off | -100… | @channel",
    "autoanswer": "off | on",
    "faq": "admins | all",
}


def _choice(key: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise SettingError("bad_value", key, SETTING_KEYS[key])
    return value


def _int(key: str, value: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\d{1,4}", value) or not low <= int(value) <= high:
        raise SettingError("bad_value", key, SETTING_KEYS[key])
    return int(value)


def _seconds(key: str, value: str, allow_off: bool) -> int:
    if allow_off and value in ("off", "0", "never"):
        return 0
    try:
        return int(parse_duration(value).total_seconds())
    except DurationError:
        raise SettingError("bad_value", key, SETTING_KEYS[key]) from None


def apply_setting(settings: ChatSettings, key: str, value: str) -> ChatSettings:
    """The settings with `key` changed to `value`; raises `SettingError` when either is not acceptable."""
    key = key.lower().strip()
    value = value.strip()
    low = value.lower()
    if key not in SETTING_KEYS:
        raise SettingError("unknown_key", key, ", ".join(SETTING_KEYS))
    if not value:
        raise SettingError("bad_value", key, SETTING_KEYS[key])
    if key == "lang":
        return dataclasses.replace(settings, lang=_choice(key, low, LANGUAGES))
    if key == "warn_limit":
        return dataclasses.replace(settings, warn_limit=_int(key, low, 1, 20))
    if key == "warn_action":
        return dataclasses.replace(settings, warn_action=_choice(key, low, WARN_ACTIONS))
    if key == "warn_expiry":
        return dataclasses.replace(settings, warn_expiry=_seconds(key, low, allow_off=True))
    if key == "mute_time":
        return dataclasses.replace(settings, mute_time=_seconds(key, low, allow_off=False))
    if key == "links":
        return dataclasses.replace(settings, links=_choice(key, low, RULE_ACTIONS))
    if key == "words":
        return dataclasses.replace(settings, words=_choice(key, low, RULE_ACTIONS))
    if key == "scope":
        return dataclasses.replace(settings, scope=_choice(key, low, ("newcomers", "all")))
    if key == "newcomer_hours":
        return dataclasses.replace(settings, newcomer_hours=_int(key, low, 1, 720))
    if key == "flood":
        return dataclasses.replace(settings, flood=_choice(key, low, FLOOD_ACTIONS))
    if key == "flood_limit":
        match = re.fullmatch(r"(\d{1,2})\s*[/ ]\s*(\d{1,3})s?", low)
        if not match or not (2 <= int(match.group(1)) <= 50 and 1 <= int(match.group(2)) <= 300):
            raise SettingError("bad_value", key, SETTING_KEYS[key])
        return dataclasses.replace(settings, flood_messages=int(match.group(1)), flood_seconds=int(match.group(2)))
    if key == "night":
        return dataclasses.replace(settings, night=_choice(key, low, NIGHT_MODES))
    if key == "night_hours":
        try:
            start, end = parse_hours(low)
        except NightHoursError:
            raise SettingError("bad_value", key, SETTING_KEYS[key]) from None
        return dataclasses.replace(settings, night_start=start, night_end=end)
    if key == "notices":
        return dataclasses.replace(settings, notices=_choice(key, low, ("chat", "log")))
    if key == "autodelete":
        return dataclasses.replace(settings, autodelete=_seconds(key, low, allow_off=True))
    if key == "autoanswer":
        return dataclasses.replace(settings, autoanswer=_choice(key, low, ("off", "on")))
    if key == "faq":
        return dataclasses.replace(settings, faq_access=_choice(key, low, ("admins", "all")))
    # key == "log"
    if low in ("off", "none", "0"):
        return dataclasses.replace(settings, log_channel="")
    if not _CHANNEL.match(value):
        raise SettingError("bad_value", key, SETTING_KEYS[key])
    return dataclasses.replace(settings, log_channel=value)
