"""The matcher's index: character n-gram TF-IDF and stem coverage, compact and fast to query.

An entry's score for one reading of a question is

    100 * (CHAR * ((1 - CENTROID) * best(e) + CENTROID * centroid(e)) + (1 - CHAR) * coverage(e))

best(e): cosine of the question's n-gram vector with the entry's closest phrasing; centroid(e):
cosine with the normalised sum of its phrasings (the sum of the phrasings' cosines divided by that
sum's length); coverage(e): the IDF-weighted share of the question's stems the entry knows
(see bot/core/matcher.py).

Up to `Limits.dense_docs` phrasings (a FAQ of a few hundred entries) `Query.top()` computes every
phrasing's cosine by walking the question's n-grams' lists: exact. Above that, walking the lists of
common n-grams would cost time in proportion to the knowledge, so a reading is scored in two steps:
a cheap first pass nominates entries (from the question's stems, rarest first, and its rare
n-grams), and the best `Limits.candidates` of them get their exact score from their own small
index. An entry that shares neither a stem nor a rare n-gram with the question is then not
considered; every entry returned has its exact score. `top(None)` (validation, collisions) is exact
at any size.

Storage is flat arrays (about 20 bytes per distinct n-gram of a phrasing), so that 10,000 entries fit.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter, mul
from typing import Iterable


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
    candidates: int = 5  # above it, entries scored exactly per reading (the best of the first pass)
    rare_entries: int = 32  # n-grams in at most this many entries nominate candidates
    stem_budget: int = 2_000  # entries read from the stems' lists (rarest stem first) to nominate candidates


class Index:
    """Phrasings (entry, language, n-gram counts; entry by entry, in entry order) and stems (stem -> {entry: strength})."""

    def __init__(self, docs: Iterable[tuple[int, str, Counter]], entry_count: int,
                 stem_entries: dict[str, dict[int, float]], weights: Weights = Weights(), limits: Limits = Limits()):
        self.weights = weights
        self.limits = limits
        self.entry_count = entry_count
        self._build(docs)
        self.set_stem_entries(stem_entries)

    def set_stem_entries(self, stem_entries: dict[str, dict[int, float]]) -> None:
        self.stem_entries = stem_entries
        self.stem_max = {s: max(e.values()) for s, e in stem_entries.items() if e}

    # --- building -------------------------------------------------------------------------------

    def _build(self, source: Iterable[tuple[int, str, Counter]]) -> None:
        gram_id: dict[str, int] = {}
        df: list[int] = []
        docs: list[tuple[array, array]] = []  # n-gram ids and counts per phrasing, compact while building
        doc_entry = array("i")
        self.doc_lang: list[str] = []
        for entry, lang, grams in source:
            if entry >= self.entry_count or (doc_entry and entry < doc_entry[-1]):
                raise ValueError("phrasings must come entry by entry, in entry order")
            ids = array("i")
            for gram in grams:
                gid = gram_id.get(gram)
                if gid is None:
                    gid = gram_id[gram] = len(df)
                    df.append(1)
                else:
                    df[gid] += 1
                ids.append(gid)
            docs.append((ids, array("H", grams.values())))
            doc_entry.append(entry)
            self.doc_lang.append(lang)
        total = len(docs)
        self.gram_id = gram_id
        self.idf_list = [math.log((1 + total) / (1 + n)) + 1.0 for n in df]
        self.unknown_idf = math.log(1 + total) + 1.0
        self.doc_count = total
        self.dense = total <= self.limits.dense_docs
        self.entry_docs = array("q", [0]) * (self.entry_count + 1)  # an entry's phrasings: entry_docs[e] .. [e + 1]
        for entry in doc_entry:
            self.entry_docs[entry + 1] += 1
        for entry in range(self.entry_count):
            self.entry_docs[entry + 1] += self.entry_docs[entry]

        # Per entry, its own small inverted index: its distinct n-grams (local_gram[local_start[e]:...])
        # with their weight in its normalised centroid (local_centroid) and, for each, the entry's
        # phrasings that have it (post_doc, numbered within the entry) with their weight (post_weight).
        self.max_doc_weight = array("d", bytes(8 * len(df)))
        self.centroid_norm = array("d", bytes(8 * self.entry_count))
        self.local_start = array("q", [0]) * (self.entry_count + 1)
        self.local_gram = array("i")
        self.local_centroid = array("d")
        self.post_start = array("q", [0])
        self.post_doc = array("H")
        self.post_weight = array("d")
        dense_docs: list[list[int]] = [[] for _ in df] if self.dense else []
        dense_weights: list[list[float]] = [[] for _ in df] if self.dense else []
        idf, log, max_doc_weight = self.idf_list, math.log, self.max_doc_weight
        entries_per_gram = [0] * len(df)
        for entry in range(self.entry_count):
            local: dict[int, tuple[list[int], list[float]]] = {}
            first = self.entry_docs[entry]
            for doc in range(first, self.entry_docs[entry + 1]):
                gids, counts = docs[doc]
                values = [(1.0 + log(c)) * idf[g] if c > 1 else idf[g] for g, c in zip(gids, counts)]
                norm = math.sqrt(sum(v * v for v in values)) or 1.0
                for gid, value in zip(gids, values):
                    weight = value / norm
                    if weight > max_doc_weight[gid]:
                        max_doc_weight[gid] = weight
                    found = local.get(gid)
                    if found is None:
                        found = local[gid] = ([], [])
                    found[0].append(doc - first)
                    found[1].append(weight)
                    if self.dense:
                        dense_docs[gid].append(doc)
                        dense_weights[gid].append(weight)
                docs[doc] = None  # type: ignore[call-overload]  # free as we go
            sums = [sum(weights) for _, weights in local.values()]
            norm = math.sqrt(sum(v * v for v in sums)) or 1.0
            self.centroid_norm[entry] = norm
            self.local_gram.extend(local)
            self.local_centroid.extend(v / norm for v in sums)
            for gid, (local_docs, weights) in local.items():
                self.post_doc.extend(local_docs)
                self.post_weight.extend(weights)
                self.post_start.append(len(self.post_doc))
                entries_per_gram[gid] += 1
            self.local_start[entry + 1] = len(self.local_gram)
        if self.dense:  # tuples: the fastest to walk in Python
            self.dense_postings = [(tuple(d), tuple(w)) for d, w in zip(dense_docs, dense_weights)]

        # Per n-gram, the entries that have it (ascending), with its local position there and centroid weight.
        self.entry_start = array("q", [0]) * (len(df) + 1)
        for gid, count in enumerate(entries_per_gram):
            self.entry_start[gid + 1] = self.entry_start[gid] + count
        size = self.entry_start[-1]
        self.entry_ids = array("i", bytes(4 * size))
        self.entry_local = array("i", bytes(4 * size))
        self.max_centroid = array("d", bytes(8 * len(df)))
        fill = array("q", self.entry_start[:-1]) if df else array("q")
        local_gram, local_centroid, max_centroid = self.local_gram, self.local_centroid, self.max_centroid
        for entry in range(self.entry_count):
            for at in range(self.local_start[entry], self.local_start[entry + 1]):
                gid = local_gram[at]
                slot = fill[gid]
                fill[gid] = slot + 1
                self.entry_ids[slot] = entry
                self.entry_local[slot] = at
                if local_centroid[at] > max_centroid[gid]:
                    max_centroid[gid] = local_centroid[at]

    def query(self, grams: Counter, stems: Iterable[tuple[float, dict[str, float]]]) -> "Query":
        """`grams`: the reading's n-gram counts; `stems`: per distinct stem, its IDF weight and the known
        stems it stands for with their similarity (itself with 1.0, or misspellings with partial credit)."""
        return Query(self, grams, list(stems))


class Query:
    def __init__(self, index: Index, grams: Counter, stems: list[tuple[float, dict[str, float]]]):
        self.index = index
        idf, unknown_idf, log = index.idf_list, index.unknown_idf, math.log
        known: dict[int, float] = {}
        squares = 0.0
        for gid, count in zip(map(index.gram_id.get, grams), grams.values()):
            if gid is None:
                weight = unknown_idf if count == 1 else (1.0 + log(count)) * unknown_idf
            else:
                weight = idf[gid] if count == 1 else (1.0 + log(count)) * idf[gid]
                known[gid] = weight
            squares += weight * weight
        norm = math.sqrt(squares) or 1.0
        self.grams = {gid: weight / norm for gid, weight in known.items()}
        self.set_stems(stems)

    def set_stems(self, stems: list[tuple[float, dict[str, float]]]) -> None:
        self.stems = stems
        self.stem_total = sum(weight for weight, _ in stems)

    def char_bound(self) -> float:
        """No entry's n-gram part scores more than this (cheap: no list is read)."""
        index, w = self.index, self.index.weights
        qs = list(self.grams.values())
        best = sum(map(mul, qs, map(index.max_doc_weight.__getitem__, self.grams)))
        centroid = sum(map(mul, qs, map(index.max_centroid.__getitem__, self.grams)))
        length = math.sqrt(sum(map(mul, qs, qs)))  # Cauchy-Schwarz: unit vectors
        return w.best_factor * min(best, length) + w.centroid_factor * min(centroid, length)

    def upper_bound(self) -> float:
        """No entry scores more than this (cheap: no list is read)."""
        index = self.index
        coverage = 0.0
        if self.stem_total:
            coverage = sum(weight * max((sim * index.stem_max.get(c, 0.0) for c, sim in similar.items()), default=0.0)
                           for weight, similar in self.stems) / self.stem_total
        return self.char_bound() + index.weights.coverage_factor * coverage

    def top(self, depth: int | None = 5) -> list[tuple[int, float, str]]:
        """The best `depth` entries (all the entries the question touches when None) as (entry, score,
        language of the closest phrasing), best first; ties by entry order."""
        if self.index.dense:
            return self._top_dense(depth)
        if depth is None:
            index = self.index
            entries: set[int] = set(self._coverage(self.stems))
            for gid in self.grams:
                entries.update(index.entry_ids[index.entry_start[gid]:index.entry_start[gid + 1]])
            ranked = self._exact(sorted(entries))
        else:
            ranked = self._exact(self._nominate())[:depth]
        return [(e, -negative, language) for negative, e, language in ranked]

    def _coverage(self, stems: Iterable[tuple[float, dict[str, float]]]) -> dict[int, float]:
        """entry -> sum of stem weight x how well it knows the stem (divide by stem_total for the share)."""
        coverage: dict[int, float] = {}
        stem_entries = self.index.stem_entries
        for weight, similar in stems:
            hits: dict[int, float] = {}
            for c, sim in similar.items():
                for e, strength in stem_entries.get(c, {}).items():
                    value = sim * strength
                    if value > hits.get(e, 0.0):
                        hits[e] = value
            for e, value in hits.items():
                coverage[e] = coverage.get(e, 0.0) + weight * value
        return coverage

    # --- small knowledge: every phrasing ---------------------------------------------------------

    def _top_dense(self, depth: int | None) -> list[tuple[int, float, str]]:
        index, w = self.index, self.index.weights
        scores = [0.0] * index.doc_count
        postings = index.dense_postings
        for gid, q in self.grams.items():
            docs, weights = postings[gid]
            for doc, weight in zip(docs, weights):
                scores[doc] += q * weight
        if index.entry_count <= 64:
            entries: Iterable[int] = range(index.entry_count)
        else:
            entries = set()
            for gid in self.grams:
                entries.update(index.entry_ids[index.entry_start[gid]:index.entry_start[gid + 1]])
        coverage = self._coverage(self.stems)
        total = self.stem_total or 1.0
        bf, cf, vf = w.best_factor, w.centroid_factor, w.coverage_factor
        entry_docs, norms, langs = index.entry_docs, index.centroid_norm, index.doc_lang
        ranked = []
        for e in set(entries) | set(coverage):
            start, end = entry_docs[e], entry_docs[e + 1]
            best = max(scores[start:end]) if start < end else 0.0
            if best > 0.0:
                part = scores[start:end]
                language = langs[start + part.index(best)]
                centroid = sum(part) / norms[e]
            elif e in coverage:
                best, language, centroid = 0.0, "ru", 0.0
            else:
                continue
            ranked.append((-(bf * best + cf * centroid + vf * coverage.get(e, 0.0) / total), e, language))
        ranked.sort()
        if depth is not None:
            ranked = ranked[:depth]
        return [(e, -negative, language) for negative, e, language in ranked]

    # --- large knowledge: nominate, then score exactly -------------------------------------------

    def _nominate(self) -> list[int]:
        """The entries most likely to score best, from the question's stems (rarest first, within a budget)
        and rare n-grams; a cheap stand-in for the score, never shown."""
        index, limits, w = self.index, self.index.limits, self.index.weights
        stem_entries = index.stem_entries
        sized = sorted(((sum(len(stem_entries.get(c, ())) for c in similar), weight, similar)
                        for weight, similar in self.stems if similar), key=itemgetter(0))
        budget, chosen = limits.stem_budget, []
        for size, weight, similar in sized:
            if chosen and size > budget:
                break
            budget -= size
            chosen.append((weight, similar))
        vf = w.coverage_factor / (self.stem_total or 1.0)
        proxy = {e: vf * v for e, v in self._coverage(chosen).items()}
        char = w.best_factor + w.centroid_factor
        ids, locals_, starts, centroids = index.entry_ids, index.entry_local, index.entry_start, index.local_centroid
        for gid, q in self.grams.items():
            start, end = starts[gid], starts[gid + 1]
            if end - start <= limits.rare_entries:
                get = proxy.get
                for e, at in zip(ids[start:end], locals_[start:end]):
                    proxy[e] = get(e, 0.0) + char * q * centroids[at]
        return sorted(e for e, _ in heapq.nlargest(limits.candidates, proxy.items(), key=itemgetter(1)))

    def _exact(self, entries: list[int]) -> list[tuple[float, int, str]]:
        """(-score, entry, language of the closest phrasing) of each entry (ascending), best first."""
        if not entries:
            return []
        index, w, grams = self.index, self.index.weights, self.grams
        ids, locals_, starts = index.entry_ids, index.entry_local, index.entry_start
        wanted = {e: i for i, e in enumerate(entries)}
        hits: list[list[tuple[int, float]]] = [[] for _ in entries]  # per entry: (local position, q)
        probe = len(entries) * 12  # a longer list is searched (bisect) instead of read through
        for gid, q in grams.items():
            start, end = starts[gid], starts[gid + 1]
            if end - start <= probe:
                for e, at in compress(zip(ids[start:end], locals_[start:end]), map(wanted.__contains__, ids[start:end])):
                    hits[wanted[e]].append((at, q))
            else:
                for i, e in enumerate(entries):
                    slot = bisect_left(ids, e, start, end)
                    if slot < end and ids[slot] == e:
                        hits[i].append((locals_[slot], q))
                    start = slot  # entries ascend: the next one is further on
        local_centroid, post_start, post_doc, post_weight = index.local_centroid, index.post_start, index.post_doc, index.post_weight
        stem_entries, total = index.stem_entries, self.stem_total
        ranked = []
        for e, found in zip(entries, hits):
            best, language, centroid = 0.0, "ru", 0.0
            if found:
                first = index.entry_docs[e]
                cosines = [0.0] * (index.entry_docs[e + 1] - first)
                for at, q in found:
                    centroid += q * local_centroid[at]
                    a, b = post_start[at], post_start[at + 1]
                    for doc, weight in zip(post_doc[a:b], post_weight[a:b]):
                        cosines[doc] += q * weight
                best = max(cosines)
                language = index.doc_lang[first + cosines.index(best)]
            coverage = 0.0
            if total:
                for weight, similar in self.stems:
                    known = max((sim * stem_entries[c].get(e, 0.0) for c, sim in similar.items() if c in stem_entries),
                                default=0.0)
                    coverage += weight * known
                coverage /= total
            score = w.best_factor * best + w.centroid_factor * centroid + w.coverage_factor * coverage
            ranked.append((-score, e, language))
        ranked.sort()
        return ranked
