"""Matching a newcomer's question to an FAQ entry.

Every phrasing of every entry (in all languages) is pre-processed once at load: normalised, synonyms
applied, cut into character n-grams (TF-IDF, robust to typos and word endings) and into stems
(IDF-weighted coverage, with rapidfuzz for misspelt words). A query is scored in each of its
rewrites (as typed, keyboard layout swapped, transliterated) and the best reading wins.
The score then decides between three outcomes: answer, clarify (offer choices) or no match.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.core.index import Index, Weights
from bot.core.knowledge import Knowledge
from bot.core.text import has_kazakh_letters, has_latin, is_stopword, normalise, rewrites, squeeze, stem

OFFTOPIC = "(off-topic)"  # the pseudo-entry made of knowledge/offtopic.yaml; never a real id
NGRAM_SIZES = (3, 4, 5)
CHAR_WEIGHT = 0.5  # share of the character n-gram similarity in the score; the rest is stem coverage
UNKNOWN_WORD_WEIGHT = 0.5  # a word no entry knows, relative to the rarest known word
CENTROID_WEIGHT = 0.5  # within the n-gram similarity: the entry as a whole versus its closest phrasing
KEYWORD_MATCH = 1.0  # how much a query word counts when it is one of the entry's keywords
PHRASING_MATCH = 0.7  # how much it counts when it only appears in the entry's phrasings
FUZZY_MIN_LENGTH = 4
FUZZY_CUTOFF = 80.0
FUZZY_CREDIT = 0.7  # a misspelt word counts this much of a correctly spelt one
REWRITE_PENALTY = {"typed": 1.0, "layout": 0.97, "translit": 0.97}
RANK_DEPTH = 5  # match() needs the exact scores of the best five entries only (see bot/core/index.py)
CACHE_LIMIT = 50_000  # words remembered between questions (fuzzy look-ups), then forgotten all at once
# Words that may stand beside a greeting or thanks without making it a question.
SMALLTALK_FILLER = frozenset(squeeze(w) for w in
    "bro бро брат братан большое огромное очень much so very lot a you тебе вам тебя вас всем all "
    "everyone again еще ещ друг friend dear дорогой бот bot ok ок окей".split()
)


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs (0-100) chosen by measuring on labelled questions (`python -m bot eval`)."""

    answer: float = 26.0  # the best entry's score needed to answer outright
    lead: float = 1.1  # ... and how many times the runner-up's score it must be
    margin: float = 2.0  # ... and by how many points at least
    clarify: float = 20.0  # below this, no entry is offered at all
    choice_window: float = 15.0  # runners-up within this many points are offered beside the best


@dataclass(frozen=True)
class Match:
    question: str
    outcome: str  # answer | clarify | none | smalltalk
    entry_id: str | None
    score: float
    alternatives: tuple[str, ...] = ()
    language: str = "ru"
    smalltalk: str | None = None
    ranking: tuple[tuple[str, float], ...] = field(default=(), compare=False, repr=False)

    @property
    def nearest(self) -> str | None:
        """The answered entry, or else the closest real one: what the query log records as matched."""
        if self.outcome == "smalltalk":
            return None
        return self.entry_id or next((e for e, _ in self.ranking if e != OFFTOPIC), None)

    def as_json(self) -> dict:
        return {
            "question": self.question,
            "id": self.entry_id if self.outcome == "answer" else None,
            "outcome": self.outcome,
            "score": round(self.score, 1),
            "alternatives": list(self.alternatives),
        }


@dataclass
class _Scored:
    score: float
    language: str


class _Synonyms:
    """Rewrites every variant (word or phrase) to its group's canonical form, longest phrase first."""

    def __init__(self, groups: tuple[tuple[str, ...], ...]):
        self.phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for group in groups:
            canonical = tuple(normalise(group[0]).split())
            for variant in group[1:]:
                key = tuple(normalise(variant).split())
                if key and key != canonical:
                    self.phrases.setdefault(key, canonical)
        self.longest = max((len(k) for k in self.phrases), default=0)

    def apply(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 0, -1):
                replacement = self.phrases.get(tuple(words[i:i + size]))
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out


