"""Counts and their nouns in the bot's texts: one plural rule per language, the same forms in every text."""

import string

import pytest

from bot.enforcement import format_duration
from bot.i18n import LANGUAGES, PLURAL_FORMS, catalogue, t


@pytest.mark.parametrize(
    "lang, expected",
    [
        ("ru", "1 день, 2 дня, 5 дней, 11 дней, 12 дней, 21 день, 22 дня, 101 день, 111 дней, 114 дней"),
        ("uk", "1 день, 2 дні, 5 днів, 11 днів, 12 днів, 21 день, 22 дні, 101 день, 111 днів, 114 днів"),
        ("en", "1 day, 2 days, 5 days, 11 days, 12 days, 21 days, 22 days, 101 days, 111 days, 114 days"),
        ("kk", "1 күн, 2 күн, 5 күн, 11 күн, 12 күн, 21 күн, 22 күн, 101 күн, 111 күн, 114 күн"),
    ],
)
def test_a_count_of_days_takes_the_form_its_number_asks_for(lang, expected):
    assert ", ".join(t(lang, "mod_unit_d", n=n) for n in (1, 2, 5, 11, 12, 21, 22, 101, 111, 114)) == expected


def test_durations_of_mutes_and_bans_read_as_words():
    hours = 3600
    assert format_duration("ru", 2 * hours) == "2 часа"
    assert format_duration("ru", 3 * 86400 + 1 * hours) == "3 дня 1 час"
    assert format_duration("uk", 21 * 60) == "21 хвилина"
    assert format_duration("en", 1 * hours) == "1 hour"
    assert format_duration("en", 14 * 86400) == "2 weeks"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_noun_after_a_count_has_one_form_per_plural_category_of_its_language(lang):
    for key, text in catalogue(lang).items():
        fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name]
        for _name, spec in fields:
            if "|" in spec:
                assert len(spec.split("|")) == len(PLURAL_FORMS[lang]), (lang, key, spec)
        for n in (1, 2, 5, 21):  # every text renders with counts for all its fields
            t(lang, key, **{name: n for name, _ in fields})
