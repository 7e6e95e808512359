"""Splitting Telegram HTML that is longer than one message into messages that each fit.

Telegram counts a message's length after parsing (tags removed, an entity such as &amp; as one
character; this counts UTF-16 units, as Telegram does, so an emoji is two) and rejects a tag left
open. `split_html` cuts at a paragraph break, else a line break, else a space (in the second half of
what fits, when there is one), and inside a word only as a last resort; never inside a tag or an
entity. Tags open at a cut are closed at the end of one part and opened again (with their
attributes) at the start of the next, so every part is valid on its own.
"""

from __future__ import annotations

import html
import re

from bot.core.html_check import strip_tags

MESSAGE_LIMIT = 4096  # Telegram's limit of one message's text, after entity parsing
_TOKEN = re.compile(r"(<[^>]*>)|(&#?[A-Za-z0-9]+;)|(\n\n)|(\n)|( )|(.)", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][\w-]*)")
_BREAK_RANK = {"\n\n": 3, "\n": 2, " ": 1}


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, raw, visible length): kind is open, close, break (paragraph, line, space) or text."""
    out = []
    for match in _TOKEN.finditer(text):
        tag, entity, _paragraph, _line, _space, char = match.groups()
        if tag is not None:
            out.append(("close" if tag.startswith("</") else "open", tag, 0))
        elif entity is not None:
            out.append(("text", entity, _units(html.unescape(entity))))
        elif char is not None:
            out.append(("text", char, _units(char)))
        else:
            raw = match.group(0)
            out.append(("break", raw, len(raw)))
    return out


def _name(tag: str) -> str:
    found = _TAG_NAME.match(tag)
    return found.group(1).lower() if found else ""


def visible_units(text: str) -> int:
    return sum(size for _, _, size in _tokens(text))


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Parts of `text`, in order, each at most `limit` visible characters, with balanced tags; [] for blank text."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    if _units(text) <= limit:  # the markup included it fits: the usual case, decided without parsing
        return [text] if strip_tags(text).strip() else []
    tokens = _tokens(text)
    if sum(size for _, _, size in tokens) <= limit:
        return [text] if strip_tags(text).strip() else []
    parts: list[str] = []
    reopen: list[str] = []  # tags open where the previous part was cut, outermost first
    start = 0
    while start < len(tokens):
        visible = 0
        stack = list(reopen)
        cut = None  # (rank, index of the break token, stack there) of the best break so far
        index = start
        while index < len(tokens):
            kind, raw, size = tokens[index]
            if size and visible + size > limit:
                break
            visible += size
            if kind == "open":
                stack.append(raw)
            elif kind == "close":
                if stack and _name(stack[-1]) == _name(raw):
                    stack.pop()
            elif kind == "break" and index > start:
                rank = _BREAK_RANK[raw] if visible > limit // 2 else 0  # early breaks only if nothing better
                if cut is None or rank >= cut[0]:
                    cut = (rank, index, list(stack))
            index += 1
        if index >= len(tokens):
            end, stack_at_end, resume = len(tokens), stack, len(tokens)
        elif cut is not None:
            _, end, stack_at_end = cut
            resume = end + 1
        else:
            end, stack_at_end, resume = index, stack, index
        body = "".join(raw for _, raw, _ in tokens[start:end])
        part = "".join(reopen) + body + "".join(f"</{_name(tag)}>" for tag in reversed(stack_at_end))
        if strip_tags(part).strip():
            parts.append(part)
        reopen = stack_at_end
        start = resume
        while start < len(tokens) and tokens[start][0] == "break":
            start += 1
    return parts
