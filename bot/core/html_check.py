"""Checks a text against the subset of HTML that Telegram's `parse_mode=HTML` accepts.

Telegram rejects a whole message over one bad tag or entity, so answers are checked when the
knowledge is loaded rather than discovered by a user.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Tags Telegram accepts, with the attributes each may carry.
_ALLOWED = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "tg-spoiler": set(),
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "span": {"class"},
    "a": {"href"},
}
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);?")
_NAMED_OK = {"lt", "gt", "amp", "quot"}
_TAG = re.compile(r"<[^>]*>")


def strip_tags(text: str) -> str:
    """The text without its tags (entities left as they are)."""
    return _TAG.sub("", text)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED:
            self.problems.append(f"tag <{tag}> is not supported by Telegram")
            return
        for name, value in attrs:
            if name not in _ALLOWED[tag]:
                self.problems.append(f"attribute '{name}' is not allowed on <{tag}>")
            if tag == "a" and name == "href" and not (value or "").startswith(("https://", "http://", "tg://")):
                self.problems.append(f"link '{value}' must start with https://")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _ALLOWED:
            self.problems.append(f"closing tag </{tag}> is not supported by Telegram")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"closing tag </{tag}> does not match the open tag")
        else:
            self.stack.pop()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing tag <{tag}/> is not supported by Telegram")


def telegram_html_problems(text: str) -> list[str]:
    """Reasons Telegram would reject `text` as HTML; empty when it is fine."""
    problems = []
    for match in _ENTITY.finditer(text):
        name = match.group(1)
        if not name.startswith("#") and name not in _NAMED_OK:
            problems.append(f"entity &{name}; is not supported by Telegram (use &lt; &gt; &amp; &quot;)")
        elif not match.group(0).endswith(";"):
            problems.append(f"entity {match.group(0)} needs a closing ';'")
    if "&" in _ENTITY.sub("", _TAG.sub("", text)):
        problems.append("a bare '&' must be written as &amp;")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    problems.extend(checker.problems)
    if checker.stack:
        problems.append(f"tag <{checker.stack[-1]}> is not closed")
    if re.search(r"<(?![a-zA-Z/])", text):
        problems.append("a bare '<' must be written as &lt;")
    return problems


def visible_length(html_text: str) -> int:
    """Length Telegram counts against its limit: the text after tags are removed and entities decoded."""
    without_tags = _TAG.sub("", html_text)
    return len(_ENTITY.sub("x", without_tags))
