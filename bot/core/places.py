"""Whether a text names one of a list of places (or subjects), in any of its grammatical forms.

Place names are inflected ("Грузия", "в Грузии", "в Грузию"; Kazakh adds endings: "Қытайға"), and their stems
are ordinary words ("груз", cargo), so a Cyrillic name is matched by its root (the name without a final vowel)
followed by an ending that inflection could add ("кітап", book, is not "Қытай" with a "п"); a Latin one as written
("German company" is not Germany), and a short name (ОАЭ, UAE) only as the whole word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core.text import is_stopword, normalise

ENDING = 3  # letters an ending may add to a name's root: "грузи|ей", "кытай|га" after normalising
SEEN_LIMIT = 50_000  # words remembered with what they name
SHORT_ROOT = 4  # a root shorter than this is matched only as the whole word ("usa" must not find "used")
VOWELS = frozenset("аеёиоуыэюяйь")
# Kazakh case endings that open with a consonant, as normalise() spells them: to, in, from, of, with
KAZAKH_ENDINGS = frozenset(
    "га ге ка ке да де та те дан ден нан нен тан тен нын нин дын дин тын тин ны ни ды ди ты ти мен бен пен".split()
)


# where something or someone comes from: "привезла з Польщі" (read in Russian, "с Польщи"), "from Georgia", "Қытайдан"
FROM_WORDS = frozenset({"из", "изо", "з", "із", "зі", "from"})
FROM_OR_WITH = frozenset({"с", "со"})  # "с Турции" is from, "граница с Китаем" with: told by the ending
WITH_ENDINGS = frozenset({"ей", "ой", "ем", "ом", "ею", "ою"})
ABLATIVE = frozenset({"дан", "ден", "нан", "нен", "тан", "тен"})


def _origin(previous: str, ending: str) -> bool:
    """Whether a place with this ending, after this word, is named as where something comes from."""
    if previous in FROM_OR_WITH:
        return ending not in WITH_ENDINGS
    return previous in FROM_WORDS or ending in ABLATIVE


def _root(name: str) -> str:
    return name[:-1] if len(name) > SHORT_ROOT and name[-1] in VOWELS else name  # only Cyrillic ends in these


def _ending(rest: str, kazakh: bool) -> bool:
    return not rest or rest[0] in VOWELS or (kazakh and rest in KAZAKH_ENDINGS)


class Places:
    def __init__(self, names: Iterable[str], kazakh_endings: bool = True):
        """`kazakh_endings`: whether a Kazakh case ending that opens with a consonant may follow ("Қытайға"); not for
        words whose Russian forms it would take for another ("кредит" + "ка" is a credit card, not a loan)."""
        words = {normalise(name) for name in names} - {""}
        self._whole = frozenset(w for w in words if len(_root(w)) < SHORT_ROOT)
        self._roots = frozenset(_root(w) for w in words if len(_root(w)) >= SHORT_ROOT)
        self._starts = frozenset(r[:SHORT_ROOT] for r in self._roots)  # most words open like no root: told at once
        self._lengths = sorted({len(r) for r in self._roots})
        self._seen: dict[str, str | None] = {}
        self._kazakh = kazakh_endings

    def named(self, words: Iterable[str], origins: bool = True) -> bool:
        """Whether one of the (normalised) words is one of the places; without `origins`, a place named as where
        something or someone comes from ("телефон, который я привезла з Польщі", "Қытайдан") does not count."""
        previous = ""
        for word in words:
            ending = self._ending_of(word)
            if ending is not None and (origins or not _origin(previous, ending)):
                return True
            previous = word
        return False

    def names(self, word: str) -> bool:
        """Whether the (normalised) word is one of the places, in any of its forms."""
        return self._ending_of(word) is not None

    def _ending_of(self, word: str) -> str | None:
        """What inflection added to the place the word names ("" as written); None when it names none. Remembered
        per word (a few thousand words make most questions), forgotten all at once past SEEN_LIMIT."""
        found = self._seen.get(word, word)  # a word is never its own ending: not seen yet
        if found != word:
            return found
        if len(self._seen) >= SEEN_LIMIT:
            self._seen.clear()
        ending = self._seen[word] = self._look_up(word)
        return ending

    def _look_up(self, word: str) -> str | None:
        if word in self._whole:
            return ""
        if word[:SHORT_ROOT] not in self._starts:
            return None
        return next(
            (
                word[length:]
                for length in self._lengths
                if length <= len(word) <= length + ENDING
                and word[:length] in self._roots
                and _ending(word[length:], self._kazakh)
            ),
            None,
        )


class Together:
    """Whether a text names a word of one list next to a word of another, in either order ("купить однушку", "buy a
    used car", "пәтер сатып алу"): a subject two words make, each of which alone is a covered one's ("купить симку",
    "машина на российских номерах"). A preposition between them parts them ("купить страховку на машину"), and so does
    an English noun after the second ("buy car insurance")."""

    def __init__(
        self, first: Iterable[str], second: Iterable[str], between: Iterable[str], gap: int, unless: Iterable[str] = ()
    ):
        """`unless`: words that make the pair a covered question's detail ("для покупки квартиры нужен иин?")."""
        self._first, self._second, self._unless = Places(first), Places(second), Places(unless)
        self._between = frozenset(normalise(w) for w in between)
        self._gap = gap

    def named(self, words: Sequence[str]) -> bool:
        firsts = [i for i, w in enumerate(words) if self._first.names(w)]
        if not firsts or any(map(self._unless.names, words)):
            return False
        seconds = [i for i, w in enumerate(words) if self._second.names(w) and not _compound(words, i)]
        return any(
            0 < abs(i - j) <= self._gap and not self._between.intersection(words[min(i, j) + 1 : max(i, j)])
            for i in firsts
            for j in seconds
        )


def _compound(words: Sequence[str], at: int) -> bool:
    """An English noun that names what another one is of ("car insurance"): a Latin word that one follows."""
    following = words[at + 1] if at + 1 < len(words) else ""
    return words[at].isascii() and following.isascii() and following.isalpha() and not is_stopword(following)
