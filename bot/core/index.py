"""The matcher's index: character n-gram TF-IDF and stem coverage, in numpy arrays, fast to query.

An entry's score for one reading of a question is

    100 * (CHAR * ((1 - CENTROID) * best(e) + CENTROID * centroid(e)) + (1 - CHAR) * coverage(e))

best(e): cosine of the question's n-gram vector with the entry's closest phrasing; centroid(e):
cosine with the normalised sum of its phrasings; coverage(e): the IDF-weighted share of the
question's stems the entry knows (see bot/core/matcher.py).

Up to `Limits.dense_docs` phrasings (a FAQ of a few hundred entries) every phrasing's cosine is
computed at once from the question's n-grams' posting lists (one `bincount`): exact. Above that, the
coverage of every entry and its centroid over the question's rare n-grams nominate a few candidates
(`Limits.candidates`), whose phrasings are then read row by row (an entry of very many rows, the off-topic
neighbours', through its own posting lists instead): their closest phrasing and their
centroid (the sum of the phrasings' cosines over the length of their summed phrasings) are exact, so
every entry returned carries its exact score; an entry that this stand-in ranks below the candidates
is what the large index can miss (the bench counts how often). `top(None)` (validation, collisions)
is exact at any size.

Storage: the phrasings' n-gram weights row by row (one contiguous block per entry; 16 bytes an
n-gram of a phrasing), the same by n-gram for the dense case and for the largest entries of a large one, and by
rare n-gram the entries' centroids.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

CENTROID_CHUNK = 500  # entries whose centroids are summed at once while building
NGRAM_SIZES = (3, 4, 5)


@lru_cache(maxsize=65536)
def word_ngrams(word: str) -> tuple[str, ...]:
    """A word's character 3-, 4- and 5-grams, its edges marked by a space."""
    padded = f" {word} "
    return tuple(
        padded[i : i + size] for size in NGRAM_SIZES if len(padded) >= size for i in range(len(padded) - size + 1)
    )


def ngrams(words: list[str]) -> Counter:
    return Counter(chain.from_iterable(map(word_ngrams, words)))


@dataclass(frozen=True)
class Weights:
    char: float = 0.5  # share of the n-gram similarity in the score
    centroid: float = 0.5  # within it, the entry as a whole versus its closest phrasing

    @property
    def best_factor(self) -> float:
        return 100.0 * self.char * (1 - self.centroid)

    @property
    def centroid_factor(self) -> float:
        return 100.0 * self.char * self.centroid

    @property
    def coverage_factor(self) -> float:
        return 100.0 * (1 - self.char)


@dataclass(frozen=True)
class Limits:
    dense_docs: int = 6000  # up to this many phrasings every reading is scored exactly against all of them
    candidates: int = 5  # above it, entries scored exactly (the best by coverage and by their rare n-grams)
    rare_entries: int = 32  # an n-gram in at most this many entries nominates candidates...
    rare_share: float = 0.05  # ... or in at most this share of them
    posted_rows: int = 8000  # an entry with more n-gram rows than this (off-topic's neighbours) is read by n-gram


