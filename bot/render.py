"""Turns core results into Telegram messages: HTML text within Telegram's limits and inline keyboards.

Everything that comes from a user is escaped here; callback data carries ids only (≤ 64 bytes).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.helpers import create_deep_linked_url

from bot.core.html_check import strip_tags, telegram_html_problems, visible_length
from bot.core.knowledge import Entry, Knowledge
from bot.core.split import MESSAGE_LIMIT, split_html
from bot.i18n import LANGUAGE_NAMES, t

BUTTON_TEXT_LIMIT = 60
ECHO_LIMIT = 200
CALLBACK_LIMIT = 64

# Callback data prefixes.
TOPIC, FAMILY, ENTRY, FEEDBACK, LANGUAGE, MENU, ANONYMOUS = "t", "f", "e", "fb", "lang", "menu", "mod:anon"
ENTRIES_PER_PAGE = 7  # entry buttons on one page of a family (with its overview's: at most 8)

# Every form of callback data the bot writes, and nothing else (a client may send any bytes):
#   t:<topic>  f:<family>:<page>  e:<entry>  lang:<ru|en|kk|uk>  menu   buttons of private-chat messages
#   fb:<ref>:<0|1>                                     feedback on a private-chat answer
#   fb:<ref>:0:<asker id>                              the 👎 of an auto-answer in a group: the asker's only
#   mod:anon:<token>                                   an anonymous admin's confirmation in a group
_CALLBACK_FORMS = re.compile(
    r"(?P<kind>t|e):(?P<id>[a-z0-9][a-z0-9_-]{0,31})"
    r"|f:(?P<family>[a-z0-9][a-z0-9-]{0,31}):(?P<page>0|[1-9][0-9]?)"
    r"|lang:(?P<lang>ru|en|kk|uk)"
    r"|(?P<menu>menu)"
    r"|fb:(?P<ref>[0-9a-f]{16}):(?P<value>[01])(?::(?P<asker>[1-9][0-9]{0,15}))?"
    r"|mod:anon:(?P<token>[0-9a-f]{12})"
)


@dataclass(frozen=True)
class Press:
    """Callback data read strictly: `kind` is TOPIC, FAMILY, ENTRY, LANGUAGE, MENU, FEEDBACK or ANONYMOUS."""

    kind: str
    value: str = ""  # the topic, family, entry, language, feedback reference or anonymous-admin token
    page: int = 0  # FAMILY: which page of its entries
    helpful: bool = False  # FEEDBACK: 👍 or 👎
    asker: int | None = None  # FEEDBACK on a group auto-answer: who asked (the only one who may press)

    @property
    def private_only(self) -> bool:
        """Pressed on a private-chat message only (a group message never carries these buttons)."""
        return self.kind in (TOPIC, FAMILY, ENTRY, LANGUAGE, MENU) or (self.kind == FEEDBACK and self.asker is None)


def parse_callback(data: str | None) -> Press | None:
    """The press `data` stands for, or None for anything the bot never wrote (to be answered quietly)."""
    match = _CALLBACK_FORMS.fullmatch(data or "")
    if match is None:
        return None
    if match["kind"]:
        return Press(match["kind"], match["id"])
    if match["family"]:
        return Press(FAMILY, match["family"], page=int(match["page"]))
    if match["lang"]:
        return Press(LANGUAGE, match["lang"])
    if match["menu"]:
        return Press(MENU)
    if match["ref"]:
        asker = int(match["asker"]) if match["asker"] else None
        if asker is not None and (match["value"] != "0" or asker >= 2**52):
            return None  # the group button is only ever a 👎, and Telegram's ids have 52 bits
        return Press(FEEDBACK, match["ref"], helpful=match["value"] == "1", asker=asker)
    return Press(ANONYMOUS, match["token"])


def callback(*parts: str) -> str:
    data = ":".join(parts)
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    if parse_callback(data) is None:
        raise ValueError(f"callback data the bot would not read back: {data!r}")
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


def _sources_line(entry: Entry, lang: str) -> str:
    sources = "; ".join(
        f'<a href="{html.escape(s.url, quote=True)}">{html.escape(s.title(lang))}</a>'
        if s.url
        else html.escape(s.title(lang))
        for s in entry.sources
    )
    return f"<i>{t(lang, 'source')}: {sources} · {t(lang, 'reviewed')} {_date(entry.reviewed)}</i>"


def answer_text(entry: Entry, lang: str, today: dt.date, limit: int | None = MESSAGE_LIMIT) -> str:
    """The answer with its source line; with limit=None the whole of it, however long (to be split)."""
    _, answer = entry.answer(lang)
    parts = []
    if entry.valid_until is not None and entry.expired(today):
        parts.append(t(lang, "expired", date=_date(entry.valid_until)))
    parts.append(answer)
    parts.append(_sources_line(entry, lang))
    text = "\n\n".join(parts)
    # only a knowledge error could cause this: keep the answer, drop the rest
    if limit is not None and visible_length(text) > limit:
        text = answer
    return text


def answer_parts(knowledge: Knowledge, entry: Entry, lang: str, today: dt.date) -> tuple[str, ...]:
    """The whole answer as messages (split when longer than one), worked out once a day per entry and language."""
    return _per_knowledge(
        knowledge,
        ("parts", entry.id, lang, today),
        lambda: tuple(split_html(answer_text(entry, lang, today, limit=None))),
    )


def headline(entry: Entry, lang: str) -> str:
    """The answer's first line (by convention its bold one-sentence answer), still valid HTML."""
    _, answer = entry.answer(lang)
    first = answer.strip().split("\n", 1)[0]
    return first if not telegram_html_problems(first) else html.escape(strip_tags(first))


