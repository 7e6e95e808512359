"""The knowledge's synonym groups (knowledge/synonyms.yaml): every variant, word or phrase, read as its
group's canonical form before matching (ИИН/IIN/ЖСН, прописка/регистрация, отримати/получить)."""

from __future__ import annotations

from bot.core.text import normalise


class Synonyms:
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
        self.starts = {k[0] for k in self.phrases if len(k) > 1}  # words that begin a phrase of two or more

    def apply(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            longest = min(self.longest, len(words) - i) if words[i] in self.starts else 1
            for size in range(longest, 0, -1):
                replacement = self.phrases.get(tuple(words[i : i + size]))
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out
