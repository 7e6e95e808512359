"""Finding links in a message: visible URLs, links hidden behind text (`text_link`), and Telegram invite links.

Nothing is resolved or fetched: a link is judged by how it is written. Entity offsets are in UTF-16
code units, as the Bot API gives them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# "t . me/ group", "t[.]me/group", "t(dot)me/group", "т.ме/group": not clickable, but still an invitation
_DOT = r"(?:\s*[.,。．·•]\s*|\s*[\[({<]\s*(?:\.|dot|точка)\s*[\])}>]\s*|\s+(?:dot|точка)\s+)"
# The optional subdomain ("durov.t.me") may only begin where a run of its characters begins: unanchored,
# it was tried from every position of a long run of letters, digits, "_" or "-", each attempt scanning to
# the run's end (quadratic: 4,096 such characters cost 94 ms a message). A prefix that starts inside a run
# also matches from the run's start, which is further left, so the links found are the same.
_TELEGRAM = re.compile(
    r"(?:(?:https?://)?(?:www\.)?(?:(?<![a-z0-9_-])[a-z0-9_-]+\.)?(?:t\.me|telegram\.me|telegram\.dog)(?:/|\b)\S*"
    r"|tg://\S+"
    rf"|\b[tт]{_DOT}(?:me|ме)\s*/\s*\S+"
    rf"|\btelegram{_DOT}(?:me|dog)\s*/\s*\S+)",
    re.IGNORECASE,
)
_TLDS = (
    "com|net|org|info|biz|io|me|ru|su|kz|uz|kg|by|ua|am|ge|xyz|top|site|online|club|shop|store|pro|app|link|live"
    "|click|cc|co|to|ly|gl|gg|tk|ml|ga|cf|ws|vip|win|bet|cash|money|fun|space|website|dog"
)
_URL = re.compile(
    rf"(?:https?://\S+|www\.\S+|(?<![@\w.-])[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/\S*)?)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Entity:
    type: str
    offset: int
    length: int
    url: str | None = None


@dataclass(frozen=True)
class LinkScan:
    links: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()  # targets of text_link entities whose visible text is something else

    @property
    def has_links(self) -> bool:
        return bool(self.links)

    @property
    def telegram_links(self) -> tuple[str, ...]:
        return tuple(link for link in self.links if is_telegram_link(link))

    @property
    def has_telegram_link(self) -> bool:
        return bool(self.telegram_links)


def entity_text(text: str, offset: int, length: int) -> str:
    """The part of `text` an entity covers (offsets count UTF-16 code units)."""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="ignore")


def is_telegram_link(link: str) -> bool:
    return bool(_TELEGRAM.search(link))


def scan_links(text: str | None, entities: Iterable[Entity] = ()) -> LinkScan:
    """Every link in a message text or caption, from its entities and from the text itself."""
    text = text or ""
    found: list[str] = []
    hidden: list[str] = []
    for entity in entities:
        if entity.type == "text_link" and entity.url:
            found.append(entity.url)
            shown = entity_text(text, entity.offset, entity.length)
            if entity.url.strip().rstrip("/").lower() != shown.strip().rstrip("/").lower():
                hidden.append(entity.url)
        elif entity.type == "url":
            found.append(entity_text(text, entity.offset, entity.length))
    for pattern in (_TELEGRAM, _URL):
        for match in pattern.finditer(text):
            link = match.group(0).rstrip(".,;:!?)»\"'")
            if link and not any(link in known or known in link for known in found):
                found.append(link)
    return LinkScan(tuple(found), tuple(hidden))