def plain_headline(entry: Entry, lang: str) -> str:
    return html.unescape(strip_tags(headline(entry, lang)))


def short_answer_text(entry: Entry, lang: str, today: dt.date) -> str:
    """The answer as it appears in a group chat: the headline and the source; the rest is one tap away."""
    parts = []
    if entry.valid_until is not None and entry.expired(today):
        parts.append(t(lang, "expired", date=_date(entry.valid_until)))
    parts.extend([headline(entry, lang), _sources_line(entry, lang)])
    return "\n\n".join(parts)


def group_answer_keyboard(
    entry: Entry, lang: str, bot_username: str, not_helpful: str | None = None
) -> InlineKeyboardMarkup:
    """ "Read more" opens the full entry in a private chat; `not_helpful` is callback data for the asker's 👎."""
    rows = [
        [
            InlineKeyboardButton(t(lang, "more"), url=create_deep_linked_url(bot_username, entry.id)),
            InlineKeyboardButton(t(lang, "share"), switch_inline_query=entry.id),
        ]
    ]
    if not_helpful:
        rows.append([InlineKeyboardButton(t(lang, "did_not_help"), callback_data=not_helpful)])
    return InlineKeyboardMarkup(rows)


def group_choices_keyboard(
    knowledge: Knowledge, entry_ids: tuple[str, ...], lang: str, bot_username: str
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _short(knowledge.entries[e].text(lang).question), url=create_deep_linked_url(bot_username, e)
                )
            ]
            for e in entry_ids
            if e in knowledge.entries
        ]
    )


def open_bot_keyboard(lang: str, bot_username: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, "open_bot"), url=create_deep_linked_url(bot_username, "help"))]]
    )


class _Keyboard(InlineKeyboardMarkup):
    """A keyboard that carries its serialised form, worked out once: the menus and an answer's fixed rows
    are built once per knowledge and language and reused (every answer sends one; PTB's to_dict is slow)."""

    __slots__ = ("_serialised",)

    def __init__(self, rows, serialised: list | None = None):
        super().__init__(rows)
        # PTB freezes a TelegramObject's public attributes only: a private one is written as usual
        self._serialised = serialised if serialised is not None else [[b.to_dict() for b in row] for row in rows]

    def to_dict(self, recursive: bool = True) -> dict:
        return {"inline_keyboard": list(self._serialised)}  # a new dict, as PTB's own


class _NoLinkPreviews(LinkPreviewOptions):
    """Link previews off: a default that every message carries, so its serialised form is fixed (PTB's
    to_dict is slow). No __slots__ of its own: PTB merges defaults over LinkPreviewOptions.__slots__."""

    def to_dict(self, recursive: bool = True) -> dict:
        return {"is_disabled": True}


NO_LINK_PREVIEWS = _NoLinkPreviews(is_disabled=True)

_built: dict[tuple, tuple[Knowledge, object]] = {}


def _per_knowledge(knowledge: Knowledge, key: tuple, build):
    """`build()`'s result, remembered for this knowledge (a reload brings new knowledge and new keyboards)."""
    found = _built.get((id(knowledge), *key))
    if found is None or found[0] is not knowledge:
        if len(_built) > 4096:  # knowledge reloaded many times: start again
            _built.clear()
        found = _built[(id(knowledge), *key)] = (knowledge, build())
    return found[1]


