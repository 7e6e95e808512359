"""The question inside a message, and whether a message only makes sense after the previous answer.

People wrap a question in a story ("I arrived in March with my wife. IIN is done. Which bank now?") and
in politeness. The sentences and clauses that ask something weigh fully; the rest of the message weighs
`CONTEXT_WEIGHT` (it still tells the subject when the question itself is "what do I need for it?").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise

from bot.core.text import is_stopword, normalise

CONTEXT_WEIGHT = 0.5  # the story around the question, relative to the question itself (0.35, 0.6, 1 tried)
DONE_WEIGHT = 0.2  # a part of the story about what is already done ("ИИН уже получил"): a solved topic
DONE_WORDS = frozenset({"уже", "вже", "already", "есть", "є"})  # "ИИН есть"
SUBJECT_WORDS = 2  # an asking part with fewer words of its own ("как это работает?") leaves the subject to the rest
FOLLOW_UP_WORDS = 5  # a message of at most this many words may lean on the previous answer
MARKED_FOLLOW_UP_WORDS = 10  # ... or this many when it opens like one ("а …", "and …")
OWN_WORDS = 3  # ... or when at most this many of them are not stopwords
_SENTENCES = re.compile(r"(?<=[.!?…])\s+|\n+")
_PIECES = re.compile(r"(?<=[,;:.!?…])\s+|\n+")  # sentences and clauses, each with its own punctuation
_CLAUSES = re.compile(r"[,;:]|\s[-–—]\s")
QUESTION_WORDS = frozenset(
    normalise(w)
    for w in """
    как где куда откуда когда сколько какой какая какие каком какую каких какое какому каким какими
    почему зачем кто что чем чей ли
    можно нельзя нужно нужен нужна нужны надо обязательно реально есть
    як де куди коли скільки який яка які чи навіщо чому можна потрібно потрібен потрібна треба
    how where when what which who why can could do does is are should must need may
    қалай қайда қашан қанша қандай қай ма ме ба бе па пе бола керек ме
    """.split()
)
# words that point back into the story ("Can she enter with it?", "Где его получить?")
REFERRING_WORDS = frozenset(
    normalise(w)
    for w in """
    it she he they them her him its their this that
    его ее её ему ей им их него нее неё нему ней ним них это этого этому этим
    його її йому їй їм їх нього неї ньому цього цьому
    """.split()
)
# ... of them, the ones that point back at the answer just read ("а на телефон её можно поставить?"), where "это" may
# point at the question's own words ("а симку где купить и что для этого нужно?")
PRONOUNS = REFERRING_WORDS - frozenset(normalise(w) for w in "this that это этого этому этим цього цьому".split())
SUBORDINATE_STARTS = frozenset(normalise(w) for w in "чтобы если для щоб якщо to if for so".split())
FOLLOW_UP_STARTS = (
    ("а",),
    ("и",),
    ("and",),
    ("what", "about"),
    ("how", "about"),
    ("also",),
    ("ал",),
    ("еще",),
    ("тоже",),
)


def asks(text: str) -> bool:
    return text.rstrip().endswith("?") or _question_word(text)


def _question_word(text: str) -> bool:
    return any(w in QUESTION_WORDS for w in normalise(text).split())


def _subordinate(clause: str) -> bool:
    words = normalise(clause).split()
    return bool(words) and words[0] in SUBORDINATE_STARTS


def question_parts(text: str, subject_before: bool = True) -> list[tuple[str, float]]:
    """(part of the message, weight): the clauses that ask (and the sentence before them, with `subject_before`)
    weigh 1, the rest CONTEXT_WEIGHT (DONE_WEIGHT where it tells what is already done)."""
    return [(part, weight) for part, weight, _ in _parts(text, subject_before)]


def asking_part(text: str) -> str:
    """The clauses that ask, without the story around them, not even the sentence that names their subject
    (the whole message when nothing stands out): what an off-topic question is told by."""
    return " ".join(part for part, _, asking in _parts(text, True) if asking)


def asking_sentences(text: str) -> str:
    """The sentences that ask, whole (the message when none ends with a question mark): where a subject the FAQ leaves
    out is told ("Подержанную машину купить хочу, на каком сайте искать?"), and not in the story before it ("Купил
    айфон в кредит ещё в Москве. Его тут заблокируют?")."""
    asked = [s for s in _SENTENCES.split(text) if s.rstrip().endswith("?")]
    return " ".join(asked) if asked else text


def question_alone(text: str) -> str | None:
    """The clauses that ask and nothing else (is the question answerable on its own?); None when they have too few
    words of their own to name a subject ("как это работает?")."""
    alone = " ".join(part for part, _, asking in _parts(text, False) if asking)
    return alone if _names_a_subject(alone) else None


def asked_apart(text: str) -> list[str]:
    """In a message with two question marks or more, its questions that each name a subject of their own: two or more
    are two things asked at once ("Где дешевле снимать жильё — в Астане или в Алматы? И где климат помягче?")."""
    if text.count("?") < 2:
        return []  # most messages: at most one question mark
    return [s for s in _SENTENCES.split(text) if s.rstrip().endswith("?") and _names_a_subject(s)]


def without_question_words(text: str) -> str:
    """The words that say what is asked about: "ақысы қанша?" asks about a fee, "қанша" only that it asks."""
    return " ".join(w for w in normalise(text).split() if w not in QUESTION_WORDS)


def _names_a_subject(text: str) -> bool:
    words = normalise(text).split()
    if REFERRING_WORDS.intersection(words):
        return False  # "Can she enter with it?": its subject is in the story
    return sum(not is_stopword(w) for w in words) >= SUBJECT_WORDS


@lru_cache(maxsize=4096)  # asked for the lexical ranking, the classifier and the off-topic check alike
def _parts(text: str, subject_before: bool) -> tuple[tuple[str, float, bool], ...]:
    """(part, weight, whether it asks) of a message; the whole message asks when nothing stands out, or when the
    question has too few words of its own to name a subject and `subject_before` lets the story name it."""
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    asking = [s for s in sentences if s.rstrip().endswith("?")] or [s for s in sentences if asks(s)]
    if not asking:
        return ((text, 1.0, True),)
    parts = _weighted(sentences, asking, subject_before)
    asked = [w for part, weight, _ in parts if weight == 1.0 for w in normalise(part).split() if not is_stopword(w)]
    return tuple(parts) if len(asked) >= SUBJECT_WORDS or not subject_before else ((text, 1.0, True),)


def _story_weight(part: str) -> float:
    return DONE_WEIGHT if DONE_WORDS.intersection(normalise(part).split()) else CONTEXT_WEIGHT


def _weighted(sentences: list[str], asking: list[str], subject_before: bool) -> list[tuple[str, float, bool]]:
    parts: list[tuple[str, float, bool]] = []
    for sentence, following in zip(sentences, [*sentences[1:], None], strict=True):
        if sentence not in asking:
            weight = _story_weight(sentence)
            # the sentence just before the question names its subject ("Хотим сделать ИИН, но в ЦОНе очереди.
            # Можно записаться заранее?"), unless it tells what is already done; the matcher asks for this only
            # when the question names none of its own
            names = subject_before and following in asking and weight == CONTEXT_WEIGHT
            parts.append((sentence, 1.0 if names else weight, False))
            continue
        # the question mark ends the sentence, not its last clause: the clauses from the first one with a question
        # word on ask ("как платить, пока нет карты?"); those before it tell the story ("ИИН уже получил, теперь
        # в какой банк идти?"). Without the mark, a clause after the question asks as its condition or purpose
        # ("номер скорой если симка российская"), a statement is story ("когда платить налог, работаю онлайн").
        clauses = [c for c in _CLAUSES.split(sentence) if c.strip()]
        if len(clauses) == 1 or not any(_question_word(c) for c in clauses):
            parts.append((sentence, 1.0, True))
            continue
        asked, marked = False, sentence.rstrip().endswith("?")
        for clause in clauses:
            asked = _question_word(clause) or (asked and (marked or _subordinate(clause)))
            parts.append((clause, 1.0 if asked else _story_weight(clause), asked))
    return parts


def without_pieces(text: str, drop: Callable[[str], bool]) -> str:
    """The message without the sentences and clauses `drop` picks ("Здравствуйте!", "спасибо заранее,"); the
    rest as written, punctuation kept, so that the question is still found in it."""
    return " ".join(piece for piece in _PIECES.split(text) if piece.strip() and not drop(piece))


def question_part(text: str, subject_before: bool = True) -> str:
    """The asking part of a message alone (for the lexical ranking), or the whole when nothing stands out."""
    asked = " ".join(part for part, weight in question_parts(text, subject_before) if weight == 1.0)
    return asked if len(normalise(asked).split()) >= 2 else text


SAME_WORDS = frozenset(normalise(w) for w in "тоже также теж same too also сияқты".split())
SAME_PHRASES = (("так", "же"), ("так", "само"), ("the", "same"))


def asks_the_same(text: str) -> bool:
    """Whether a follow-up asks the previous question again for someone or something else, not another thing about
    it: it says so ("а для белорусов так же?", "and for Ukrainians too?") or asks nothing of its own ("а белорусам?",
    where "а какие документы?" asks for the documents)."""
    words = normalise(text).split()
    pairs = set(pairwise(words))
    said = bool(SAME_WORDS.intersection(words)) or any(p in pairs for p in SAME_PHRASES)
    return said or not _question_word(text)


# a last word that measures against what was said ("do I need an IIN first?", "my wife too?", Kazakh "балаға ше?")
FOLLOW_UP_ENDS = frozenset({"first", "too", "сначала", "сперва", "тоже", "спочатку", "теж", "ше"})
CONDITIONAL = ("са", "се")  # a Kazakh verb's "if" ("болса", "болмаса"), before "да"/"де": "even if"
EVEN = frozenset({"да", "де", "та", "те"})


def follows_up(text: str) -> bool:
    """A short message that leans on what was said before: "а ребенку?", "and for Belarusians?", or one of a few more
    words of which at most three are its own ("where do I apply in Almaty?": English spends more words on asking)."""
    words = normalise(text).split()
    if marked_follow_up(text):
        return 0 < len(words) <= MARKED_FOLLOW_UP_WORDS
    content = [w for w in words if not is_stopword(w)]
    return 0 < len(words) <= FOLLOW_UP_WORDS or (len(words) <= MARKED_FOLLOW_UP_WORDS and len(content) <= OWN_WORDS)


# how a follow-up opens that only adds a condition to the question before it ("а если я уже получил ВНЖ?")
CONDITION_STARTS = (
    ("если",),
    ("а", "если"),
    ("и", "если"),
    ("if",),
    ("and", "if"),
    ("what", "if"),
    ("якщо",),
    ("а", "якщо"),
)


def asks_under_condition(text: str) -> bool:
    """Whether a follow-up asks the question before it again under a condition of its own, and nothing else: "а если
    я получил ВНЖ?" after the car on Russian plates asks about that car, however much "ВНЖ" is another entry's word;
    "а если нет ИИН, где жить?" asks where to live."""
    words = tuple(normalise(text).split())
    start = _opening(words, CONDITION_STARTS)
    return start is not None and not _question_word(" ".join(words[len(start) :]))


def _opening(words: tuple[str, ...], starts: tuple[tuple[str, ...], ...]) -> tuple[str, ...] | None:
    """The first of `starts` the words open with."""
    return next((start for start in starts if words[: len(start)] == start), None)


def marked_follow_up(text: str) -> bool:
    """Opens like a follow-up ("а …", "and …", "what about …"), ends like one ("… first?", "… too?", "… for that?"),
    or, in Kazakh, asks "what about …" at its end ("балаға ше?") or "even if …" ("телефонда ақша болмаса да бола ма?"):
    read with the previous answer even when it makes sense alone."""
    words = tuple(normalise(text).split())
    opens = _opening(words, FOLLOW_UP_STARTS) is not None
    even_if = any(w.endswith(CONDITIONAL) and e in EVEN for w, e in pairwise(words))
    ends = bool(words) and (words[-1] in FOLLOW_UP_ENDS or words[-1] in REFERRING_WORDS)
    return opens or ends or even_if
