"""Matching a newcomer's question to an FAQ entry.

Every phrasing of every entry (in all languages) is pre-processed once at load: normalised, synonyms
applied, cut into character n-grams (TF-IDF, robust to typos and word endings) and into stems
(IDF-weighted coverage, with rapidfuzz for misspelt words). A query is scored in each of its
rewrites (as typed, keyboard layout swapped, transliterated) and the best reading wins.
The score then decides between three outcomes: answer, clarify (offer choices) or no match.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import chain

import numpy as np

from bot.core.classifier import FamilyClassifier, Sample, Words
from bot.core.doubt import DOUBT, Doubt, Evidence
from bot.core.embeddings import WordVectors
from bot.core.fuzzy import FuzzyVocabulary
from bot.core.index import Index, Query, Weights, ngrams, word_ngrams
from bot.core.knowledge import Knowledge
from bot.core.language import LanguageReader
from bot.core.places import Places, Together
from bot.core.question import (
    CONTEXT_WEIGHT,
    FOLLOW_UP_ENDS,
    PRONOUNS,
    SUBJECT_WORDS,
    asked_apart,
    asking_part,
    asking_sentences,
    asks,
    asks_the_same,
    asks_under_condition,
    follows_up,
    marked_follow_up,
    question_alone,
    question_part,
    question_parts,
    without_pieces,
    without_question_words,
)
from bot.core.smalltalk import GREETING, SmallTalk, filler
from bot.core.synonyms import Synonyms
from bot.core.text import has_latin, is_stopword, normalise, rewrites, stem

OFFTOPIC = "(off-topic)"  # the pseudo-entry made of knowledge/offtopic.yaml; never a real id
CHAR_WEIGHT = 0.5  # share of the character n-gram similarity in the score; the rest is stem coverage
UNKNOWN_WORD_WEIGHT = 0.5  # a word no entry knows, relative to the rarest known word
CENTROID_WEIGHT = 0.5  # within the n-gram similarity: the entry as a whole versus its closest phrasing
KEYWORD_MATCH = 1.0  # how much a query word counts when it is one of the entry's keywords
PHRASING_MATCH = 0.7  # how much it counts when it only appears in the entry's phrasings
# an off-topic neighbour's weight in the classifier's training, against 1 for a phrasing: enough to tell a mortgage
# from renting, too little to pull renting away (0, 0.1, 0.2, 0.3, 0.5 and 1 tried on the sets written apart)
NEIGHBOUR_WEIGHT = 0.2
FUZZY_MIN_LENGTH = 4
FUZZY_CUTOFF = 80.0
FUZZY_CREDIT = 0.7  # a misspelt word counts this much of a correctly spelt one
REWRITE_PENALTY = {"typed": 1.0, "layout": 0.97, "translit": 0.97}
RANK_DEPTH = 5  # match() needs the exact scores of the best five entries only (see bot/core/index.py)
FOLLOW_UP_DEPTH = 20  # a follow-up chooses within the family among more entries: what it asks and what it follows
CACHE_LIMIT = 50_000  # words remembered between questions (fuzzy look-ups), then forgotten all at once
MATCH_CACHE = 4096  # whole questions remembered with their match
SMALLTALK_REST = 3  # words besides small talk that still make a message small talk, when nothing in it asks
CONTEXT_FAMILY_BOOST = 3.0
TAG = re.compile(r"<[^>]+>")  # HTML tags of an answer, dropped before its words are read
CHOICES = 3  # entries a "did you mean" offers at most
NEAR_SHARE = 0.75  # another family's entry joins a did-you-mean when its lexical score is this share of the best
ASKED_OFFTOPIC = 0.5  # in a story, the question alone this likely off-topic is not answered (top, 0.5, 0.7 tried)
LEXICAL_WEIGHT = 0.5  # log-odds a family gains per 10 points of its closest phrasing's lexical score
PAIR_GAP = 3  # words from one word of a pair to the other: "buy a used car"
# prepositions that part a pair's words: "купить страховку на машину", "курсы казахского на английском"
PAIR_PARTED_BY = (
    "на",
    "для",
    "в",
    "во",
    "к",
    "по",
    "за",
    "от",
    "for",
    "to",
    "in",
    "with",
    "on",
    "of",
    "үшін",
    "під",
    "у",
)
COMMON_SHARE = 1 / 3  # a stem in more than this share of the entries ("алматы", "казахстан") names no subject
OWN_SUBJECT_LEAD = 15.0  # lexical points by which a follow-up's own answer beats the conversation's (10, 15, 25 tried)


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs on the family's probability, chosen by cross-validation (`python -m bot eval --cv`)
    and the project's frozen held-out set, never by the public set."""

    answer: float = 0.65  # the family's probability needed to answer outright (0.55-0.75 tried)
    one_word: float = 0.8  # ... when the message has a single word of content ("документы"): less evidence
    clarify: float = 0.1  # below this, nothing is offered (0.2 offered the right family 0.5 less often)
    evidence: float = 8.0  # a lexical score (0-100) below this is no evidence at all: no match
    # an off-topic phrasing closest of all, this close (0-100) and this much closer than any entry, or this many
    # times closer than any entry: no match
    offtopic_near: float = 40.0  # 35-55 tried
    offtopic_margin: float = 3.0  # 0, 3 and 6 tried
    offtopic_lead: float = 2.0  # 1.5 and 2 tried
    # a follow-up that another family answers below this is answered in the conversation's family when an entry of
    # it tells every word the follow-up asks
    follow_up_elsewhere: float = 0.9
    # an answer this model is in doubt of is offered as a choice (bot/core/doubt.py); None: never in doubt
    doubt: Doubt | None = DOUBT


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
    family: str | None = None  # the answered entry's family
    alternative_families: tuple[str, ...] = ()  # the families of `alternatives`, in their order
    evidence: Evidence | None = field(default=None, compare=False, repr=False)  # of an answer, or one in doubt
    also: str | None = None  # of an answer: the entry that answers another question asked in the same message

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
            "family": self.family if self.outcome == "answer" else None,
            "alternative_families": list(self.alternative_families),
            "language": self.language,
        }


