"""Turns core results into Telegram messages: HTML text within Telegram's limits and inline keyboards.

Everything that comes from a user is escaped here; callback data carries ids only (≤ 64 bytes).
"""

from __future__ import annotations

import datetime as dt
import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.knowledge import Entry, Knowledge
from bot.core.html_check import visible_length
from bot.i18n import LANGUAGE_NAMES, t

MESSAGE_LIMIT = 4096
BUTTON_TEXT_LIMIT = 60
ECHO_LIMIT = 200
CALLBACK_LIMIT = 64

# Callback data prefixes.
TOPIC, ENTRY, FEEDBACK, LANGUAGE, MENU = "t", "e", "fb", "lang", "menu"


def callback(*parts: str) -> str:
    data = ":".join(parts)
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return data


def echo(question: str) -> str:
    """The user's own words, shortened and escaped, for quoting them back."""
    question = " ".join(question.split())
    if len(question) > ECHO_LIMIT:
        question = question[: ECHO_LIMIT - 1] + "…"
    return html.escape(question)


def _short(text: str, limit: int = BUTTON_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def answer_text(entry: Entry, lang: str, today: dt.date) -> str:
    used, answer = entry.answer(lang)
    parts = []
    if entry.expired(today):
        parts.append(t(lang, "expired", date=_date(entry.valid_until)))
    parts.append(answer)
    sources = "; ".join(
        f'<a href="{html.escape(s.url, quote=True)}">{html.escape(s.title)}</a>' if s.url else html.escape(s.title)
        for s in entry.sources
    )
    parts.append(f"<i>{t(lang, 'source')}: {sources} · {t(lang, 'reviewed')} {_date(entry.reviewed)}</i>")
    text = "\n\n".join(parts)
    if visible_length(text) > MESSAGE_LIMIT:  # only a knowledge error could cause this: keep the answer, drop the rest
        text = answer
    return text


def answer_keyboard(knowledge: Knowledge, entry: Entry, lang: str, ref: str | None) -> InlineKeyboardMarkup:
    rows = []
    if ref:
        rows.append([
            InlineKeyboardButton(t(lang, "helpful"), callback_data=callback(FEEDBACK, ref, "1")),
            InlineKeyboardButton(t(lang, "not_helpful"), callback_data=callback(FEEDBACK, ref, "0")),
        ])
    for related_id in entry.related:
        related = knowledge.entries.get(related_id)
        if related:
            rows.append([InlineKeyboardButton(_short("➡️ " + related.text(lang).question), callback_data=callback(ENTRY, related.id))])
    rows.append([InlineKeyboardButton(t(lang, "back_to_topics"), callback_data=callback(MENU))])
    return InlineKeyboardMarkup(rows)


def topics_keyboard(knowledge: Knowledge, lang: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(topic.titles.get(lang, topic.titles["ru"]), callback_data=callback(TOPIC, topic.id))
               for topic in knowledge.topics if knowledge.entries_in_topic(topic.id)]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def topic_entries(knowledge: Knowledge, topic_id: str, lang: str) -> tuple[str, InlineKeyboardMarkup] | None:
    topic = knowledge.topic(topic_id)
    if topic is None:
        return None
    rows = [[InlineKeyboardButton(_short(e.text(lang).question), callback_data=callback(ENTRY, e.id))]
            for e in knowledge.entries_in_topic(topic_id)]
    rows.append([InlineKeyboardButton(t(lang, "back_to_topics"), callback_data=callback(MENU))])
    return t(lang, "topic_entries", topic=html.escape(topic.titles.get(lang, topic.titles["ru"]))), InlineKeyboardMarkup(rows)


def choices_keyboard(knowledge: Knowledge, entry_ids: tuple[str, ...], lang: str) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(_short(knowledge.entries[e].text(lang).question), callback_data=callback(ENTRY, e))]
            for e in entry_ids if e in knowledge.entries]
    rows.append([InlineKeyboardButton(t(lang, "none_of_these"), callback_data=callback(MENU))])
    return InlineKeyboardMarkup(rows)


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(name, callback_data=callback(LANGUAGE, code))]
                                 for code, name in LANGUAGE_NAMES.items()])
