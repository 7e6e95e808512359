"""The bot's own texts, one YAML file per language in `bot/locales/`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("ru", "en", "kk", "uk")  # the bot's own texts; FAQ answers are in ru, en and kk (uk readers get ru)
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES = {"ru": "🇷🇺 Русский", "en": "🇬🇧 English", "kk": "🇰🇿 Қазақша", "uk": "🇺🇦 Українська"}


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    with open(LOCALES_DIR / f"{lang}.yaml", encoding="utf-8") as handle:
        return {key: str(value).strip() for key, value in yaml.safe_load(handle).items()}


def t(lang: str, key: str, **values: str) -> str:
    """The text `key` in `lang` (Russian where a language lacks it), with `{name}` placeholders filled."""
    texts = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    text = texts.get(key) or catalogue(DEFAULT_LANGUAGE)[key]
    return text.format(**values) if values else text


def language_from_telegram(code: str | None) -> str:
    """Map Telegram's `language_code` to one of ours; Russian for everyone else (Belarusian included)."""
    code = (code or "").lower().split("-")[0]
    if code in ("kk", "en", "uk"):
        return code
    return DEFAULT_LANGUAGE
