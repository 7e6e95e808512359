"""The bot's own texts, one YAML file per language in `bot/locales/`.

A noun after a count takes the form the count asks for, written as the count's format spec:
`{days} {days:день|дня|дней}` gives "1 день", "2 дня", "5 дней", "21 день". The forms follow the
language's plural categories for whole numbers (CLDR), in the order of `PLURAL_FORMS`. Kazakh puts a
noun in one form after any numeral ("5 күн"), so its texts write the noun as is.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("ru", "en", "kk", "uk")  # the bot's own texts; FAQ answers are in ru, en and kk (uk readers get ru)
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES = {"ru": "🇷🇺 Русский", "en": "🇬🇧 English", "kk": "🇰🇿 Қазақша", "uk": "🇺🇦 Українська"}
PLURAL_FORMS = {"ru": ("one", "few", "many"), "uk": ("one", "few", "many"), "en": ("one", "other"), "kk": ("other",)}


def plural_category(lang: str, n: int) -> str:
    """CLDR's plural category of the whole number `n` in `lang`: 21 is "one" in Russian, 12 is "many"."""
    if lang in ("ru", "uk"):
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "many"
    if lang == "en" and n == 1:
        return "one"
    return "other"


class _Formatter(string.Formatter):
    """`str.format` that reads a spec with `|` as the noun's forms and picks the one agreeing with the count."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:  # Any, as in string.Formatter: a count here
        if "|" not in format_spec:
            return super().format_field(value, format_spec)
        category = plural_category(self.lang, value)
        return format_spec.split("|")[PLURAL_FORMS[self.lang].index(category)]


@cache
def catalogue(lang: str) -> dict[str, str]:
    with open(LOCALES_DIR / f"{lang}.yaml", encoding="utf-8") as handle:
        return {key: str(value).strip() for key, value in yaml.safe_load(handle).items()}


def t(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang` (Russian where a language lacks it), with `{name}` placeholders filled.

    A count followed by its noun's forms (`{days:day|days}`) must be given as an int.
    """
    lang = lang if lang in LANGUAGES and catalogue(lang).get(key) else DEFAULT_LANGUAGE
    text = catalogue(lang)[key]
    return _Formatter(lang).format(text, **values) if values else text


def language_from_telegram(code: str | None) -> str:
    """Map Telegram's `language_code` to one of ours; Russian for everyone else (Belarusian included)."""
    code = (code or "").lower().split("-")[0]
    if code in ("kk", "en", "uk"):
        return code
    return DEFAULT_LANGUAGE
