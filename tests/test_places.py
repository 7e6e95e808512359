"""Place names in the forms people write them (bot/core/places.py): what the off-topic check of life abroad reads,
and of the subjects two words tell (buying a flat)."""

import pytest

from bot.core.places import Places, Together
from bot.core.text import normalise

PLACES = Places(["Грузия", "Қытай", "Китай", "Иран", "ОАЭ", "UAE", "Germany", "Шенгенск", "Туреччина"])


@pytest.mark.parametrize(
    "text",
    [
        "виза в Грузию",
        "жизнь в Грузии",
        "Қытайға виза керек пе",
        "работа в Китае",
        "билет в ОАЭ",
        "flights to the UAE",
        "work visa for Germany",
        "шенгенскую визу",
        "чи безпечно в Туреччині",
    ],
)
def test_a_place_is_found_in_its_forms(text):
    assert PLACES.named(normalise(text).split())


@pytest.mark.parametrize(
    "text",
    [
        "груз из Москвы",  # the stem of Грузия, a word of its own
        "как грузить мебель",
        "кітап сатып алу",  # "book" is Қытай's root with a letter no ending adds
        "a German company pays me",  # an adjective, not the country
        "used car",
        "оаэшный",  # a short name only as the whole word
    ],
)
def test_words_that_only_look_like_a_place_are_not_one(text):
    assert not PLACES.named(normalise(text).split())


@pytest.mark.parametrize(
    "text",
    [
        "телефон привезла з Грузии",  # Ukrainian "з"
        "телефон купил с Грузии",  # "с" with a "from" ending (as the matcher reads Ukrainian "з": "с")
        "привезли кота из Китая",
        "my phone from Germany",
        "Ирандан әкелген телефон",  # Kazakh says "from" with an ending
    ],
)
def test_a_place_things_come_from_is_not_where_the_question_is(text):
    words = normalise(text).split()
    assert PLACES.named(words)  # named all the same
    assert not PLACES.named(words, origins=False)


@pytest.mark.parametrize("text", ["граница с Китаем", "виза в Грузию из Москвы", "flights from Almaty to the UAE"])
def test_a_place_named_otherwise_beside_an_origin_still_counts(text):
    assert PLACES.named(normalise(text).split(), origins=False)


PURCHASES = Together(["купить", "buy", "сатып"], ["машина", "квартира", "car", "cars", "пәтер"], ["на", "for"], gap=3)


@pytest.mark.parametrize(
    "text",
    ["как купить машину иностранцу", "купить б/у машину", "can I buy a used car here", "пәтер сатып алу", "buy cars"],
)
def test_a_purchase_is_two_words_near_each_other(text):
    assert PURCHASES.named(normalise(text).split())


@pytest.mark.parametrize(
    "text",
    [
        "где купить симку",  # buying, and nothing of the list bought
        "машина на российских номерах",  # the thing, not bought
        "купить страховку на машину",  # a preposition between: the insurance is bought
        "buy car insurance",  # an English noun after the thing: what is bought is the insurance
        "купить билет и доехать до квартиры",  # too far apart
    ],
)
def test_words_of_a_purchase_apart_are_none(text):
    assert not PURCHASES.named(normalise(text).split())


def test_a_subject_without_kazakh_consonant_endings_is_not_another_russian_word():
    loan = Places(["кредит"], kazakh_endings=False)
    assert loan.named(normalise("дадут ли кредит иностранцу").split())
    assert loan.named(normalise("взять машину в кредите").split())
    assert not loan.named(normalise("российская кредитка не работает").split())  # a card, not a loan


def test_a_word_of_unless_makes_the_pair_a_covered_questions_detail():
    buying = Together(["купить"], ["квартира"], ["на"], gap=3, unless=["иин"])
    assert buying.named(normalise("можно ли купить квартиру иностранцу").split())
    assert not buying.named(normalise("нужен ли иин чтобы купить квартиру").split())
