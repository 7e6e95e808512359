"""Text normalisation, tokenising, stemming and query rewrites shared by indexing and matching.

Both the knowledge and the user's question go through the same functions, so whatever is folded
away (case, ё, Kazakh letters, emoji, repeated letters) is folded away on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f\ufeff]"
)
_NOT_WORD = re.compile(r"[\W_]+")
_REPEATS = re.compile(r"(\w)\1{2,}")
_DOUBLES = re.compile(r"(\w)\1+")
_KAZAKH_FOLD = str.maketrans("әғқңөұүһі", "агкноуухи")
KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_CYRILLIC = re.compile("[а-яё]")
_LATIN = re.compile("[a-z]")

_QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_JCUKEN = "йцукенгшщзхъфывапролджэячсмитьбюё"
_TO_CYRILLIC_LAYOUT = str.maketrans(
    _QWERTY
    + _QWERTY.upper()
    .replace("[", "{")
    .replace("]", "}")
    .replace(";", ":")
    .replace("'", '"')
    .replace(",", "<")
    .replace(".", ">")
    .replace("`", "~"),
    _JCUKEN + _JCUKEN.upper(),
)
_TO_LATIN_LAYOUT = str.maketrans(_JCUKEN + _JCUKEN.upper(), _QWERTY + _QWERTY.upper())

# Tried longest first (at most one of each length can match at a place), then single letters.
_TRANSLIT_MULTI = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("iya", "ия"),
    ("iyu", "ию"),
    ("iye", "ие"),
    ("iyo", "ие"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ts", "ц"),
    ("tc", "ц"),
    ("yu", "ю"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ja", "я"),
    ("yo", "е"),
    ("jo", "е"),
    ("ye", "е"),
    ("iy", "ий"),
    ("yy", "ый"),
    ("ij", "ий"),
    ("ck", "к"),
    ("ks", "кс"),
)
_TRANSLIT_BY_SIZE = tuple(
    (size, {latin: cyrillic for latin, cyrillic in _TRANSLIT_MULTI if len(latin) == size})
    for size in sorted({len(latin) for latin, _ in _TRANSLIT_MULTI}, reverse=True)
)
_TRANSLIT_SINGLE = dict(zip("abvgdezijklmnoprstufhcwqx'", "абвгдезийклмнопрстуфхцвкхь", strict=True))
_VOWELS = set("aeiouy")

STOPWORDS = frozenset(  # as normalise() leaves them: "мені" is read as "мени"
    w.replace("ё", "е").translate(_KAZAKH_FOLD)
    for w in """
    а и в во на но или ли же бы то не ни да нет я мне меня мы нам нас ты тебе вы вам вас он она они их его ее
    это этот эта эти тот та те там тут здесь как где что чтобы чтоб когда куда откуда зачем почему ли
    можно нужно надо ли есть быть был была было будет если уже еще ещ очень так также тоже все всё весь
    с со к ко о об от до по за из у для при про под над без через после перед между
    какой какая какие каком какую какое каких каким какими какого какому сколько кто чем чего кому кого
    мой моя мои свой свою его ее наш ваш ну вот просто вообще пожалуйста подскажите скажите плиз теперь потом тогда
    ребята ребят
    how what where when why who which whom whose do does did done is are was were be been am
    i me my we our you your he she it its they them their a an the of to in on at for from with by
    and or but if so as can could should would will shall may might must need there here this that
    these those any some please tell know get got have has had into about than then just also not no like want
    already
    калай кайда кандай не ма ме ба бе па пе мен бен пен жане ушин бар жок кім кимге
    як де чи що коли мені мене можна треба потрібно будь ласка дуже вже ще теж також лише тільки якщо щоб або але
    підкажіть підкажи скажіть скажи подскажи немає нема
    """.split()
)


@lru_cache(maxsize=4096)  # a question is normalised in each of its readings and for small talk
def normalise(text: str) -> str:
    """Fold everything that should not change a match: case, ё, Kazakh letters, punctuation, emoji, invisible and
    repeated characters."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).lower().replace("ё", "е").translate(_KAZAKH_FOLD)
    text = _NOT_WORD.sub(" ", text)
    text = _REPEATS.sub(r"\1\1", text)  # "иииин" -> "иин": two equal letters may be the word itself
    return " ".join(text.split())


@lru_cache(maxsize=65536)  # called word by word on every message, for small talk
def squeeze(text: str) -> str:
    """Every run of a letter to one ("привеет" -> "привет"), for short fixed phrases where spelling varies most."""
    return _DOUBLES.sub(r"\1", text)


_RU_STEMMER = snowballstemmer.stemmer("russian")
_EN_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """Snowball stem by script; digits and mixed tokens are kept as they are."""
    if _CYRILLIC.search(token):
        return _RU_STEMMER.stemWord(token)
    if _LATIN.search(token) and token.isalpha():
        return _EN_STEMMER.stemWord(token)
    return token


def is_stopword(token: str) -> bool:
    return token in STOPWORDS


def swap_layout(text: str) -> str:
    """Text typed with the wrong keyboard layout, mapped key by key to the other layout."""
    lowered = text.lower()
    if len(_LATIN.findall(lowered)) >= len(_CYRILLIC.findall(lowered)):
        return text.translate(_TO_CYRILLIC_LAYOUT)
    return text.translate(_TO_LATIN_LAYOUT)