READING_WORD_LENGTH = 3  # shorter words tell no reading from gibberish: "d", "b", "yf" are в, и, на in the Latin layout


def _meaningful(word: str) -> bool:
    """A word the classifier reads through its word vector too: not a stopword."""
    return not is_stopword(word)


class Matcher:
    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None, vectors: WordVectors | None = None):
        self.knowledge = knowledge
        self._vectors = vectors if vectors is not None else WordVectors.shared()
        self.thresholds = thresholds or Thresholds()
        self._synonyms = Synonyms(knowledge.synonyms)
        self._smalltalk = SmallTalk(knowledge.smalltalk)
        self._abroad, self._here = Places(knowledge.abroad), Places(knowledge.here)
        self._nearby = Places(knowledge.nearby)
        self._returning = frozenset(
            stem(w) for w in self._synonyms.apply(normalise(" ".join(knowledge.returning)).split())
        )
        self._uncovered = Places(knowledge.uncovered, kazakh_endings=False)  # "кредитка" is a card, "кредит" a loan
        self._pairs = [
            Together(first, second, between=PAIR_PARTED_BY, gap=PAIR_GAP, unless=unless)
            for first, second, unless in knowledge.pairs
        ]
        offtopic = knowledge.offtopic or knowledge.offtopic_neighbours
        self._entry_ids = list(knowledge.entries) + ([OFFTOPIC] if offtopic else [])
        self._similar_cache: dict[str, dict[str, float]] = {}
        self._word_codes: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {}
        self._possible_cache: dict[str, bool] = {}
        self._matches: dict[tuple[str, str | None], Match] = {}
        self._readings_cache: dict[str, tuple[tuple[str, str], ...]] = {}
        self._told: dict[tuple[str, str, bool], frozenset[str]] = {}
        self._build_indexes()

    # --- index ------------------------------------------------------------------------------

    def _analyse(self, text: str) -> tuple[list[str], list[str]]:
        """(words after synonyms, content stems) of a text; stopwords are kept only when nothing else is left."""
        words = self._synonyms.apply(normalise(text).split())
        content = [stem(w) for w in words if not is_stopword(w)]
        return words, content or [stem(w) for w in words]

    def content_stems(self, text: str) -> list[str]:
        """The stems a text is matched on (synonyms applied, stopwords dropped): how similar questions are grouped."""
        return self._analyse(text)[1]

    def _phrasings(self) -> list[tuple[int, str, str, float]]:
        """(entry index, language, text, how much the family classifier learns from it) of every question and
        phrasing, the off-topic ones included. The off-topic neighbours are learnt lightly: their words are the
        covered topics' words ("ипотека на квартиру"), and taught in full they pull real questions about flats away."""
        found: list[tuple[int, str, str, float]] = []
        for index, entry_id in enumerate(self._entry_ids):
            if entry_id == OFFTOPIC:
                found.extend((index, lang, p, 1.0) for lang, ps in self.knowledge.offtopic.items() for p in ps)
                found.extend(
                    (index, lang, p, NEIGHBOUR_WEIGHT)
                    for lang, ps in self.knowledge.offtopic_neighbours.items()
                    for p in ps
                )
                continue
            for lang, text in self.knowledge.entries[entry_id].texts.items():
                found.extend((index, lang, p, 1.0) for p in (text.question, *text.phrasings))
        return found

    def _build_indexes(self) -> None:
        """One pass over every phrasing: its n-grams into the compact index that scores questions
        (bot/core/index.py), its stems into stem -> {entry: strength}; then the keywords, which count
        fully where words of the phrasings count a little less."""
        stem_entries: dict[str, dict[int, float]] = defaultdict(dict)

        def add(stems: list[str], entry: int, strength: float) -> None:
            for s in stems:
                if stem_entries[s].get(entry, 0.0) < strength:
                    stem_entries[s][entry] = strength

        labelled: list[Sample] = []

        def docs() -> Iterator[tuple[int, str, Counter]]:
            for index, lang, phrasing, weight in self._phrasings():
                words, stems = self._analyse(phrasing)
                add(stems, index, PHRASING_MATCH)
                if words:
                    labelled.append(([(w, 1.0) for w in words], self._families[index], weight))
                    yield index, lang, ngrams(words)

        self._families = [OFFTOPIC if e == OFFTOPIC else self.knowledge.entries[e].family for e in self._entry_ids]
        self._entry_index = {e: i for i, e in enumerate(self._entry_ids)}
        self._index = Index(docs(), len(self._entry_ids), {}, Weights(CHAR_WEIGHT, CENTROID_WEIGHT))
        self._languages = LanguageReader((lang, phrasing) for _, lang, phrasing, _ in self._phrasings())
        self.classifier = FamilyClassifier.trained(labelled, self._word_features, _meaningful, self._vectors)
        for index, entry_id in enumerate(self._entry_ids):
            if entry_id != OFFTOPIC:
                for text in self.knowledge.entries[entry_id].texts.values():
                    for keyword in text.keywords:
                        add(self._analyse(keyword)[1], index, KEYWORD_MATCH)
        self._stem_entries = dict(stem_entries)  # a plain dict from now on: looking up never adds
        family_stems: dict[str, set[str]] = defaultdict(set)
        for s, entries in self._stem_entries.items():
            for e in entries:
                family_stems[self._families[e]].add(s)
        self._family_stems = {family: frozenset(stems) for family, stems in family_stems.items()}
        covered = set().union(*(stems for family, stems in family_stems.items() if family != OFFTOPIC))
        self._offtopic_only = frozenset(family_stems.get(OFFTOPIC, set()) - covered)
        self._index.set_stem_entries(self._stem_entries)
        total = len(self._entry_ids)
        self._stem_idf = {s: math.log(1 + total / len(e)) for s, e in self._stem_entries.items()}
        self._common_stems = frozenset(s for s, e in self._stem_entries.items() if len(e) > total * COMMON_SHARE)
        self._unknown_stem_idf = math.log(1 + total) * UNKNOWN_WORD_WEIGHT
        self._fuzzy_vocabulary = [s for s in self._stem_entries if len(s) >= FUZZY_MIN_LENGTH]
        self._fuzzy = FuzzyVocabulary(self._fuzzy_vocabulary, FUZZY_CUTOFF)  # the same results, far fewer comparisons
        idfs = [*self._stem_idf.values(), self._unknown_stem_idf]
        self._stem_idf_range = (min(idfs), max(idfs))  # the weight a misspelt stem can get, at either end

    @staticmethod
    def _word_features(word: str) -> tuple[str, ...]:
        """What the family classifier reads of a word: its character n-grams, and its stem unless it is a stopword."""
        return word_ngrams(word) if is_stopword(word) else (*word_ngrams(word), "~" + stem(word))

    # --- scoring ----------------------------------------------------------------------------

    def _similar_stems(self, s: str) -> dict[str, float]:
        """Known stems this stem stands for: itself, or its closest spellings (a typo) with partial credit."""
        if s in self._stem_entries:
            return {s: 1.0}
        if len(s) < FUZZY_MIN_LENGTH:
            return {}
        found = self._similar_cache.get(s)
        if found is None:
            if not self._fuzzy_possible(s):
                return {}
            if len(self._similar_cache) >= CACHE_LIMIT:
                self._similar_cache.clear()
            found = self._similar_cache[s] = {
                candidate: FUZZY_CREDIT * score / 100.0 for candidate, score, _ in self._fuzzy.extract(s, limit=3)
            }
        return found

    def _reading(self, text: str) -> tuple[list[str], Query] | None:
        """The index query of one reading, n-grams only (stems come later, when it is worth scoring); None without
        words."""
        words = self._synonyms.apply(normalise(text).split())
        if not words:
            return None
        codes = [self._word_code(w) for w in words]
        return words, self._index.query(
            Counter(chain.from_iterable(known for known, _ in codes)),
            Counter(chain.from_iterable(unknown for _, unknown in codes)),
            (),
        )

    def _word_code(self, word: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """A word's n-grams as the index knows them: worked out once per word."""
        found = self._word_codes.get(word)
        if found is None:
            if len(self._word_codes) >= CACHE_LIMIT:
                self._word_codes.clear()
            found = self._word_codes[word] = self._index.encode(word_ngrams(word))
        return found

    def _fuzzy_possible(self, s: str) -> bool:
        found = self._possible_cache.get(s)
        if found is None:
            if len(self._possible_cache) >= CACHE_LIMIT:
                self._possible_cache.clear()
            found = self._possible_cache[s] = self._fuzzy.possible(s)
        return found

    def _readings(self, question: str) -> tuple[tuple[str, str], ...]:
        """The readings worth scoring. A question typed in the wrong layout or script reads as gibberish
        word after word, and so does a question typed right once its layout is swapped or it is
        transliterated: when some readings are mostly known words (stopwords or stems of the knowledge),
        only those are scored, the text as typed included."""
        found = self._readings_cache.get(question)
        if found is None:
            if len(self._readings_cache) >= MATCH_CACHE:
                self._readings_cache.clear()
            readings = rewrites(question)
            if len(readings) > 1 and self._mostly_known(question):  # read as typed: "ищу job в it в алматы"
                readings = readings[:1]
            known = [self._mostly_known(text) for _, text in readings] if len(readings) > 1 else []
            if any(known):
                readings = [reading for reading, readable in zip(readings, known, strict=True) if readable]
            found = self._readings_cache[question] = tuple(readings)
        return found

    def _mostly_known(self, text: str) -> bool:
        """Whether more of the text's words (of three letters or more) are stopwords or stems of the
        knowledge than not; the words are read until that is certain."""
        words = [w for w in self._synonyms.apply(normalise(text).split()) if len(w) >= READING_WORD_LENGTH]
        needed = len(words) // 2 + 1
        known = 0
        for read, word in enumerate(words, 1):
            if is_stopword(word) or stem(word) in self._stem_entries:
                known += 1
                if known == needed:
                    return True
            elif read - known > len(words) - needed:
                return False
        return False

    def _with_stems(self, words: list[str], query: Query, floor: float = -1.0) -> Query | None:
        """The query with its stems; None when it surely scores at most `floor` (decided before looking up
        misspellings)."""
        stems = [stem(w) for w in words if not is_stopword(w)] or [stem(w) for w in words]  # as _analyse()
        if floor >= 0 and query.char_bound() + (1 - CHAR_WEIGHT) * 100.0 * self._coverage_bound(stems) <= floor:
            return None
        weighted = []
        for s in dict.fromkeys(stems):
            similar = self._similar_stems(s)
            weight = max((self._stem_idf[c] for c in similar), default=self._unknown_stem_idf)
            weighted.append((weight, similar))
        query.set_stems(weighted)
        return query

    def _coverage_bound(self, stems: list[str]) -> float:
        """The most coverage the stems could reach, whatever their misspellings turn out to match."""
        fixed_hits = fixed_total = open_count = 0.0
        for s in dict.fromkeys(stems):
            if s in self._stem_entries:
                fixed_hits += self._stem_idf[s] * self._index.stem_max.get(s, 0.0)
                fixed_total += self._stem_idf[s]
            elif len(s) < FUZZY_MIN_LENGTH or not self._fuzzy_possible(s):
                fixed_total += self._unknown_stem_idf
            else:
                open_count += 1
        if not open_count:
            return fixed_hits / fixed_total if fixed_total else 0.0
        # each misspelt stem counts at most FUZZY_CREDIT with a weight between the smallest and largest possible:
        # the share is largest at one end or the other
        return max(
            (fixed_hits + FUZZY_CREDIT * w * open_count) / (fixed_total + w * open_count) for w in self._stem_idf_range
        )

    def rank(self, question: str, depth: int | None = None) -> tuple[str, list[tuple[str, float, str]]]:
        """(rewrite kind, entries ranked by score with the language of their best phrasing) for the best reading.

        All the entries the question touches by default; the best `depth` only (exactly, and much faster) when given.
        """
        kind, ranking, _ = self._rank(question, depth)
        return kind, ranking

    def _rank(self, question: str, depth: int | None) -> tuple[str, list[tuple[str, float, str]], list[str]]:
        """rank(), and the words of the reading that won."""
        readings = []
        for order, (kind, candidate) in enumerate(self._readings(question)):
            found = self._reading(candidate)
            if found is not None:
                penalty = REWRITE_PENALTY[kind]
                bound = penalty * (found[1].char_bound() + (1 - CHAR_WEIGHT) * 100.0)
                readings.append((bound, order, kind, penalty, *found))
        # the most promising reading first, so that the others are often ruled out by their bounds alone;
        # the result is the same as scoring them in order: the best score wins, the earlier reading on a tie
        readings.sort(key=lambda r: (-r[0], r[1]))
        best: tuple[float, int, str, list, list[str]] = (-1.0, len(readings), "typed", [], [])
        for bound, order, kind, penalty, words, query in readings:
            if bound < best[0] or (bound == best[0] and order > best[1]):
                continue
            stemmed = self._with_stems(words, query, best[0] / penalty if best[0] >= 0 else -1.0)
            if stemmed is None or (best[0] >= 0 and stemmed.upper_bound() * penalty < best[0]):
                continue
            top_entries = stemmed.top(depth, best[0] / penalty if best[0] >= 0 else -1.0)
            if top_entries is None:
                continue
            ranking = [(self._entry_ids[e], score * penalty, lang) for e, score, lang in top_entries]
            top = ranking[0][1] if ranking else 0.0
            if top > best[0] or (top == best[0] and order < best[1]):
                best = (top, order, kind, ranking, words)
        if not best[4] and readings:  # nothing scored: the words of the most promising reading still tell the family
            best = (*best[:4], readings[0][4])
        return best[2], best[3], best[4]

    # --- outcomes ---------------------------------------------------------------------------

    def match(self, question: str, follows: str | None = None) -> Match:
        """Small talk first (a whole message of greetings or thanks, in any reading), then the FAQ.

        `follows`: the entry answered just before in this conversation; a short follow-up ("а ребенку?")
        is read with it in mind. The same text asked again (a burst of people asking alike, "привет",
        "иин") is answered from memory."""
        key = (question, follows)
        found = self._matches.get(key)
        if found is None:
            if len(self._matches) >= MATCH_CACHE:
                self._matches.clear()
            found = self._matches[key] = self._match(question, follows)
        return found

    def _match(self, question: str, follows: str | None) -> Match:
        typed = self._smalltalk.intent(question)  # the message as typed may also open with small talk
        others = (
            self._smalltalk.intent(text, whole=True) for kind, text in self._readings(question) if kind != "typed"
        )
        for talk in chain([typed], others):
            if talk and all(filler(w) for w in talk[2]):
                language = "ru" if talk[1] == "be" else talk[1]  # the language of the pattern: "privet" is Russian
                return Match(question, "smalltalk", None, 100.0, (), language, talk[0])
        # "спасибо, очень помогли!" is small talk; "привет, иин" asks about the IIN
        if (
            typed is not None
            and not asks(question)
            and len(typed[2]) <= SMALLTALK_REST
            and not self._greets_a_topic(typed)
        ):
            return Match(question, "smalltalk", None, 100.0, (), self._language(question, "typed"), typed[0])
        # "Привет! Мы переехали месяц назад. Где получить иин?": the greeting is dropped, the rest read as written
        text = (
            question
            if typed is None
            else (
                without_pieces(question, lambda piece: self._smalltalk.intent(piece, whole=True) is not None)
                or " ".join(typed[2])
            )
        )
        found = self._decide(question, text, subject_before=not self._answerable_alone(text))
        context = self.knowledge.entries.get(follows) if follows else None
        if context is not None and follows_up(text):
            # unanswerable alone, or naming no subject of its own ("сколько дней есть?"), it may ask again what the
            # answer just read tells ("limit per person?")
            subject = set(self.content_stems(without_question_words(text)))  # "ақысы қанша?": a fee, "қанша" only asks
            vague = found.outcome != "answer" or len(subject) < SUBJECT_WORDS or asks_under_condition(text)
            if vague or marked_follow_up(text):
                leaning = self._decide(question, text, context.id, repeat=vague)
                if leaning.outcome != "none" and (vague or not self._asks_elsewhere(text, found, leaning)):
                    found = leaning
        if (
            typed is not None
            and (found.outcome == "none" or (found.outcome == "clarify" and not self._named_a_topic(found, typed)))
            and (not asks(text) or (typed[0] == GREETING and len(typed[2]) <= SMALLTALK_REST))
        ):
            # "привет! ты кто?" is small talk; "всё хорошо. Где поставить апостиль?" is a question left unanswered, and
            # so is "где найти хорошего стоматолога?" ("хорошего" is near "хорошо"); a choice of topics for a greeting
            # that names none would be a guess
            return Match(question, "smalltalk", None, found.score, (), found.language, typed[0])
        if found.outcome == "answer" and found.entry_id is not None:
            also = self._also_asked(question, text, found.entry_id)
            if also is not None:
                found = replace(found, also=also)
        return found

    def _also_asked(self, question: str, text: str, answered: str) -> str | None:
        """The entry that answers another question of the same message with confidence ("Где дешевле снимать жильё —
        в Астане или в Алматы? И где климат помягче?"): offered beside the answer. Each question is read alone."""
        asked = asked_apart(text)
        if len(asked) < 2:
            return None
        for part in asked:
            found = self._decide(question, part)
            if found.outcome == "answer" and found.entry_id != answered:
                return found.entry_id
        return None

    def _asks_elsewhere(self, text: str, alone: Match, leaning: Match) -> bool:
        """Whether a follow-up that names its own subject asks about it rather than about the answer it follows ("в
        каком порядке первые шаги?" || "а ИИН платный и сколько делают?"): no word points back ("а на телефон её
        можно поставить?"), and it is answered alone with confidence, by an entry its own words are much closer to
        than to the one the conversation would give."""
        own = dict(alone.ranking)
        closer = own.get(alone.entry_id or "", 0.0) - own.get(leaning.entry_id or "", 0.0)
        sure = alone.score >= 100 * self.thresholds.follow_up_elsewhere
        return sure and closer >= OWN_SUBJECT_LEAD and not PRONOUNS.intersection(normalise(text).split())

    def _named_a_topic(self, found: Match, talk: tuple[str, str, list[str]]) -> bool:
        """Whether a message that opens with small talk and got a choice asked something: it names an FAQ word, or
        it was an answer held back in doubt ("Здравствуйте, будьте добры, подскажите недорогой хостел в центре")."""
        return found.evidence is not None or self._greets_a_topic(talk)

    def _greets_a_topic(self, talk: tuple[str, str, list[str]]) -> bool:
        """A greeting with a word the FAQ knows beside it ("привет, симка"): a question in all but its mark. Thanks
        with one ("спасибо, теперь понятно про иин") stays thanks."""
        words = self._synonyms.apply(normalise(" ".join(talk[2])).split())
        return talk[0] == GREETING and any(not is_stopword(w) and stem(w) in self._stem_entries for w in words)

    def _decide(
        self, question: str, text: str, context: str | None = None, subject_before: bool = True, repeat: bool = False
    ) -> Match:
        """Answer, clarify or no match, from the family classifier's probability; the entry within the
        family from the lexical ranking. `context`: the entry a follow-up follows (its question is read
        with the message, its family is favoured); `repeat`: whether that entry may be answered again."""
        asked, parts = question_part(text, subject_before), question_parts(text, subject_before)
        # a follow-up's entry is chosen among more of the closest entries (_follow_up_entry): ranked once, deep enough
        kind, deep, asked_words = self._rank(asked, FOLLOW_UP_DEPTH if context else RANK_DEPTH)
        ranking, together = deep[:RANK_DEPTH], []
        language = self._language(text, kind)
        # a follow-up passes over the entry just answered, unless the message itself points at it or asks again
        # what that answer tells ("Can I take cash out?" || "limit per person?")
        again = (
            context is not None
            and repeat
            and self._tells(context, language, asked_words)
            and (asks_the_same(text) or not self._sibling_asked(context, language, asked_words, ranking))
        )
        answered = context if context and not again and context not in (e for e, _, _ in ranking) else None
        if context:  # the previous question is read too, and its family favoured
            previous = self.knowledge.entries[context].text(language).question
            parts = [*parts, (previous, CONTEXT_WEIGHT)]
            seen = {e for e, _, _ in ranking}
            together = self._rank(f"{asked} {previous}", FOLLOW_UP_DEPTH)[1]
            ranking = ranking + [r for r in together[:RANK_DEPTH] if r[0] not in seen]
        words = [(w, 1.0) for w in asked_words] if parts == [(asked, 1.0)] else self._weighted_words(parts, kind)
        logits = self.classifier.logits(words) + self._lexical_logits(ranking)
        if context:
            logits = logits + CONTEXT_FAMILY_BOOST * self.classifier.one_hot(self.knowledge.entries[context].family)
        probabilities = self.classifier.softmax(logits)
        if again and context is not None:
            # every word it asks is a word of the answer just read: that answer again, whatever the words alone lean to
            # ("а ввезти?" after "how much cash can I take out?" reads as nothing covered)
            family = self._family_of(context)
            place = self.classifier.place(family)
            score = 100.0 * float(probabilities[place]) if place is not None else 0.0
            return self._answer(question, context, round(score, 1), ranking, language)
        families = self.classifier.ranked(probabilities, 3)
        family, probability = families[0]
        score = round(100.0 * probability, 1)
        t = self.thresholds
        top_lexical = ranking[0][1] if ranking else 0.0
        # off-topic first is no answer, and no choice of the families after it: on the development sets such choices
        # were for off-topic questions ("где купить usdt за тенге") 100 times, for covered ones 6
        if (
            family == OFFTOPIC
            or top_lexical < t.evidence
            or probability < t.clarify
            or self._closest_offtopic(ranking)
            or self._asks_offtopic(text, kind, context)
            or self._asks_uncovered(text, kind, asked, asked_words)
        ):
            return Match(question, "none", None, score, (), language, ranking=self._short(ranking))
        entry = self._follow_up_entry(deep, together, family, answered) if context else None
        entry = entry or self._best_in_family(ranking, family, answered)
        needed = t.one_word if len({w for w, _ in words if not is_stopword(w)}) == 1 else t.answer
        told = self._told_in_family(context, ranking, language, asked_words) if context is not None else None
        confident = probability >= needed
        # a follow-up is not judged by its own words: the conversation names its subject
        evidence = (
            self._evidence(family, entry, probabilities, ranking, asked_words)
            if confident and entry is not None and context is None
            else None
        )
        doubted = t.doubt is not None and evidence is not None and t.doubt.in_doubt(evidence)
        if confident and entry is not None and not doubted:
            if told is not None and family != self._family_of(told) and probability < t.follow_up_elsewhere:
                entry = told  # "Какой номер полиции?" || "а если нет сим-карты?": 112 works without one
            elif told is not None and family == self._family_of(told) and not self._tells(entry, language, asked_words):
                entry = told  # a sibling that says nothing of what is asked: "How do I get an EDS?" || "an IIN first?"
            return self._answer(question, entry, score, ranking, language, evidence)
        likely = [f for f, p in families[1:] if p >= t.clarify / 2 and f != OFFTOPIC]
        if likely:  # the doubt is between families: the best entry of each
            choices = [e for e in (entry, *(self._best_in_family(ranking, f) for f in likely)) if e is not None]
        else:  # the doubt is within one family: its best entries, then others nearly as close
            siblings = list(self._in_family(ranking, family)) or ([entry] if entry else [])
            near = ranking[0][1] * NEAR_SHARE if ranking else 0.0
            close = (e for e, score, _ in ranking if e != OFFTOPIC and score >= near)
            choices = list(dict.fromkeys([*siblings, *close]))[:CHOICES]
        if not choices:
            return Match(question, "none", None, score, (), language, ranking=self._short(ranking))
        if told is not None:  # a follow-up in doubt: the conversation's entry that tells every word it asks
            return self._answer(question, told, score, ranking, language)
        return Match(
            question,
            "clarify",
            None,
            score,
            tuple(choices),
            language,
            ranking=self._short(ranking),
            alternative_families=tuple(self._family_of(e) for e in choices),
            evidence=evidence,
        )

    def _answer(
        self,
        question: str,
        entry: str,
        score: float,
        ranking: list[tuple[str, float, str]],
        language: str,
        evidence: Evidence | None = None,
    ) -> Match:
        """The answer `entry`, with the next two entries of the ranking as its alternatives."""
        others = tuple(e for e, _, _ in ranking if e != entry and e != OFFTOPIC)[:2]
        return Match(
            question,
            "answer",
            entry,
            score,
            others,
            language,
            ranking=self._short(ranking),
            family=self._family_of(entry),
            alternative_families=tuple(self._family_of(e) for e in others),
            evidence=evidence,
        )

    def _evidence(
        self,
        family: str,
        entry: str,
        probabilities: np.ndarray,
        ranking: list[tuple[str, float, str]],
        words: list[str],
    ) -> Evidence:
        """What tells an answer in doubt (bot/core/doubt.py): how close the classifier's runner-up and the closest
        phrasings are, and how much of the question the family's words explain."""
        family_stems = self._family_stems.get(family, frozenset())
        stems = [stem(w) for w in words if not is_stopword(w)]
        total = in_family = unknown = offtopic_only = 0.0
        for s in stems:
            similar = self._similar_stems(s)
            weight = max((self._stem_idf[x] for x in similar), default=self._unknown_stem_idf)
            total += weight
            in_family += weight if any(x in family_stems for x in similar) else 0.0
            unknown += weight if not similar else 0.0
            offtopic_only += weight if similar and all(x in self._offtopic_only for x in similar) else 0.0
        total = total or 1.0
        return Evidence(
            runner_up=float(np.sort(probabilities)[-2]) if len(probabilities) > 1 else 0.0,
            lexical=ranking[0][1] if ranking else 0.0,
            lexical_entry=max((score for e, score, _ in ranking if e == entry), default=0.0),
            lexical_offtopic=max((score for e, score, _ in ranking if e == OFFTOPIC), default=0.0),
            in_family=in_family / total,
            unknown=unknown / total,
            offtopic_only=offtopic_only / total,
            words=len(set(stems)),
        )

    def _closest_offtopic(self, ranking: list[tuple[str, float, str]]) -> bool:
        """Whether the closest phrasing is an off-topic one and clearly so: the question is worded like a neighbour
        of a covered topic ("ипотека на квартиру"), whatever family its words lean to."""
        if not ranking or ranking[0][0] != OFFTOPIC:
            return False
        closest, entry = ranking[0][1], next((score for e, score, _ in ranking if e != OFFTOPIC), 0.0)
        t = self.thresholds
        near = closest >= t.offtopic_near and closest >= entry + t.offtopic_margin
        return near or closest >= t.offtopic_lead * entry

    def _answerable_alone(self, text: str) -> bool:
        """Whether the question would be answered without the sentence before it ("Мы сняли квартиру. Где получить
        ИИН?"): only a question that names no subject of its own ("Можно записаться заранее?") takes it from there.
        """
        if question_parts(text) == question_parts(text, subject_before=False):
            return False  # no sentence before the question, or one that says what is done: nothing to choose
        alone = question_alone(text)
        if alone is None:
            return False  # too few words of its own to name a subject
        kind = next(iter(self._readings(alone)), ("typed", alone))[0]  # "Emhanaga qalai tirkeluge bolady?" in Cyrillic
        words = self._weighted_words([(alone, 1.0)], kind)
        return float(self.classifier.probabilities(words).max()) >= self.thresholds.answer

    def _asks_offtopic(self, text: str, kind: str, context: str | None) -> bool:
        """In a story or a follow-up, whether the question itself is off-topic ("we moved in March, all settled.
        Where do I get an apostille?"): the story or the previous answer tells the subject of the move, not of the
        question."""
        asking = asking_part(text)
        if context is None and (asking == text or question_alone(text) is None):
            return False  # the whole message asks, or its question names no subject ("Какой посоветуете?")
        words = self._weighted_words([(asking, 1.0)], kind)
        label, probability = self.classifier.ranked(self.classifier.probabilities(words), 1)[0]
        return label == OFFTOPIC and probability >= ASKED_OFFTOPIC

    def _asks_uncovered(self, text: str, kind: str, asked: str, asked_words: list[str]) -> bool:
        """Whether the question is about something no entry covers, however like a covered question its words are:
        life abroad (its asking clauses name a place abroad and not Kazakhstan: "Нужна ли виза в Грузию россиянам?",
        "flights from Almaty to Tbilisi"; the story may name where the asker came from, and the question where they
        set off: "a visa to Poland if we fly from Kazakhstan"; a place nearby counts unless the trip comes back: "a
        visa to Uzbekistan", not "to Bishkek and back: do my 90 days reset?"), or a subject left out (a loan, a
        mortgage, instalments, buying a flat or a car, learning English, named in a sentence that asks: "кредит
        наличными иностранцу дадут в каспи?", "можно ли иностранцу купить однушку?"). `asked_words`: the words of
        `asked`, read already."""
        asking = asking_part(text)
        words = asked_words if asking == asked else self._words_of(asking, kind)
        if not self._here.named(words, origins=False) and (
            self._abroad.named(words, origins=False)
            or (self._nearby.named(words, origins=False) and not self._returning.intersection(map(stem, words)))
        ):
            return True
        sentences = asking_sentences(text)
        words = words if sentences == asking else self._words_of(sentences, kind)
        return self._uncovered.named(words) or any(pair.named(words) for pair in self._pairs)

    def leaves_out(self, text: str) -> bool:
        """Whether the text asks about what offtopic.yaml leaves out (a place abroad or nearby, a word of `uncovered`,
        one of its `pairs`): `validate` reports an entry's phrasing that those lists would turn away."""
        kind = next(iter(self._readings(text)), ("typed", text))[0]
        asked = question_part(text)
        return self._asks_uncovered(text, kind, asked, self._words_of(asked, kind))

    def _words_of(self, text: str, kind: str) -> list[str]:
        return [w for w, _ in self._weighted_words([(text, 1.0)], kind)]

    def _lexical_logits(self, ranking: list[tuple[str, float, str]]) -> np.ndarray:
        """The closest phrasings' say: each family's best lexical score (0-100) in the ranking, as log-odds."""
        best: dict[str, float] = {}
        for entry_id, score, _ in ranking:
            family = self._families[self._entry_index[entry_id]]
            best[family] = max(best.get(family, 0.0), score)
        shift = np.zeros(len(self.classifier.labels), dtype=np.float32)
        for family, score in best.items():
            place = self.classifier.place(family)
            if place is not None:
                shift[place] = LEXICAL_WEIGHT * score / 10.0
        return shift

    def _follow_up_entry(
        self,
        alone: list[tuple[str, float, str]],
        together: list[tuple[str, float, str]],
        family: str,
        answered: str | None,
    ) -> str | None:
        """The family's entry a follow-up asks for: the closest to its own words (`alone`) and to them read with the
        question it follows (`together`), the scores added ("а если у меня иина пока нет?" after buying a SIM card: the
        SIM card without an IIN, though its own words alone are as close to the phone's IMEI)."""
        own = {e: score for e, score, _ in alone}
        both = {e: score for e, score, _ in together}
        pool = [e for e in {**own, **both} if e not in (OFFTOPIC, answered) and self._family_of(e) == family]
        return max(pool, key=lambda e: own.get(e, 0.0) + both.get(e, 0.0), default=None)

    def _best_in_family(
        self, ranking: list[tuple[str, float, str]], family: str, answered: str | None = None
    ) -> str | None:
        """The family's entry the lexical ranking puts first, else the family's overview. `answered`: the entry a
        follow-up follows, which the asker has already read: another one is chosen when the ranking has one."""
        found = next((e for e in self._in_family(ranking, family) if e != answered), None)
        overview = family if family in self.knowledge.entries and family != answered else None
        return found or overview or (answered if answered and self._family_of(answered) == family else None)

    def _tells(self, entry_id: str, language: str, words: list[str], answer: bool = True) -> bool:
        """Whether every word the message asks about is a word of the entry (its answer, question, phrasings and
        keywords in that language): a follow-up that asks what the answer just read already says. `answer=False`:
        of what the entry is asked with only (its question, phrasings and keywords)."""
        # "first" in "do I need an IIN first?" measures against the answer read: no word the answer must have, nor is
        # "Алматы" in "куда подавать заявление в Алматы?" (most entries' words; between questions it may still tell,
        # and alone it is what is asked: "а россиянам?")
        asked = {stem(w) for w in words if not is_stopword(w) and w not in FOLLOW_UP_ENDS}
        if answer:
            asked = (asked - self._common_stems) or asked
        key = (entry_id, language, answer)
        told = self._told.get(key)
        if told is None:
            text = self.knowledge.entries[entry_id].text(language)
            said = " ".join(((text.answer or "") if answer else "", text.question, *text.phrasings, *text.keywords))
            told = self._told[key] = frozenset(self._analyse(TAG.sub(" ", said))[1])
        return bool(asked) and asked <= told

    def _told_in_family(
        self, context: str, ranking: list[tuple[str, float, str]], language: str, words: list[str]
    ) -> str | None:
        """The closest entry of the conversation's family whose text has every word a follow-up asks."""
        siblings = self._in_family(ranking, self._family_of(context))
        return next((e for e in siblings if self._tells(e, language, words)), None)

    def _sibling_asked(
        self, entry_id: str, language: str, words: list[str], ranking: list[tuple[str, float, str]]
    ) -> bool:
        """Whether the words are what a sibling of `entry_id` among the closest entries is asked with, and not what
        `entry_id` is: "қандай құжаттар керек?" after the first-grade dates asks for the first-grade documents,
        though the dates' answer says "құжаттар"."""
        if self._tells(entry_id, language, words, answer=False):
            return False
        siblings = self._in_family(ranking, self._family_of(entry_id))
        return any(e != entry_id and self._tells(e, language, words, answer=False) for e in siblings)

    def _in_family(self, ranking: list[tuple[str, float, str]], family: str) -> Iterator[str]:
        """The ranking's entries of `family`, closest first."""
        return (e for e, _, _ in ranking if e != OFFTOPIC and self._family_of(e) == family)

    def _family_of(self, entry_id: str) -> str:
        return self.knowledge.entries[entry_id].family

    def _weighted_words(self, parts: list[tuple[str, float]], kind: str) -> Words:
        """The words of every part of the message, with the part's weight, read the way the winning reading was."""
        words: Words = []
        for part, weight in parts:
            reading = next((text for k, text in rewrites(part) if k == kind), part)
            words.extend((w, weight) for w in self._synonyms.apply(normalise(reading).split()))
        return words

    @staticmethod
    def _short(ranking: list[tuple[str, float, str]]) -> tuple[tuple[str, float], ...]:
        return tuple((e, round(s, 1)) for e, s, _ in ranking[:5])

    def _language(self, text: str, kind: str) -> str:
        """The language the message was written in: Russian typed in Latin letters or the wrong layout is Russian,
        Kazakh typed in Latin letters ("Gaz iisi shyqsa qai nomerge qongyrau shalamyn?") Kazakh."""
        if kind in ("translit", "layout") and has_latin(text):
            reading = next((read for k, read in rewrites(text) if k == kind), text)
            return "kk" if kind == "translit" and self._languages.language(reading) == "kk" else "ru"
        return self._languages.language(text)