def answer_keyboard(
    knowledge: Knowledge, entry: Entry, lang: str, ref: str | None, also: str | None = None
) -> InlineKeyboardMarkup:
    """Feedback (this answer's own), the other question the message asked (`also`), share, related entries, back to
    the topics."""

    def fixed_rows() -> _Keyboard:
        rows = [[InlineKeyboardButton(t(lang, "share"), switch_inline_query=entry.id)]]
        for related_id in entry.related:
            related = knowledge.entries.get(related_id)
            if related:
                rows.append(
                    [
                        InlineKeyboardButton(
                            _short("➡️ " + related.text(lang).question), callback_data=callback(ENTRY, related.id)
                        )
                    ]
                )
        family = knowledge.family(entry.family)
        if family is not None and len(knowledge.entries_in_family(family.id)) > 1:
            rows.append(
                [
                    InlineKeyboardButton(
                        "📚 " + family.titles.get(lang, family.titles["ru"]),
                        callback_data=callback(FAMILY, family.id, "0"),
                    )
                ]
            )
        rows.append([InlineKeyboardButton(t(lang, "back_to_topics"), callback_data=callback(MENU))])
        return _Keyboard(rows)

    fixed = _per_knowledge(knowledge, ("answer", entry.id, lang), fixed_rows)
    other = knowledge.entries.get(also) if also else None
    if not ref and other is None:
        return fixed
    rows: list[list[tuple[str, str]]] = []
    if ref:
        rows.append(
            [(t(lang, "helpful"), callback(FEEDBACK, ref, "1")), (t(lang, "not_helpful"), callback(FEEDBACK, ref, "0"))]
        )
    buttons, serialised = fixed.inline_keyboard, fixed._serialised
    if other is not None:
        data = callback(ENTRY, other.id)
        rows.append([(_short("➕ " + other.text(lang).question), data)])
        kept = [i for i, row in enumerate(serialised) if all(b.get("callback_data") != data for b in row)]
        buttons, serialised = [buttons[i] for i in kept], [serialised[i] for i in kept]  # that entry once only
    return _Keyboard(
        [*[[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows], *buttons],
        [*[[{"text": text, "callback_data": data} for text, data in row] for row in rows], *serialised],
    )


def topics_keyboard(knowledge: Knowledge, lang: str) -> InlineKeyboardMarkup:
    def build() -> _Keyboard:
        buttons = [
            InlineKeyboardButton(topic.titles.get(lang, topic.titles["ru"]), callback_data=callback(TOPIC, topic.id))
            for topic in knowledge.topics
            if knowledge.families_in_topic(topic.id)
        ]
        return _Keyboard([buttons[i : i + 2] for i in range(0, len(buttons), 2)])

    return _per_knowledge(knowledge, ("topics", lang), build)


def topic_families(knowledge: Knowledge, topic_id: str, lang: str) -> tuple[str, InlineKeyboardMarkup] | None:
    """A topic's families as buttons."""
    topic = knowledge.topic(topic_id)
    if topic is None or not knowledge.families_in_topic(topic_id):
        return None
    rows = [
        [
            InlineKeyboardButton(
                family.titles.get(lang, family.titles["ru"]), callback_data=callback(FAMILY, family.id, "0")
            )
        ]
        for family in knowledge.families_in_topic(topic_id)
    ]
    rows.append([InlineKeyboardButton(t(lang, "back_to_topics"), callback_data=callback(MENU))])
    title = html.escape(topic.titles.get(lang, topic.titles["ru"]))
    return t(lang, "topic_families", topic=title), InlineKeyboardMarkup(rows)


def family_entries(
    knowledge: Knowledge, family_id: str, page: int, lang: str
) -> tuple[str, InlineKeyboardMarkup] | None:
    """One page of a family's questions: its overview first, then ENTRIES_PER_PAGE specific ones, "more" for the
    rest."""
    family = knowledge.family(family_id)
    entries = knowledge.entries_in_family(family_id)
    specific = [e for e in entries if not e.is_overview]
    pages = max(1, -(-len(specific) // ENTRIES_PER_PAGE))
    if family is None or not entries or not 0 <= page < pages:
        return None
    rows = []
    if page == 0 and entries[0].is_overview:
        rows.append([InlineKeyboardButton(t(lang, "family_overview"), callback_data=callback(ENTRY, family_id))])
    shown = specific[page * ENTRIES_PER_PAGE : (page + 1) * ENTRIES_PER_PAGE]
    rows.extend(
        [InlineKeyboardButton(_short(e.text(lang).question), callback_data=callback(ENTRY, e.id))] for e in shown
    )
    if page + 1 < pages:
        rows.append(
            [InlineKeyboardButton(t(lang, "more_entries"), callback_data=callback(FAMILY, family_id, str(page + 1)))]
        )
    topic = knowledge.topic(family.topic)
    if topic is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    t(lang, "back_to_topic", topic=topic.titles.get(lang, topic.titles["ru"])),
                    callback_data=callback(TOPIC, topic.id),
                )
            ]
        )
    title = html.escape(family.titles.get(lang, family.titles["ru"]))
    return t(lang, "topic_entries", topic=title), InlineKeyboardMarkup(rows)


def choices_keyboard(knowledge: Knowledge, entry_ids: tuple[str, ...], lang: str) -> InlineKeyboardMarkup:
    def build() -> _Keyboard:
        rows = [
            [InlineKeyboardButton(_short(knowledge.entries[e].text(lang).question), callback_data=callback(ENTRY, e))]
            for e in entry_ids
            if e in knowledge.entries
        ]
        rows.append([InlineKeyboardButton(t(lang, "none_of_these"), callback_data=callback(MENU))])
        return _Keyboard(rows)

    return _per_knowledge(knowledge, ("choices", tuple(entry_ids), lang), build)


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(name, callback_data=callback(LANGUAGE, code))] for code, name in LANGUAGE_NAMES.items()]
    )