def transliterate(text: str) -> str:
    """Russian typed in Latin letters ("kak poluchit iin") back to Cyrillic."""
    return " ".join(_transliterate_word(word) for word in normalise(text).split())


@lru_cache(maxsize=65536)
def _transliterate_word(word: str) -> str:
    if not _LATIN.search(word):
        return word
    out: list[str] = []
    i = 0
    while i < len(word):
        for size, table in _TRANSLIT_BY_SIZE:
            cyrillic = table.get(word[i : i + size])
            if cyrillic is not None:
                out.append(cyrillic)
                i += size
                break
        else:
            ch = word[i]
            if ch == "y":
                out.append("й" if i > 0 and word[i - 1] in _VOWELS else "ы")
            elif ch == "i" and i == len(word) - 1 and i > 0 and word[i - 1] in "aoeu":
                out.append("й")
            else:
                out.append(_TRANSLIT_SINGLE.get(ch, ch))
            i += 1
    return "".join(out)


def has_latin(text: str) -> bool:
    return bool(_LATIN.search(text.lower()))


_UKRAINIAN_LETTERS = frozenset("їєґЇЄҐ")
_KAZAKH_ONLY_LETTERS = KAZAKH_LETTERS - frozenset("іІ")  # і is Ukrainian too
# Words that only Ukrainian, Kazakh or Russian writers use, as normalise() leaves them (Kazakh letters folded).
# Words the languages share ("тут", "там", "для") are left out; a word counts once however often it is used
# (Kazakh "не" is Russian "не" too).
UKRAINIAN_WORDS = frozenset(
    normalise(w)
    for w in """
    як де чи що коли скільки який яка які якій якого навіщо чому мені мене можна потрібно потрібна потрібен треба
    отримати зробити дитини дитині будь ласка дякую дуже вже також цьому цей ця ці або але відкрити
    якщо щоб ще теж лише тільки буде було була зараз мій моя моє мої свій своє знайти шукаю робота роботу роботи
    працювати житло оренда орендувати допоможіть підкажіть добрий куди звідси сюди громадянин громадянство
    безкоштовно коштує картку картка рахунок податок податки дружина чоловік дитина дитину садок лікар лікаря
    черга чергу черзі довга довгий довгі чекати садочок
    """.split()
)
KAZAKH_WORDS = frozenset(
    normalise(w)
    for w in """
    қалай қайда қашан қанша қандай қай керек бола болады ма ме ба бе па пе мен бен пен және үшін бар жоқ кім не
    алуға алу береді бере ала аламын алса қажет неше деген туралы ағылшын маған сізге
    сәлем рахмет қалайсың қалайсыз шетел шетелдік шетелдікке азамат азаматы жұмыс бала балаға мектеп емхана
    ақша бұл осы сіз менің болмайды тұрақты тіркелу тіркеу қайырлы беріледі келдім тапсырады жеткілікті кімге
    неден немесе айту болса
    """.split()
)
RUSSIAN_WORDS = frozenset(
    """
    что чтобы как где когда это или ли нужно можно если мне меня есть нет уже еще который какой какая какие
    сколько почему здесь только тоже очень спасибо пожалуйста привет здравствуйте подскажите
    """.split()
)
# Kazakh personal and possessive endings no Russian word has ("тіркелемін", "шетелдікпін", "аласыз").
_KAZAKH_ENDING = re.compile(r"\w{3,}(?:мын|мыз|миз|пын|пин|пыз|пиз|бын|быз|сыз|сиз|ныз|дагы|деги|тагы|теги)$")


def _kazakh_word(word: str) -> bool:
    return word in KAZAKH_WORDS or bool(_KAZAKH_ENDING.match(word))


def detect_language(text: str) -> str:
    """ru, en, kk or uk: the script, the letters only one language uses, then the words: Kazakh or Ukrainian
    words must outnumber the Russian ones."""
    if any(ch in _KAZAKH_ONLY_LETTERS for ch in text):
        return "kk"
    if any(ch in _UKRAINIAN_LETTERS for ch in text):
        return "uk"
    lowered = text.lower()
    words = normalise(text).split()
    cyrillic = sum(1 for w in words if _CYRILLIC.search(w))
    latin = sum(1 for w in words if _LATIN.search(w))
    if latin > 2 * cyrillic:  # "какой best tariff для sim" is Russian with English words in it
        return "en"
    distinct = set(words)
    kazakh = sum(_kazakh_word(w) for w in distinct)
    ukrainian = len(distinct & UKRAINIAN_WORDS)
    russian = len(distinct & RUSSIAN_WORDS)
    with_i = len({w for w in lowered.split() if "і" in w})  # "Я с Мінска, можно…": Russian, a Belarusian name in it
    if with_i and ukrainian >= kazakh and ukrainian + with_i > russian:
        return "uk"
    if kazakh > russian and (kazakh >= 2 or (kazakh > ukrainian and len(words) <= 3)):
        return "kk"
    if ukrainian >= 2 and ukrainian > russian:
        return "uk"
    return "ru"


def rewrites(text: str) -> list[tuple[str, str]]:
    """Candidate readings of a query: as typed, with the keyboard layout swapped, and Latin transliterated.

    The matcher scores every candidate and keeps the best, rather than guessing which one the user meant.
    """
    candidates = [("typed", text)]
    if has_latin(text) or _CYRILLIC.search(text.lower()):
        candidates.append(("layout", swap_layout(text)))
    if has_latin(text):
        candidates.append(("translit", transliterate(text)))
    return candidates