@lru_cache(maxsize=65536)
def _word_ngrams(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    return tuple(padded[i:i + size] for size in NGRAM_SIZES if len(padded) >= size
                 for i in range(len(padded) - size + 1))


def _ngrams(words: list[str]) -> Counter:
    grams: Counter = Counter()
    for word in words:
        grams.update(_word_ngrams(word))
    return grams


class Matcher:
    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None):
        self.knowledge = knowledge
        self.thresholds = thresholds or Thresholds()
        self._synonyms = _Synonyms(knowledge.synonyms)
        self._entry_ids = list(knowledge.entries) + ([OFFTOPIC] if knowledge.offtopic else [])
        self._similar_cache: dict[str, dict[str, float]] = {}
        self._smalltalk_cache: dict[str, str | None] = {}
        self._build_stem_index()
        self._build_ngram_index()
        self._build_smalltalk()

    # --- index ------------------------------------------------------------------------------

    def _analyse(self, text: str) -> tuple[list[str], list[str]]:
        """(words after synonyms, content stems) of a text; stopwords are kept only when nothing else is left."""
        words = self._synonyms.apply(normalise(text).split())
        content = [stem(w) for w in words if not is_stopword(w)]
        return words, content or [stem(w) for w in words]

    def content_stems(self, text: str) -> list[str]:
        """The stems a text is matched on (synonyms applied, stopwords dropped): how similar questions are grouped."""
        return self._analyse(text)[1]

    def _phrasings(self) -> list[tuple[int, str, str]]:
        """(entry index, language, text) of every question and phrasing, the off-topic ones included."""
        found = []
        for index, entry_id in enumerate(self._entry_ids):
            if entry_id == OFFTOPIC:
                found.extend((index, lang, p) for lang, ps in self.knowledge.offtopic.items() for p in ps)
                continue
            for lang, text in self.knowledge.entries[entry_id].texts.items():
                found.extend((index, lang, p) for p in (text.question, *text.phrasings))
        return found

    def _build_ngram_index(self) -> None:
        """Every phrasing's n-grams, with the stems, in the compact index that scores questions (bot/core/index.py)."""
        docs: list[tuple[int, str, Counter]] = []
        for index, lang, phrasing in self._phrasings():
            words, _ = self._analyse(phrasing)
            if words:
                docs.append((index, lang, _ngrams(words)))
        self._index = Index(docs, len(self._entry_ids), self._stem_entries, Weights(CHAR_WEIGHT, CENTROID_WEIGHT))

    def _build_stem_index(self) -> None:
        """stem -> {entry: strength}: an entry's keywords count fully, words of its phrasings a little less."""
        self._stem_entries: dict[str, dict[int, float]] = defaultdict(dict)

        def add(text: str, entry: int, strength: float) -> None:
            for s in self._analyse(text)[1]:
                if self._stem_entries[s].get(entry, 0.0) < strength:
                    self._stem_entries[s][entry] = strength

        for index, _, phrasing in self._phrasings():
            add(phrasing, index, PHRASING_MATCH)
        for index, entry_id in enumerate(self._entry_ids):
            if entry_id != OFFTOPIC:
                for text in self.knowledge.entries[entry_id].texts.values():
                    for keyword in text.keywords:
                        add(keyword, index, KEYWORD_MATCH)
        total = len(self._entry_ids)
        self._stem_idf = {s: math.log(1 + total / len(e)) for s, e in self._stem_entries.items()}
        self._unknown_stem_idf = math.log(1 + total) * UNKNOWN_WORD_WEIGHT
        self._fuzzy_vocabulary = [s for s in self._stem_entries if len(s) >= FUZZY_MIN_LENGTH]
        # fuzz.ratio >= 80 needs lengths within 2/3 .. 3/2 of each other: each length gets only those stems,
        # in vocabulary order (so ties come out as before)
        self._fuzzy_by_length: dict[int, list[str]] = {}
        for size in range(FUZZY_MIN_LENGTH, max((len(v) for v in self._fuzzy_vocabulary), default=0) * 2 + 2):
            low, high = math.ceil(size * 2 / 3), math.floor(size * 3 / 2)
            self._fuzzy_by_length[size] = [v for v in self._fuzzy_vocabulary if low <= len(v) <= high]

    def _build_smalltalk(self) -> None:
        self._smalltalk: dict[tuple[str, ...], tuple[str, str]] = {}
        for intent in self.knowledge.smalltalk:
            for lang, patterns in intent.patterns.items():
                for pattern in patterns:
                    key = tuple(squeeze(normalise(pattern)).split())
                    if key:
                        self._smalltalk.setdefault(key, (intent.id, lang))
        self._smalltalk_longest = max((len(k) for k in self._smalltalk), default=0)
        self._smalltalk_words = [k[0] for k in self._smalltalk if len(k) == 1 and len(k[0]) >= FUZZY_MIN_LENGTH + 1]

    # --- scoring ----------------------------------------------------------------------------

    def _similar_stems(self, s: str) -> dict[str, float]:
        """Known stems this stem stands for: itself, or its closest spellings (a typo) with partial credit."""
        if s in self._stem_entries:
            return {s: 1.0}
        if len(s) < FUZZY_MIN_LENGTH:
            return {}
        found = self._similar_cache.get(s)
        if found is None:
            if len(self._similar_cache) >= CACHE_LIMIT:
                self._similar_cache.clear()
            choices = self._fuzzy_by_length.get(len(s), ())  # longer than 3/2 of any stem: none is close
            found = self._similar_cache[s] = {
                candidate: FUZZY_CREDIT * score / 100.0
                for candidate, score, _ in process.extract(s, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3)
            }
        return found

    def _query(self, text: str):
        """The index query for one reading, or None when the text has no words."""
        words, stems = self._analyse(text)
        if not words:
            return None
        weighted = []
        for s in dict.fromkeys(stems):
            similar = self._similar_stems(s)
            weight = max((self._stem_idf[c] for c in similar), default=self._unknown_stem_idf)
            weighted.append((weight, similar))
        return self._index.query(_ngrams(words), weighted)

    def rank(self, question: str, depth: int | None = None) -> tuple[str, list[tuple[str, float, str]]]:
        """(rewrite kind, entries ranked by score with the language of their best phrasing) for the best reading.

        All the entries the question touches by default; the best `depth` only (exactly, and much faster) when given.
        """
        best_kind, best_ranking, best_top = "typed", [], -1.0
        for kind, candidate in rewrites(question):
            query = self._query(candidate)
            penalty = REWRITE_PENALTY[kind]
            if query is None:
                ranking = []
            elif best_top >= 0 and query.upper_bound() * penalty <= best_top:
                continue  # this reading cannot beat the best one so far
            else:
                ranking = [(self._entry_ids[e], score * penalty, lang) for e, score, lang in query.top(depth)]
            top = ranking[0][1] if ranking else 0.0
            if top > best_top:
                best_kind, best_ranking, best_top = kind, ranking, top
        return best_kind, best_ranking

    # --- outcomes ---------------------------------------------------------------------------

    def smalltalk_intent(self, text: str) -> tuple[str, str, list[str]] | None:
        """(intent, language, words left over) when the message opens with or is small talk."""
        words = squeeze(normalise(text)).split()
        found: tuple[str, str] | None = None
        rest: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self._smalltalk_longest, len(words) - i), 0, -1):
                hit = self._smalltalk.get(tuple(words[i:i + size]))
                if hit:
                    found = found or hit
                    i += size
                    break
            else:
                near = self._near_smalltalk(words[i]) if len(words[i]) > FUZZY_MIN_LENGTH else None
                if near:  # "привте", "спасибки"
                    found = found or self._smalltalk[(near,)]
                else:
                    rest.append(words[i])
                i += 1
        if found is None:
            return None
        return found[0], found[1], [w for w in rest if w not in SMALLTALK_FILLER]

    def _near_smalltalk(self, word: str) -> str | None:
        if word not in self._smalltalk_cache:
            if len(self._smalltalk_cache) >= CACHE_LIMIT:
                self._smalltalk_cache.clear()
            near = process.extractOne(word, self._smalltalk_words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            self._smalltalk_cache[word] = near[0] if near else None
        return self._smalltalk_cache[word]

    def match(self, question: str) -> Match:
        """Small talk first (a whole message of greetings or thanks, in any reading), then the FAQ."""
        for kind, candidate in rewrites(question):
            talk = self.smalltalk_intent(candidate)
            if talk and all(is_stopword(w) for w in talk[2]):
                return Match(question, "smalltalk", None, 100.0, (), self._reply_language(question, kind, talk[1]), talk[0])
        talk = self.smalltalk_intent(question)
        if talk is None:
            return self._decide(question, question)
        # "привет, где получить иин": the greeting is dropped and the rest is the question
        intent, lang, rest = talk
        remainder = self._decide(question, " ".join(rest))
        if remainder.outcome in ("answer", "clarify"):
            return remainder
        return Match(question, "smalltalk", None, remainder.score, (), self._reply_language(question, "typed", lang), intent)

    def _decide(self, question: str, text: str) -> Match:
        kind, ranking = self.rank(text, depth=RANK_DEPTH)
        t = self.thresholds
        if not ranking or ranking[0][1] < t.clarify:
            top = ranking[0][1] if ranking else 0.0
            return Match(question, "none", None, top, (), self._reply_language(text, kind, None), ranking=self._short(ranking))
        top_id, top_score, lang = ranking[0]
        second = ranking[1][1] if len(ranking) > 1 else 0.0
        language = self._reply_language(text, kind, lang)
        if top_id == OFFTOPIC:
            return Match(question, "none", None, top_score, (), language, ranking=self._short(ranking))
        if top_score >= t.answer and top_score >= t.lead * second and top_score - second >= t.margin:
            others = tuple(e for e, _, _ in ranking[1:3])
            return Match(question, "answer", top_id, top_score, others, language, ranking=self._short(ranking))
        choices = [top_id] + [
            e for e, s, _ in ranking[1:3] if e != OFFTOPIC and s >= top_score - t.choice_window and s >= t.clarify * 0.75
        ]
        return Match(question, "clarify", None, top_score, tuple(choices), language, ranking=self._short(ranking))

    @staticmethod
    def _short(ranking: list[tuple[str, float, str]]) -> tuple[tuple[str, float], ...]:
        return tuple((e, round(s, 1)) for e, s, _ in ranking[:5])

    @staticmethod
    def _reply_language(text: str, kind: str, matched: str | None) -> str:
        """Answer in the language the question was written in, as far as it can be told."""
        if has_kazakh_letters(text):
            return "kk"
        if kind in ("translit", "layout") and has_latin(text):
            return "ru"
        if matched in ("ru", "en", "kk"):
            if matched == "en" and not has_latin(text):
                return "ru"
            return matched
        return "en" if has_latin(text) else "ru"