def _gather(ptr: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the concatenated slices ptr[k]:ptr[k + 1] for each key, and each slice's length."""
    starts = ptr[keys]
    lengths = ptr[keys + 1] - starts
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(ends[-1] if len(ends) else 0), lengths


@dataclass(frozen=True)
class Postings:
    """One entry's n-gram rows by n-gram: the n-grams (sorted), where each one's rows start, and per row the
    phrasing (counted within the entry) and its weight."""

    grams: np.ndarray
    ptr: np.ndarray
    doc: np.ndarray
    weight: np.ndarray

    def cosines(self, gids: np.ndarray, weights: np.ndarray, docs: int) -> np.ndarray:
        """The cosine of each of the entry's `docs` phrasings with the question (n-grams `gids`, `weights`)."""
        at = np.minimum(np.searchsorted(self.grams, gids), len(self.grams) - 1)
        hit = self.grams[at] == gids
        positions, lengths = _gather(self.ptr, at[hit])
        return np.bincount(self.doc[positions], np.repeat(weights[hit], lengths) * self.weight[positions], docs)


class Index:
    """Phrasings (entry, language, n-gram counts; entry by entry, in entry order) and stems
    (stem -> {entry: strength})."""

    def __init__(
        self,
        docs: Iterable[tuple[int, str, Counter]],
        entry_count: int,
        stem_entries: dict[str, dict[int, float]],
        weights: Weights = Weights(),
        limits: Limits = Limits(),
    ):
        self.weights = weights
        self.limits = limits
        self.entry_count = entry_count
        self._build(docs)
        self.set_stem_entries(stem_entries)

    def set_stem_entries(self, stem_entries: dict[str, dict[int, float]]) -> None:
        self.stem_entries = stem_entries
        self.stem_max = {s: max(e.values()) for s, e in stem_entries.items() if e}
        # the same as arrays, stem after stem: a question's stems are read as slices, made once here
        self._stem_row = {s: i for i, s in enumerate(stem_entries)}
        total = sum(map(len, stem_entries.values()))
        self._stem_ptr = np.concatenate(([0], np.cumsum([len(e) for e in stem_entries.values()], dtype=np.int64)))
        self._stem_entry = np.fromiter(chain.from_iterable(stem_entries.values()), np.int64, total)
        self._stem_strength = np.fromiter(
            chain.from_iterable(e.values() for e in stem_entries.values()), np.float64, total
        )

    def stem_arrays(self, stem: str) -> tuple[np.ndarray, np.ndarray]:
        """(entries, strengths) of a known stem."""
        row = self._stem_row[stem]
        start, end = self._stem_ptr[row], self._stem_ptr[row + 1]
        return self._stem_entry[start:end], self._stem_strength[start:end]

    # --- building -------------------------------------------------------------------------------

    def _build(self, source: Iterable[tuple[int, str, Counter]]) -> None:
        gram_id: dict[str, int] = {}
        gids, counts = array("i"), array("I")  # compact while building: 10,000 entries make millions
        doc_ptr = [0]
        doc_entry: list[int] = []
        self.doc_lang: list[str] = []
        for entry, lang, grams in source:
            if entry >= self.entry_count or (doc_entry and entry < doc_entry[-1]):
                raise ValueError("phrasings must come entry by entry, in entry order")
            for gram, count in grams.items():
                gid = gram_id.get(gram)
                if gid is None:
                    gid = gram_id[gram] = len(gram_id)
                gids.append(gid)
                counts.append(count)
            doc_ptr.append(len(gids))
            doc_entry.append(entry)
            self.doc_lang.append(lang)
        self.gram_id = gram_id
        grams_total, self.doc_count = len(gram_id), len(doc_entry)
        self.dense = self.doc_count <= self.limits.dense_docs
        row_gram = np.frombuffer(gids, np.int32).astype(np.int64)  # int64: the fastest to index with
        del gids
        self.doc_ptr = np.array(doc_ptr, np.int64)
        row_doc = np.repeat(np.arange(self.doc_count, dtype=np.int32), np.diff(self.doc_ptr))
        df = np.bincount(row_gram, minlength=grams_total)
        idf = np.log((1 + self.doc_count) / (1 + df)) + 1.0
        self.idf = idf
        self.unknown_idf = math.log(1 + self.doc_count) + 1.0
        values = np.frombuffer(counts, np.uint32).astype(np.float64)  # (1 + log count) * idf, in place
        del counts
        np.log(values, out=values)
        values += 1.0
        values *= idf[row_gram]
        norms = np.sqrt(np.bincount(row_doc, values * values, minlength=self.doc_count))
        norms[norms == 0] = 1.0
        self.row_gram = row_gram
        values /= norms[row_doc]
        self.row_weight = values
        self.entry_docs = np.zeros(self.entry_count + 1, np.int64)  # an entry's phrasings: entry_docs[e] .. [e + 1]
        np.add.at(self.entry_docs, np.array(doc_entry, np.int64) + 1, 1)
        np.cumsum(self.entry_docs, out=self.entry_docs)
        self.max_doc_weight = np.zeros(grams_total)
        np.maximum.at(self.max_doc_weight, row_gram, self.row_weight)
        if self.dense:  # the same weights n-gram by n-gram: one bincount scores every phrasing
            order = np.argsort(row_gram, kind="stable")
            self.gram_ptr = np.concatenate(([0], np.cumsum(np.bincount(row_gram, minlength=grams_total))))
            self.gram_doc = row_doc[order]
            self.gram_weight = self.row_weight[order]
            del order
        self._build_postings(row_doc)
        del row_doc
        self.filled_entries = np.flatnonzero(np.diff(self.entry_docs) > 0)
        self.entry_rows = self.doc_ptr[self.entry_docs]  # an entry's rows: entry_rows[e] .. [e + 1]
        self._build_centroids(grams_total)
        self._vector = np.zeros(grams_total)
        self._vector_lock = threading.Lock()

    def _build_postings(self, row_doc: np.ndarray) -> None:
        """In a large index, the largest entries' rows again by n-gram: a question's few n-grams are read there
        rather than every row of the entry (the off-topic entry holds hundreds of phrasings)."""
        self.postings: dict[int, Postings] = {}
        if self.dense:
            return
        rows = self.doc_ptr[self.entry_docs[1:]] - self.doc_ptr[self.entry_docs[:-1]]
        for entry in np.flatnonzero(rows > self.limits.posted_rows).tolist():
            start, end = self.doc_ptr[self.entry_docs[entry]], self.doc_ptr[self.entry_docs[entry + 1]]
            grams = self.row_gram[start:end]
            order = np.argsort(grams, kind="stable")
            keys, counts = np.unique(grams[order], return_counts=True)
            self.postings[entry] = Postings(
                keys,
                np.concatenate(([0], np.cumsum(counts))),
                row_doc[start:end][order] - self.entry_docs[entry],
                self.row_weight[start:end][order],
            )

    def _entry_sums(self, first: int, end: int, grams_total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(entry, n-gram, summed weight) of the entries first .. end - 1, by entry and then n-gram."""
        start, stop = self.entry_rows[first], self.entry_rows[end]
        row_entry = np.repeat(np.arange(first, end), np.diff(self.entry_rows[first : end + 1]))
        keys, inverse = np.unique(row_entry * grams_total + self.row_gram[start:stop], return_inverse=True)
        sums = np.bincount(inverse.ravel(), self.row_weight[start:stop], minlength=len(keys))
        return (keys // max(grams_total, 1)).astype(np.int32), (keys % max(grams_total, 1)).astype(np.int32), sums

    def _build_centroids(self, grams_total: int) -> None:
        """Each entry's normalised sum of its phrasings, entry by entry; in a large index also by n-gram
        for the rare n-grams (those that nominate candidates)."""
        parts = [
            self._entry_sums(first, min(first + CENTROID_CHUNK, self.entry_count), grams_total)
            for first in range(0, self.entry_count, CENTROID_CHUNK)
        ]  # a few entries at a time: less memory
        key_entry, key_gram, sums = (
            np.concatenate([part[i] for part in parts]) if parts else np.zeros(0, np.int32) for i in range(3)
        )
        norms = np.sqrt(np.bincount(key_entry, sums * sums, minlength=self.entry_count))
        norms[norms == 0] = 1.0
        self.centroid_norm = norms
        centroid = sums / norms[key_entry]
        self.max_centroid = np.zeros(grams_total)
        np.maximum.at(self.max_centroid, key_gram, centroid)
        if self.dense:
            return  # the centroid is the sum of the phrasings' cosines there
        entries_per_gram = np.bincount(key_gram, minlength=grams_total)
        self.rare = entries_per_gram <= max(self.limits.rare_entries, int(self.entry_count * self.limits.rare_share))
        kept = self.rare[key_gram]
        order = np.lexsort((key_entry[kept], key_gram[kept]))
        self.rare_ptr = np.concatenate(([0], np.cumsum(np.bincount(key_gram[kept], minlength=grams_total))))
        self.rare_entry = key_entry[kept][order].astype(np.int64)
        self.rare_weight = centroid[kept][order]

    @contextmanager
    def query_vector(self, gids: np.ndarray, weights: np.ndarray) -> Iterator[np.ndarray]:
        """The question as a dense vector over all n-grams: one buffer, filled and cleared again per use."""
        with self._vector_lock:
            self._vector[gids] = weights
            try:
                yield self._vector
            finally:
                self._vector[gids] = 0.0

    def encode(self, grams: Sequence[str]) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """A word's n-grams: the ids of the known ones, and the others themselves (remembered per word by the
        matcher)."""
        ids = tuple(map(self.gram_id.get, grams))
        known = tuple(i for i in ids if i is not None)
        if len(known) == len(ids):
            return known, ()
        return known, tuple(g for g, i in zip(grams, ids, strict=True) if i is None)

    def query(self, known: Counter, unknown: Counter, stems: Iterable[tuple[float, dict[str, float]]]) -> Query:
        """`known`: the reading's known n-grams (ids, as `encode` gives them) with how often each occurs,
        `unknown`: the same of the others; `stems`: per distinct stem, its IDF weight and the known stems
        it stands for with their similarity (itself with 1.0, or misspellings with partial credit)."""
        return Query(self, known, unknown, list(stems))


class Query:
    def __init__(self, index: Index, known: Counter, unknown: Counter, stems: list[tuple[float, dict[str, float]]]):
        self.index = index
        self.gids = np.fromiter(known.keys(), np.int64, len(known))
        counts = np.fromiter(known.values(), np.float64, len(known))
        weights = index.idf[self.gids] * (1.0 + np.log(counts))  # sublinear: an n-gram seen once counts 1
        squares = float(weights @ weights)
        for count in unknown.values():
            weight = index.unknown_idf if count == 1 else (1.0 + math.log(count)) * index.unknown_idf
            squares += weight * weight
        self.weights = weights / (math.sqrt(squares) or 1.0)
        self._length = math.sqrt(float(self.weights @ self.weights))
        self._char_bound: float | None = None
        self._best: float | None = None
        self.set_stems(stems)

    def set_stems(self, stems: list[tuple[float, dict[str, float]]]) -> None:
        self.stems = stems
        self.stem_total = sum(weight for weight, _ in stems)

    def char_bound(self) -> float:
        """No entry's n-gram part scores more than this (cheap: no list is read; worked out once)."""
        if self._char_bound is None:
            w = self.index.weights
            self._char_bound = self._best_bound() + w.centroid_factor * min(
                float(self.weights @ self.index.max_centroid[self.gids]), self._length
            )
        return self._char_bound

    def _best_bound(self) -> float:
        """No entry's closest-phrasing part scores more than this (Cauchy-Schwarz: unit vectors)."""
        if self._best is None:
            self._best = self.index.weights.best_factor * min(
                float(self.weights @ self.index.max_doc_weight[self.gids]), self._length
            )
        return self._best

    def upper_bound(self) -> float:
        """No entry scores more than this (cheap: no list is read)."""
        index = self.index
        coverage = 0.0
        if self.stem_total:
            coverage = (
                sum(
                    weight * max((sim * index.stem_max.get(c, 0.0) for c, sim in similar.items()), default=0.0)
                    for weight, similar in self.stems
                )
                / self.stem_total
            )
        return self.char_bound() + index.weights.coverage_factor * coverage

    def top(self, depth: int | None = 5, floor: float = -1.0) -> list[tuple[int, float, str]] | None:
        """The best `depth` entries (all the entries the question touches when None) as (entry, score,
        language of the closest phrasing), best first; ties by entry order.

        None when no entry can score above `floor` (told before any phrasing is read, in a large index)."""
        index, w = self.index, self.index.weights
        coverage = self._coverage()
        langs = index.doc_lang
        if not index.dense:
            entries = self._nominate(coverage, depth, floor)
            if entries is None:
                return None
            exact = {e: (best, centroid, doc) for e, best, centroid, doc in self._cosines_of(entries)}
            ranked = []
            for e, cover in zip(entries.tolist(), coverage[entries].tolist(), strict=True):
                best, centroid, doc = exact.get(e, (0.0, 0.0, 0))
                if best > 0 or cover > 0:
                    score = w.best_factor * best + w.centroid_factor * centroid + w.coverage_factor * cover
                    ranked.append((e, score, langs[doc] if best > 0 else "ru"))
            ranked.sort(key=lambda r: (-r[1], r[0]))  # best first, ties by entry order
            return ranked if depth is None else ranked[:depth]
        cosines = self._all_cosines()
        bests, centroids = self._per_entry(cosines)
        entries = np.flatnonzero((bests > 0) | (coverage > 0))
        scores = (
            w.best_factor * bests[entries]
            + w.centroid_factor * centroids[entries]
            + w.coverage_factor * coverage[entries]
        )
        order = np.lexsort((entries, -scores))  # best first, ties by entry order
        if depth is not None:
            order = order[:depth]
        chosen = entries[order]
        entry_docs = index.entry_docs
        return [
            (
                e,
                score,
                langs[int(entry_docs[e]) + int(np.argmax(cosines[entry_docs[e] : entry_docs[e + 1]]))]
                if matched
                else "ru",
            )
            for e, score, matched in zip(
                chosen.tolist(), scores[order].tolist(), (bests[chosen] > 0).tolist(), strict=True
            )
        ]

    def _coverage(self) -> np.ndarray:
        """Per entry: the weighted share of the question's stems it knows."""
        index = self.index
        coverage = np.zeros(index.entry_count)
        if not self.stem_total:
            return coverage
        for weight, similar in self.stems:
            known = [c for c in similar if c in index.stem_entries]
            if len(known) == 1:  # one stem: its entries are distinct, add at once
                entries, strengths = index.stem_arrays(known[0])
                coverage[entries] += (weight * similar[known[0]]) * strengths
            elif known:
                hits = np.zeros(index.entry_count)
                for c in known:  # a stem's entries are distinct: plain indexing takes the larger
                    entries, strengths = index.stem_arrays(c)
                    hits[entries] = np.maximum(hits[entries], similar[c] * strengths)
                coverage += weight * hits
        return coverage / self.stem_total

    def _all_cosines(self) -> np.ndarray:
        """Every phrasing's cosine with the question (dense index)."""
        index = self.index
        positions, lengths = _gather(index.gram_ptr, self.gids)
        return np.bincount(
            index.gram_doc[positions],
            np.repeat(self.weights, lengths) * index.gram_weight[positions],
            minlength=index.doc_count,
        )

    def _per_entry(self, cosines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(best, centroid) per entry from its phrasings' cosines."""
        index = self.index
        best, centroid = np.zeros(index.entry_count), np.zeros(index.entry_count)
        filled = index.filled_entries
        if len(filled):
            starts = index.entry_docs[filled]
            best[filled] = np.maximum.reduceat(cosines, starts)
            centroid[filled] = np.add.reduceat(cosines, starts) / index.centroid_norm[filled]
        return best, centroid

    def _nominate(self, coverage: np.ndarray, depth: int | None, floor: float) -> np.ndarray | None:
        """The entries to score exactly in a large index; None when none can score above `floor`.

        The stand-in score that nominates them is the coverage plus the centroid over the question's rare
        n-grams only: the common ones are in too many entries to tell them apart, and too many to read."""
        index, w = self.index, self.index.weights
        rare = index.rare[self.gids]
        positions, lengths = _gather(index.rare_ptr, self.gids[rare])
        partial = np.bincount(
            index.rare_entry[positions],
            np.repeat(self.weights[rare], lengths) * index.rare_weight[positions],
            minlength=index.entry_count,
        )
        known = w.centroid_factor * partial + w.coverage_factor * coverage
        if floor >= 0:
            common = ~rare
            rest = float(self.weights[common] @ index.max_centroid[self.gids[common]])
            if self._best_bound() + w.centroid_factor * rest + float(known.max(initial=0.0)) < floor:
                return None
        count = index.entry_count if depth is None else min(index.limits.candidates, index.entry_count)
        if count == index.entry_count:
            return np.arange(count)
        proxy = known + w.best_factor * partial
        return np.sort(np.argpartition(-proxy, count - 1)[:count])

    def _cosines_of(self, entries: np.ndarray) -> list[tuple[int, float, float, int]]:
        """(entry, best, centroid, its closest phrasing) for those of the given entries that have phrasings:
        their rows are read and matched against the question's n-grams (large index). The centroid is the
        sum of an entry's phrasing cosines over the length of its summed phrasings."""
        if not len(entries) or not len(self.gids):
            return []
        posted = [e for e in entries.tolist() if e in self.index.postings]
        if not posted:
            return self._rows_cosines(entries)
        read = entries[~np.isin(entries, posted)]
        return self._posted_cosines(posted) + (self._rows_cosines(read) if len(read) else [])

    def _posted_cosines(self, entries: list[int]) -> list[tuple[int, float, float, int]]:
        """_cosines_of() for the largest entries, by n-gram."""
        index, found = self.index, []
        for e in entries:
            first = int(index.entry_docs[e])
            cosines = index.postings[e].cosines(self.gids, self.weights, int(index.entry_docs[e + 1]) - first)
            at = int(np.argmax(cosines))
            found.append((e, float(cosines[at]), float(cosines.sum() / index.centroid_norm[e]), first + at))
        return found

    def _rows_cosines(self, entries: np.ndarray) -> list[tuple[int, float, float, int]]:
        """_cosines_of() for entries of a few phrasings, their rows read one after another."""
        index = self.index
        # an entry's rows are one slice: a few slices joined are cheaper to read than the rows picked one by one
        slices = [
            slice(start, end)
            for start, end in zip(
                index.entry_rows[entries].tolist(), index.entry_rows[entries + 1].tolist(), strict=True
            )
        ]
        grams = np.concatenate([index.row_gram[s] for s in slices])
        with index.query_vector(self.gids, self.weights) as vector:
            products = vector[grams] * np.concatenate([index.row_weight[s] for s in slices])
        docs, doc_counts = _gather(index.entry_docs, entries)
        row_counts = index.doc_ptr[docs + 1] - index.doc_ptr[docs]
        # a phrasing without n-grams (an empty text) sums nothing: reduceat would give it the next row's product
        cosines = np.add.reduceat(np.append(products, 0.0), np.cumsum(row_counts) - row_counts)
        cosines[row_counts == 0] = 0.0
        filled = doc_counts > 0
        counts = doc_counts[filled]
        starts = np.cumsum(counts) - counts
        best = np.maximum.reduceat(cosines, starts)
        centroid = np.add.reduceat(cosines, starts) / index.centroid_norm[entries[filled]]
        at_best = np.flatnonzero(cosines == np.repeat(best, counts))  # an entry's first best phrasing: argmax
        closest = docs[at_best[np.searchsorted(at_best, starts)]]
        return list(zip(entries[filled].tolist(), best.tolist(), centroid.tolist(), closest.tolist(), strict=True))
