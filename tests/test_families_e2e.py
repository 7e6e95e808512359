"""Families in Telegram: the menu (topics → families → pages of entries), Ukrainian speakers, follow-ups."""

from bot.i18n import t
from bot.render import ENTRIES_PER_PAGE
from tests.support.app import Chat, running_bot, send


def keyboard(call: dict) -> list[dict]:
    return [b for row in call["reply_markup"]["inline_keyboard"] for b in row]


def data(call: dict, prefix: str) -> list[str]:
    return [b["callback_data"] for b in keyboard(call) if b.get("callback_data", "").startswith(prefix)]


async def test_topics_lead_to_families_and_families_to_their_entries(api, tmp_path, knowledge):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().press("t:life"))
        families = api.calls_to("sendMessage")[-1]
        assert "f:phone:0" in data(families, "f:") and "f:transport:0" in data(families, "f:")
        assert not data(families, "e:")
        await send(app, api, Chat().press("f:phone:0"))
        page = api.calls_to("sendMessage")[-1]
        assert page["text"].startswith("<b>📱 SIM-карта и телефон</b>")
        entries = data(page, "e:")
        assert entries[0] == "e:phone" and len(entries) <= 8  # the overview first, never more than 8
        assert {e.id for e in knowledge.entries_in_family("phone")} >= {d[2:] for d in entries}
        assert "t:life" in data(page, "t:")  # back to the topic


async def test_a_big_family_is_paged_and_every_entry_is_reachable(api, tmp_path, knowledge):
    family = next(f.id for f in knowledge.families if len(knowledge.entries_in_family(f.id)) - 1 > ENTRIES_PER_PAGE)
    seen = []
    async with running_bot(api, tmp_path) as app:
        page, data_of_page = 0, f"f:{family}:0"
        while data_of_page:
            await send(app, api, Chat().press(data_of_page))
            call = api.calls_to("sendMessage")[-1]
            assert len(data(call, "e:")) <= 8
            seen += data(call, "e:")
            page += 1
            more = [d for d in data(call, "f:") if d == f"f:{family}:{page}"]
            data_of_page = more[0] if more else None
        sent = len(api.calls_to("sendMessage"))
        await send(app, api, Chat().press(f"f:{family}:{page + 5}"))  # a page that does not exist: a quiet answer
    assert page >= 2
    assert sorted(d[2:] for d in seen) == sorted(e.id for e in knowledge.entries_in_family(family))
    assert len(api.calls_to("sendMessage")) == sent and api.calls_to("answerCallbackQuery")


async def test_an_answer_leads_to_its_familys_questions(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("истекает ли иин"))
    (answer,) = api.calls_to("sendMessage")
    assert "f:iin:0" in data(answer, "f:")


async def test_a_ukrainian_speaker_gets_ukrainian_texts_and_russian_answers(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat(user_id=77, language_code="uk").message("/start"))
        await send(app, api, Chat(user_id=77, language_code="uk").message("де отримати ІПН (ИИН) в Алмати?"))
        await send(app, api, Chat(user_id=77, language_code="uk").message("дякую"))
        await send(app, api, Chat(user_id=78, language_code="ru").message("/lang uk"))
    start, answer, thanks, chosen = api.calls_to("sendMessage")
    assert start["text"] == t("uk", "start")
    assert f"{t('uk', 'source')}:" in answer["text"] and t("uk", "reviewed") in answer["text"]
    assert "ЦОН" in answer["text"]  # the Russian answer: FAQ answers are not translated into Ukrainian
    assert "IIN rules" not in answer["text"]  # and its sources named in Russian, as the answer is
    assert thanks["text"].startswith("Будь ласка")
    assert chosen["text"] == t("uk", "language_set")
    registered = {c.get("language_code") for c in api.calls_to("setMyCommands")}
    assert "uk" in registered


async def test_a_short_follow_up_is_read_with_the_previous_answer(api, tmp_path, knowledge):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("где получить иин"))
        await send(app, api, Chat().message("а сколько это по времени занимает?"))
        await send(app, api, Chat(user_id=99).message("а сколько это по времени занимает?"))  # no conversation
    _first, follow_up, alone = api.calls_to("sendMessage")
    iin_time = knowledge.entries["iin-time-cost"].texts["ru"].answer.split("\n")[0]
    assert iin_time in follow_up["text"]
    assert iin_time not in alone["text"]


async def test_a_follow_up_that_reads_as_russian_keeps_the_conversations_language(api, tmp_path, knowledge):
    ukrainian = Chat(user_id=61, language_code="ru")  # a Ukrainian whose Telegram is in Russian
    async with running_bot(api, tmp_path) as app:
        await send(app, api, ukrainian.message("Як отримати ІПН в Алмати?"))
        await send(app, api, ukrainian.message("а це платно?"))  # no Ukrainian letter or word in it
        await send(app, api, Chat(user_id=62, language_code="ru").message("а це платно?"))  # no conversation
    first, follow_up, alone = api.calls_to("sendMessage")
    assert f"{t('uk', 'source')}:" in first["text"]
    assert f"{t('uk', 'source')}:" in follow_up["text"], follow_up["text"]
    assert knowledge.entries["iin-time-cost"].texts["ru"].answer.split("\n")[0] in follow_up["text"]
    assert alone["text"] == t("ru", "clarify", question="а це платно?")  # alone: a Russian choice


async def test_greetings_and_politeness_never_swallow_the_question(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        for text in (
            "Здравствуйте! Подскажите, пожалуйста, где получить ИИН?",
            "добрый день! подскажите пожалуйста где получить иин",
            "privet, gde poluchit iin v almaty",
            "Привет. Мы с женой приехали неделю назад из Москвы, живём у друзей. Где нам получить ИИН?",
        ):
            await send(app, api, Chat().message(text))
    for reply in api.calls_to("sendMessage"):
        assert "ЦОН" in reply["text"] and "Источник:" in reply["text"], reply["text"]
