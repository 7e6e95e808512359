"""Finding the question inside a message, follow-ups and the message's language (bot/core/question.py, text.py)."""

import pytest

from bot.core.question import (
    CONTEXT_WEIGHT,
    DONE_WEIGHT,
    asked_apart,
    asking_part,
    asks_under_condition,
    follows_up,
    marked_follow_up,
    question_part,
    question_parts,
    without_pieces,
)
from bot.core.text import detect_language


def test_the_clause_that_asks_outweighs_the_clause_about_what_is_done():
    parts = question_parts("ИИН уже получил, теперь в какой банк идти?")
    assert ("ИИН уже получил", DONE_WEIGHT) in parts  # "уже": a solved topic weighs less than the story
    assert any("какой банк" in part and weight == 1.0 for part, weight in parts)
    assert question_part("ИИН уже получил, теперь в какой банк идти?").strip() == "теперь в какой банк идти?"


def test_a_story_weighs_less_than_its_question():
    message = "Привет. Я приехал из Москвы неделю назад с женой. Живем у друзей. Как нам открыть счет в банке?"
    weights = dict(question_parts(message))
    assert weights["Как нам открыть счет в банке?"] == 1.0
    assert weights["Я приехал из Москвы неделю назад с женой."] == CONTEXT_WEIGHT


def test_the_sentence_before_the_question_names_its_subject():
    message = "Мы прилетели вчера. Хотим сделать ИИН, но в ЦОНе очереди. Можно записаться заранее?"
    weights = dict(question_parts(message))
    assert weights["Хотим сделать ИИН, но в ЦОНе очереди."] == 1.0
    assert weights["Мы прилетели вчера."] == CONTEXT_WEIGHT
    assert "ИИН" in question_part(message)
    assert asking_part(message) == "Можно записаться заранее?"  # what an off-topic question is told by
    assert dict(question_parts("Карту уже сделали. Как купить симку?"))["Карту уже сделали."] == DONE_WEIGHT
    assert dict(question_parts("ИИН у меня есть. Где сделать ЭЦП?"))["ИИН у меня есть."] == DONE_WEIGHT
    alone = dict(question_parts(message, subject_before=False))  # when the question names a subject of its own
    assert alone["Хотим сделать ИИН, но в ЦОНе очереди."] == CONTEXT_WEIGHT


def test_an_asking_clause_without_a_subject_leaves_the_subject_to_the_rest():
    assert question_parts("безвиз с казахстаном, как это работает?") == [
        ("безвиз с казахстаном, как это работает?", 1.0)
    ]


def test_a_plain_question_is_left_whole():
    assert question_parts("где получить иин") == [("где получить иин", 1.0)]


def test_a_condition_or_purpose_after_the_question_is_part_of_it():
    """The question mark ends the sentence, not its last clause: the subject is often in the clause after."""
    asked = question_part("какие документы нужны, чтобы получить иин")
    assert asked.split() == ["какие", "документы", "нужны", "чтобы", "получить", "иин"]
    parts = dict(question_parts("По какому номеру вызвать скорую, если у меня российская симка?"))
    assert parts == {"По какому номеру вызвать скорую": 1.0, " если у меня российская симка?": 1.0}
    parts = dict(question_parts("Как платить, пока нет казахстанской карты?"))
    assert parts == {"Как платить": 1.0, " пока нет казахстанской карты?": 1.0}  # any clause up to the mark


def test_a_statement_after_the_question_stays_story():
    parts = dict(question_parts("салыкты кашан толеу керек, онлайн жумыс истеймин"))
    assert parts["салыкты кашан толеу керек"] == 1.0
    assert parts[" онлайн жумыс истеймин"] == CONTEXT_WEIGHT


@pytest.mark.parametrize(
    "text, short, marked",
    [
        ("а ребенку тоже нужен?", True, True),
        ("and for Belarusians?", True, True),
        ("а без иин можно?", True, True),
        ("сколько стоит?", True, False),
        ("балаға ше?", True, True),  # Kazakh "what about the child?"
        ("телефонда ақша болмаса да бола ма?", True, True),  # Kazakh "even if there is no money on the phone?"
        ("ақша жіберуге бола ма?", True, False),
        ("what papers do I need for that?", True, True),  # seven words, but "that" points back
        ("where do I apply in Almaty?", True, False),  # six words, three of them its own: English needs more
        ("как открыть счет в банке если я гражданин беларуси и у меня нет иин", False, False),
    ],
)
def test_short_messages_may_lean_on_the_previous_answer(text, short, marked):
    assert follows_up(text) is short
    assert marked_follow_up(text) is marked


@pytest.mark.parametrize(
    "text, condition",
    [
        ("а если я уже получил ВНЖ?", True),
        ("and if I get a residence permit?", True),
        ("what if I overstay by a week?", True),
        ("а якщо в мене немає закордонного паспорта?", True),
        ("а если нет ИИН, где жить?", False),  # asks where to live
        ("а где его получить?", False),
        ("если просрочить регистрацию", True),
    ],
)
def test_a_follow_up_that_only_adds_a_condition_is_told(text, condition):
    assert asks_under_condition(text) is condition


@pytest.mark.parametrize(
    "text, language",
    [
        ("где получить иин", "ru"),
        ("how do I get an IIN", "en"),
        ("ЖСН қайдан алуға болады", "kk"),
        ("жсн кайдан алуга болады", "kk"),  # Kazakh typed without Kazakh letters
        ("як отримати ІПН в Алмати", "uk"),
        ("чи потрібна реєстрація", "uk"),
        ("де можна купити сім картку", "uk"),
        ("онай карта", "ru"),  # two Russian words: not Kazakh
        ("карта onay где купить", "ru"),
        ("какой best tariff для sim", "ru"),  # Russian with English words in it
        ("How do I get ИИН in Almaty", "en"),
        ("не знаю, не понимаю, что делать с регистрацией", "ru"),  # "не" is Kazakh too: once is no evidence
        ("шетелдик баламды мектепке калай беремин", "kk"),  # no Kazakh letters, Kazakh words and endings
        ("як знайти житло якщо я студент", "uk"),  # no Ukrainian letters
    ],
)
def test_the_language_of_the_message(text, language):
    assert detect_language(text) == language


def test_pieces_are_dropped_and_the_rest_kept_as_written():
    kept = without_pieces(
        "Здравствуйте! Подскажите, пожалуйста, где получить ИИН?", lambda p: p.startswith("Здравствуйте")
    )
    assert kept == "Подскажите, пожалуйста, где получить ИИН?"


@pytest.mark.parametrize(
    "message, asked",
    [
        (
            "Где дешевле снимать жильё — в Астане или в Алматы? И где климат помягче?",
            ["Где дешевле снимать жильё — в Астане или в Алматы?", "И где климат помягче?"],
        ),
        ("Где получить ИИН? И сколько это стоит?", ["Где получить ИИН?"]),  # "это" takes its subject from before
        ("Мы приехали в марте. Где получить ИИН?", []),  # one question: nothing asked apart
        ("Это правда? И какая ставка налога?", ["И какая ставка налога?"]),
    ],
)
def test_the_questions_asked_apart_are_those_that_name_their_own_subject(message, asked):
    assert asked_apart(message) == asked
