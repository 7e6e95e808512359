"""Knowledge and questions generated for `python -m bot bench`, in memory, from the real knowledge.

A generated entry copies the shape the validator requires of a real one (a question and 6 Russian
phrasings, a question and 3 English and 3 Kazakh ones, keywords) from a real entry used as a
template, and makes it its own: each phrasing is a real phrasing of the template with one word
replaced by the entry's own topic word and often another by a random word of the real vocabulary.
So the generated knowledge has the real language's common words and n-grams at the real rates, and
every entry still has words that only it (and a few others) use: many entries about similar things,
as a large FAQ would have.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re

from bot.core.knowledge import Entry, EntryText, Knowledge, Source
from bot.core.text import is_stopword, normalise

_SYLLABLES = {
    "cyr": "ба ва га да жа за ка ла ма на па ра са та фа ха ца ча ша бо во го до жо зо ко ло мо но по ро со то "
    "бу ву гу ду зу ку лу му ну пу ру су ту бе ве ге де же зе ке ле ме не пе ре се те би ви ги ди зи ки ли "
    "ми ни пи ри си ти ян ёл юр эн ой ай ей".split(),
    "lat": "ba da ga ka la ma na pa ra sa ta va za bo do go ko lo mo no po ro so to bu du gu ku lu mu nu pu ru "
    "su tu be de ge ke le me ne pe re se te bi di gi ki li mi ni pi ri si ti an en on in ar er or".split(),
}
_PER_LANGUAGE = {"ru": 6, "en": 3, "kk": 3}  # phrasings besides the question, as the validator requires


def _word(rng: random.Random, script: str) -> str:
    return "".join(rng.choice(_SYLLABLES[script]) for _ in range(rng.randint(3, 4)))


def _vary(rng: random.Random, phrasing: str, topic: str, vocabulary: list[str]) -> str:
    words = phrasing.split()
    content = [i for i, w in enumerate(words) if not is_stopword(normalise(w))] or list(range(len(words)))
    words[rng.choice(content)] = topic
    if len(words) > 2 and rng.random() < 0.6:
        others = [i for i in range(len(words)) if words[i] != topic]
        words[rng.choice(others)] = rng.choice(vocabulary)
    return " ".join(words)


def synthetic_knowledge(base: Knowledge, size: int, seed: int = 20221) -> Knowledge:
    """`size` generated entries (ids g00000, g00001, …) on the real topics, synonyms, small talk and off-topic list."""
    rng = random.Random(seed)
    templates = list(base.entries.values())
    vocabulary = {
        lang: sorted(
            {w for e in templates if lang in e.texts for p in e.texts[lang].phrasings for w in p.split() if len(w) > 3}
        )
        for lang in _PER_LANGUAGE
    }
    used: set[str] = set()
    entries: dict[str, Entry] = {}
    for number in range(size):
        template = templates[number % len(templates)]
        topics = {}
        for script in ("cyr", "lat"):
            word = _word(rng, script)
            while word in used:
                word = _word(rng, script)
            used.add(word)
            topics[script] = word
        texts = {}
        for lang, count in _PER_LANGUAGE.items():
            source = template.texts.get(lang) or template.texts["ru"]
            topic = topics["lat" if lang == "en" else "cyr"]
            pool = list(source.phrasings)
            chosen = rng.sample(pool, min(count, len(pool)))
            question = f"{source.question.rstrip('?')} ({topic})?"
            texts[lang] = EntryText(
                question=question,
                phrasings=tuple(_vary(rng, p, topic, vocabulary[lang] or pool) for p in chosen),
                keywords=(topic,),
                answer=f"<b>{topic}</b>: generated answer {number}." if lang != "kk" else None,
            )
        entry_id = f"g{number:05d}"
        entries[entry_id] = Entry(
            entry_id,
            template.family,
            template.topic,
            dt.date(2026, 1, 1),
            (Source({"ru": "generated"}, url="https://example.org/generated"),),
            texts,
        )
    return dataclasses.replace(base, entries=entries, warnings=())


def typo(rng: random.Random, text: str) -> str:
    """One typing slip in a longer word: two neighbouring letters swapped, a letter doubled or dropped."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    word = words[i]
    j = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    elif kind == 1:
        word = word[:j] + word[j] + word[j:]
    else:
        word = word[:j] + word[j + 1 :]
    words[i] = word
    return " ".join(words)


def targeted_questions(knowledge: Knowledge, count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(question, expected id): a phrasing of a random generated entry with one typo, in a random language."""
    rng = random.Random(seed)
    ids = sorted(knowledge.entries)
    out = []
    for _ in range(count):
        entry = knowledge.entries[rng.choice(ids)]
        lang = rng.choice(("ru", "ru", "en", "kk"))
        text = entry.texts[lang]
        phrasing = rng.choice(text.phrasings)
        out.append((typo(rng, re.sub(r"[()?]", "", phrasing)), entry.id))
    return out
