"""The matcher's index: character n-gram TF-IDF and stem coverage, compact, with exact top-k scoring.

An entry's score for one reading of a question is

    score(e) = 100 * (CHAR * ((1 - CENTROID) * best(e) + CENTROID * centroid(e)) + (1 - CHAR) * coverage(e))

where best(e) is the cosine of the question's n-gram vector with the entry's closest phrasing,
centroid(e) the cosine with the sum of its phrasings, and coverage(e) the IDF-weighted share of the
question's stems the entry knows (see bot/core/matcher.py). Computing that for every entry and every
phrasing costs time in proportion to the knowledge; `top()` finds the best `depth` entries and their
exact scores while touching little more than the question's rare n-grams:

* n-grams found in at most `doc_rare` phrasings are summed phrasing by phrasing (short lists);
* every n-gram's contribution to the centroid and an upper bound of its contribution to any one
  phrasing are summed entry by entry; an entry's score is then bounded from above;
* entries are visited from the highest bound down; each visited entry gets its exact score (its
  closest phrasing found by refining the few candidates within the bound), and the visit stops once
  no bound can beat the `depth`-th exact score.

With up to `entry_common` entries per n-gram and stem (the whole FAQ of a few hundred entries) the
result is exactly the exhaustive computation. In a much larger FAQ the n-grams and stems that more
than `entry_common` entries share (such as those of "как" or "получить") no longer nominate entries:
an entry that shares nothing rarer with the question is not considered, which only matters for a
question made of nothing but the most common words; every considered entry still gets its exact score.

Storage is flat arrays (`array`), about 12 bytes per posting, so that 10,000 entries fit in memory.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from operator import mul
from typing import Iterable, Sequence

INF = float("inf")


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
    doc_rare: int = 48  # n-grams in at most this many phrasings are summed phrasing by phrasing
    entry_common: int = 512  # n-grams and stems in more entries than this do not nominate entries


class _Postings:
    """Lists of (id, value...) per key, concatenated in flat arrays; built from per-item key lists."""

    __slots__ = ("start", "ids", "values")

    def __init__(self, counts: Sequence[int], columns: int):
        self.start = array("q", [0]) * (len(counts) + 1)
        total = 0
        for key, count in enumerate(counts):
            total += count
            self.start[key + 1] = total
        self.ids = array("i", bytes(4 * total)) if total else array("i")
        self.values = [array("d", bytes(8 * total)) if total else array("d") for _ in range(columns)]

    def length(self, key: int) -> int:
        return self.start[key + 1] - self.start[key]


class Index:
    """Phrasings (`docs`: entry, language, n-gram counts) and stems (stem -> {entry: strength}) of a knowledge base."""

    def __init__(self, docs: Sequence[tuple[int, str, Counter]], entry_count: int,
                 stem_entries: dict[str, dict[int, float]], weights: Weights = Weights(), limits: Limits = Limits()):
        self.weights = weights
        self.limits = limits
        self.entry_count = entry_count
        self._build_grams(docs)
        self._build_entries()
        self.stem_entries = stem_entries
        self.stem_max = {s: max(e.values()) for s, e in stem_entries.items() if e}

    # --- building -------------------------------------------------------------------------------

    def _build_grams(self, docs: Sequence[tuple[int, str, Counter]]) -> None:
        gram_id: dict[str, int] = {}
        df: list[int] = []
        doc_grams: list[list[int]] = []
        doc_counts: list[list[int]] = []
        for _, _, grams in docs:
            ids = []
            for gram in grams:
                gid = gram_id.get(gram)
                if gid is None:
                    gid = gram_id[gram] = len(df)
                    df.append(0)
                df[gid] += 1
                ids.append(gid)
            doc_grams.append(ids)
            doc_counts.append(list(grams.values()))
        total = len(docs)
        self.gram_id = gram_id
        self.idf = array("d", (math.log((1 + total) / (1 + n)) + 1.0 for n in df))
        self.unknown_idf = math.log(1 + total) + 1.0
        self.doc_count = total
        self.doc_entry = array("i", (d[0] for d in docs))
        self.doc_lang = [d[1] for d in docs]
        # Forward index: each phrasing's n-grams and normalised weights, phrasing after phrasing.
        self.doc_start = array("q", [0]) * (total + 1)
        size = sum(len(ids) for ids in doc_grams)
        self.fwd_gram = array("i", bytes(4 * size)) if size else array("i")
        self.fwd_weight = array("d", bytes(8 * size)) if size else array("d")
        postings = _Postings(df, 1)
        fill = array("q", postings.start[:-1])
        position = 0
        idf = self.idf
        for doc, (ids, counts) in enumerate(zip(doc_grams, doc_counts)):
            values = [(1.0 + math.log(c)) * idf[g] for g, c in zip(ids, counts)]
            norm = math.sqrt(sum(v * v for v in values)) or 1.0
            for gid, value in zip(ids, values):
                weight = value / norm
                self.fwd_gram[position] = gid
                self.fwd_weight[position] = weight
                position += 1
                at = fill[gid]
                postings.ids[at] = doc
                postings.values[0][at] = weight
                fill[gid] = at + 1
            self.doc_start[doc + 1] = position
        self.postings = postings
        self.max_doc_weight = array("d", (max(postings.values[0][postings.start[g]:postings.start[g + 1]], default=0.0)
                                          for g in range(len(df))))

    def _build_entries(self) -> None:
        """Per entry: the normalised centroid of its phrasings and, per n-gram, the largest weight in one of them."""
        entries = self.entry_count
        self.entry_docs = array("q", [0]) * (entries + 1)
        per_entry: list[tuple[list[int], list[float], list[float]]] = []
        counts = [0] * len(self.idf)
        doc = 0
        for entry in range(entries):
            centroid: dict[int, float] = {}
            largest: dict[int, float] = {}
            while doc < self.doc_count and self.doc_entry[doc] == entry:
                for at in range(self.doc_start[doc], self.doc_start[doc + 1]):
                    gid, weight = self.fwd_gram[at], self.fwd_weight[at]
                    centroid[gid] = centroid.get(gid, 0.0) + weight
                    if weight > largest.get(gid, 0.0):
                        largest[gid] = weight
                doc += 1
            self.entry_docs[entry + 1] = doc
            norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
            gids = list(centroid)
            per_entry.append((gids, [centroid[g] / norm for g in gids], [largest[g] for g in gids]))
            for gid in gids:
                counts[gid] += 1
        if doc != self.doc_count:
            raise ValueError("phrasings must come entry by entry, in entry order")
        postings = _Postings(counts, 2)
        fill = array("q", postings.start[:-1])
        self.entry_start = array("q", [0]) * (entries + 1)
        size = sum(len(p[0]) for p in per_entry)
        self.efwd_gram = array("i", bytes(4 * size)) if size else array("i")
        self.efwd_centroid = array("d", bytes(8 * size)) if size else array("d")
        self.efwd_largest = array("d", bytes(8 * size)) if size else array("d")
        position = 0
        centroid_values, largest_values = postings.values
        for entry, (gids, centroid, largest) in enumerate(per_entry):
            for gid, c, m in zip(gids, centroid, largest):
                self.efwd_gram[position] = gid
                self.efwd_centroid[position] = c
                self.efwd_largest[position] = m
                position += 1
                at = fill[gid]
                postings.ids[at] = entry
                centroid_values[at] = c
                largest_values[at] = m
                fill[gid] = at + 1
            self.entry_start[entry + 1] = position
        self.entry_postings = postings
        self.max_centroid = array("d", (max(centroid_values[postings.start[g]:postings.start[g + 1]], default=0.0)
                                        for g in range(len(counts))))

    # --- queries --------------------------------------------------------------------------------

    def query(self, grams: Counter, stems: Iterable[tuple[float, dict[str, float]]]) -> "Query":
        """`grams`: the reading's n-gram counts; `stems`: per distinct stem, its IDF weight and the known
        stems it stands for with their similarity (itself with 1.0, or misspellings with partial credit)."""
        return Query(self, grams, list(stems))


class Query:
    def __init__(self, index: Index, grams: Counter, stems: list[tuple[float, dict[str, float]]]):
        self.index = index
        known: dict[int, float] = {}
        squares = 0.0
        for gram, count in grams.items():
            gid = index.gram_id.get(gram)
            weight = (1.0 + math.log(count)) * (index.idf[gid] if gid is not None else index.unknown_idf)
            squares += weight * weight
            if gid is not None:
                known[gid] = weight
        norm = math.sqrt(squares) or 1.0
        self.grams = {gid: weight / norm for gid, weight in known.items()}
        self.stems = stems
        self.stem_total = sum(weight for weight, _ in stems)

    def upper_bound(self) -> float:
        """No entry scores more than this (cheap: no list is read)."""
        index, w = self.index, self.index.weights
        best = sum(q * index.max_doc_weight[g] for g, q in self.grams.items())
        centroid = sum(q * index.max_centroid[g] for g, q in self.grams.items())
        length = math.sqrt(sum(q * q for q in self.grams.values()))  # Cauchy-Schwarz: unit vectors
        coverage = 0.0
        if self.stem_total:
            coverage = sum(weight * max((sim * index.stem_max.get(c, 0.0) for c, sim in similar.items()), default=0.0)
                           for weight, similar in self.stems) / self.stem_total
        return w.best_factor * min(best, length) + w.centroid_factor * min(centroid, length) + w.coverage_factor * coverage

    def top(self, depth: int | None = 5) -> list[tuple[int, float, str]]:
        """The best `depth` entries (all entries the question touches when None) as (entry, score, language
        of the closest phrasing), best first; ties by entry order."""
        index, limits, w = self.index, self.index.limits, self.index.weights
        exhaustive = depth is None
        doc_rare = limits.doc_rare
        entry_common = INF if exhaustive else limits.entry_common
        post, entry_post = index.postings, index.entry_postings

        # 1. Phrasing by phrasing, the rare n-grams; entry by entry, the centroid and the bounds.
        partial: dict[int, float] = {}
        common: dict[int, float] = {}  # n-grams summed per phrasing only when a phrasing is refined
        skipped: dict[int, float] = {}  # n-grams shared by too many entries to nominate any
        centroid: dict[int, float] = {}
        bound: dict[int, float] = {}
        doc_ids, doc_weights = post.ids, post.values[0]
        entry_ids, (centroids, largest) = entry_post.ids, entry_post.values
        skipped_best = skipped_centroid = 0.0
        for gid, q in self.grams.items():
            start, end = entry_post.start[gid], entry_post.start[gid + 1]
            if end - start > entry_common:
                skipped[gid] = q
                common[gid] = q
                skipped_best += q * index.max_doc_weight[gid]
                skipped_centroid += q * index.max_centroid[gid]
                continue
            get = centroid.get
            if post.start[gid + 1] - post.start[gid] <= doc_rare:
                for at in range(post.start[gid], post.start[gid + 1]):
                    doc = doc_ids[at]
                    partial[doc] = partial.get(doc, 0.0) + q * doc_weights[at]
                for e, c in zip(entry_ids[start:end], centroids[start:end]):
                    centroid[e] = get(e, 0.0) + q * c
            else:
                common[gid] = q
                bget = bound.get
                for e, c, m in zip(entry_ids[start:end], centroids[start:end], largest[start:end]):
                    centroid[e] = get(e, 0.0) + q * c
                    bound[e] = bget(e, 0.0) + q * m

        # 2. Coverage of the question's stems.
        coverage: dict[int, float] = {}
        skipped_stems = []
        skipped_coverage = 0.0
        for weight, similar in self.stems:
            lists = [(index.stem_entries[c], sim) for c, sim in similar.items() if c in index.stem_entries]
            if sum(len(entries) for entries, _ in lists) > entry_common:
                skipped_stems.append((weight, lists))
                skipped_coverage += weight * max(sim * max(entries.values()) for entries, sim in lists)
                continue
            hits: dict[int, float] = {}
            for entries, sim in lists:
                for e, strength in entries.items():
                    value = sim * strength
                    if value > hits.get(e, 0.0):
                        hits[e] = value
            for e, value in hits.items():
                coverage[e] = coverage.get(e, 0.0) + weight * value
        total = self.stem_total or 1.0

        # 3. Bounds, then exact scores from the highest bound down.
        touched: dict[int, list[tuple[float, int]]] = {}
        for doc, value in partial.items():
            touched.setdefault(index.doc_entry[doc], []).append((value, doc))
        bf, cf, vf = w.best_factor, w.centroid_factor, w.coverage_factor
        candidates = []
        for e in set(centroid) | set(coverage):
            docs = touched.get(e)
            top_partial = max(docs)[0] if docs else 0.0
            upper = (bf * (top_partial + bound.get(e, 0.0) + skipped_best) + cf * (centroid.get(e, 0.0) + skipped_centroid)
                     + vf * (coverage.get(e, 0.0) + skipped_coverage) / total)
            candidates.append((-upper, e))
        candidates.sort()
        kept: list[tuple[float, int, str]] = []  # min-heap of (score, -entry, language)
        limit = len(candidates) if exhaustive else depth
        for negative_upper, e in candidates:
            if len(kept) >= limit and -negative_upper < kept[0][0]:
                break
            extra_centroid = extra_bound = 0.0
            if skipped:
                extra_centroid, extra_bound = self._entry_extra(e, skipped)
            extra_coverage = 0.0
            for weight, lists in skipped_stems:
                extra_coverage += weight * max(sim * entries.get(e, 0.0) for entries, sim in lists)
            best, language = self._closest(e, touched.get(e, []), bound.get(e, 0.0) + extra_bound, common)
            score = bf * best + cf * (centroid.get(e, 0.0) + extra_centroid) + vf * (coverage.get(e, 0.0) + extra_coverage) / total
            item = (score, -e, language)
            if len(kept) < limit:
                heapq.heappush(kept, item)
            elif item > kept[0]:
                heapq.heapreplace(kept, item)
        kept.sort(reverse=True)
        return [(-negative_e, score, language) for score, negative_e, language in kept]

    def _entry_extra(self, e: int, skipped: dict[int, float]) -> tuple[float, float]:
        """The skipped n-grams' exact centroid contribution and bound for one entry."""
        index = self.index
        start, end = index.entry_start[e], index.entry_start[e + 1]
        gids = index.efwd_gram[start:end]
        qs = list(map(skipped.get, gids, repeat(0.0)))
        return sum(map(mul, qs, index.efwd_centroid[start:end])), sum(map(mul, qs, index.efwd_largest[start:end]))

    def _doc_common(self, doc: int, common: dict[int, float]) -> float:
        index = self.index
        start, end = index.doc_start[doc], index.doc_start[doc + 1]
        return sum(map(mul, map(common.get, index.fwd_gram[start:end], repeat(0.0)), index.fwd_weight[start:end]))

    def _closest(self, e: int, docs: list[tuple[float, int]], bound: float, common: dict[int, float]) -> tuple[float, str]:
        """(cosine with the entry's closest phrasing, its language); ("ru" when no phrasing shares an n-gram)."""
        index = self.index
        best, best_doc = 0.0, -1
        docs.sort(key=lambda item: (-item[0], item[1]))
        for value, doc in docs:
            if value + bound < best:
                break
            if bound:
                value += self._doc_common(doc, common)
            if value > best or (value == best and best_doc >= 0 and doc < best_doc):
                best, best_doc = value, doc
        if bound > best:  # a phrasing sharing only common n-grams might still be the closest
            seen = {doc for _, doc in docs}
            for doc in range(index.entry_docs[e], index.entry_docs[e + 1]):
                if doc in seen:
                    continue
                value = self._doc_common(doc, common)
                if value > best or (value == best and best_doc >= 0 and doc < best_doc):
                    best, best_doc = value, doc
        return best, (index.doc_lang[best_doc] if best_doc >= 0 else "ru")
