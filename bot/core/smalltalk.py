"""Greetings and thanks: finding them in a message, so that a whole message of small talk gets a friendly
reply and a greeting before a question is dropped from it ("Здравствуйте! Где получить ИИН?")."""

from __future__ import annotations

from collections import defaultdict

from bot.core.fuzzy import FuzzyVocabulary
from bot.core.knowledge import SmalltalkIntent
from bot.core.text import is_stopword, normalise, squeeze

GREETING = "greeting"  # the small talk that opens a message; any other small talk in it says more
FUZZY_MIN_LENGTH = 5  # shorter small-talk words are found as typed only
FUZZY_CUTOFF = 80.0
CACHE_LIMIT = 50_000  # words remembered between messages, then forgotten all at once
# Words that may stand beside a greeting or thanks without making it a question.
SMALLTALK_FILLER = frozenset(
    "bro бро брат братан большое огромное очень much so very lot a you тебе вам тебя вас всем all "
    "everyone again еще ещ друг friend dear дорогой бот bot ok ок окей".split()
)


def filler(word: str) -> bool:
    """A word that may stand beside small talk without making it a question: a filler or a stopword, also drawn out
    ("всееем"), but not a word that only looks like one squeezed ("iin" is not "in")."""
    return any(w in SMALLTALK_FILLER or is_stopword(w) for w in (word, read_back(word)))


def read_back(word: str) -> str:
    """A drawn-out word as written plainly: normalising leaves a run of letters doubled ("всееем" -> "всеем"), so
    every run goes back to one letter, unless that leaves fewer than three ("iin" is not "in", "all" not "al")."""
    plain = squeeze(word)
    return plain if len(plain) >= 3 else word


class SmallTalk:
    """The knowledge's small-talk patterns (knowledge/smalltalk.yaml), squeezed ("привеет" is "привет")."""

    def __init__(self, intents: tuple[SmalltalkIntent, ...]) -> None:
        self._patterns: dict[tuple[str, ...], tuple[str, str]] = {}
        for intent in intents:
            for lang, patterns in intent.patterns.items():
                for pattern in patterns:
                    key = tuple(squeeze(normalise(pattern)).split())
                    if key:
                        self._patterns.setdefault(key, (intent.id, lang))
        sizes: dict[str, set[int]] = defaultdict(set)
        for key in self._patterns:
            sizes[key[0]].add(len(key))
        # longest phrase first
        self._sizes = {first: sorted(found, reverse=True) for first, found in sizes.items()}
        words = [k[0] for k in self._patterns if len(k) == 1 and len(k[0]) >= FUZZY_MIN_LENGTH]
        self._fuzzy = FuzzyVocabulary(words, FUZZY_CUTOFF)  # "привте", "спасибки": as extractOne finds them
        self._near_cache: dict[str, str | None] = {}

    def intent(self, text: str, whole: bool = False) -> tuple[str, str, list[str]] | None:
        """(intent, language, words left over) when the message opens with or is small talk.

        With `whole`, only a message that is all small talk (with fillers and stopwords) counts: the scan
        stops at the first word that rules it out."""
        originals = normalise(text).split()
        words = [squeeze(w) for w in originals]  # squeezed to find small talk; the rest is given back as typed ("иин")
        found: tuple[str, str] | None = None
        rest: list[str] = []
        i = 0
        while i < len(words):
            for size in self._sizes.get(words[i], ()):
                hit = self._patterns.get(tuple(words[i : i + size])) if i + size <= len(words) else None
                if hit:
                    found = hit if found is None or found[0] == GREETING else found  # "здорово, спасибо" thanks
                    i += size
                    break
            else:
                near = self._near(words[i]) if len(words[i]) >= FUZZY_MIN_LENGTH else None
                if near:  # "привте", "спасибки"
                    hit = self._patterns[(near,)]
                    found = hit if found is None or found[0] == GREETING else found
                elif whole and not filler(originals[i]):
                    return None
                else:
                    rest.append(originals[i])
                i += 1
        if found is None:
            return None
        return found[0], found[1], [w for w in rest if not {w, read_back(w)} & SMALLTALK_FILLER]

    def _near(self, word: str) -> str | None:
        if word not in self._near_cache:
            if len(self._near_cache) >= CACHE_LIMIT:
                self._near_cache.clear()
            near = self._fuzzy.extract(word, limit=1) if self._fuzzy.possible(word) else None
            self._near_cache[word] = near[0][0] if near else None
        return self._near_cache[word]
