"""The real Application against the fake Bot API: updates in, Bot API calls out."""

import datetime as dt
import sqlite3

from tests.support.app import Chat, running_bot, send


def buttons(call: dict) -> list[dict]:
    return [b for row in call["reply_markup"]["inline_keyboard"] for b in row]


def keyboard_data(call: dict) -> list[str]:
    return [b["callback_data"] for b in buttons(call) if "callback_data" in b]


async def flushed_rows(application) -> list[dict]:
    svc = application.bot_data
    await svc.query_log.flush()
    return await svc.storage.queries()


async def test_start_greets_in_the_users_language_with_the_topic_menu(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat(language_code="en").message("/start"))
        await send(app, api, Chat(user_id=5, language_code="kk").message("/start"))
        await send(app, api, Chat(user_id=6, language_code=None).message("/start"))
    english, kazakh, default = api.calls_to("sendMessage")
    assert english["text"].startswith("Hello!")
    assert kazakh["text"].startswith("Сәлеметсіз бе!")
    assert default["text"].startswith("Здравствуйте!")
    assert all(d.startswith("t:") for d in keyboard_data(english))
    assert "t:documents" in keyboard_data(english)


async def test_commands_are_registered_in_each_language(api, tmp_path):
    async with running_bot(api, tmp_path):
        pass
    registered = api.calls_to("setMyCommands")
    assert {c.get("language_code") for c in registered} == {None, "en", "kk", "uk"}
    assert all(
        {cmd["command"] for cmd in c["commands"]} == {"start", "help", "topics", "ask", "lang", "privacy", "forgetme"}
        for c in registered
    )


async def test_a_question_gets_its_answer_with_source_review_date_and_buttons(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("где получить иин"))
        rows = await flushed_rows(app)
    (reply,) = api.calls_to("sendMessage")
    assert "ИИН" in reply["text"]
    assert "Источник:" in reply["text"] and "проверено" in reply["text"]
    assert reply["parse_mode"] == "HTML" and reply["link_preview_options"] == {
        "is_disabled": True
    }  # no card for the source link
    data = keyboard_data(reply)
    assert any(d.startswith("fb:") and d.endswith(":1") for d in data)
    assert any(d.startswith("e:") for d in data)  # related follow-ups
    assert {"text": "↗️ Поделиться", "switch_inline_query": "iin-where"} in buttons(reply)  # shared through inline mode
    (row,) = rows
    assert row["matched_id"] == "iin-where" and row["outcome"] == "answer"
    assert row["chat_type"] == "private" and row["language"] == "ru"
    assert row["question"] == "где получить иин"
    assert row["user_key"] != "4242" and "4242" not in row["user_key"]


async def test_wrong_keyboard_layout_and_transliteration_are_understood(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("ult gjkexbnm bby"))
        await send(app, api, Chat().message("kak otkryt schet v banke"))
        rows = await flushed_rows(app)
    assert {r["matched_id"] for r in rows} == {"iin-where", "bank-account"}
    assert all(r["outcome"] == "answer" for r in rows)


async def test_an_english_question_is_answered_in_english(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat(language_code="ru").message("do russians need a visa to enter kazakhstan"))
    (reply,) = api.calls_to("sendMessage")
    assert "Source:" in reply["text"] and "visa" in reply["text"].lower()


async def test_an_unclear_question_offers_choices_and_a_press_answers(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("документы"))
        (clarify,) = api.calls_to("sendMessage")
        choices = [d for d in keyboard_data(clarify) if d.startswith("e:")]
        assert 2 <= len(choices) <= 3
        assert "Вы имели в виду" in clarify["text"]
        await send(app, api, Chat().press(choices[0]))
        rows = await flushed_rows(app)
    answered = api.calls_to("sendMessage")[1]
    assert "Источник:" in answered["text"]
    assert api.calls_to("answerCallbackQuery")
    assert {r["outcome"] for r in rows} == {"clarify", "browse"}


async def test_topic_menu_leads_to_entries_and_to_an_answer(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().press("t:housing"))
        families = api.calls_to("sendMessage")[0]
        assert {"f:housing:0", "f:shelter:0"} <= set(keyboard_data(families))
        await send(app, api, Chat().press("f:shelter:0"))
        entries = [d for d in keyboard_data(api.calls_to("sendMessage")[1]) if d.startswith("e:")]
        assert entries[0] == "e:shelter"
        await send(app, api, Chat().press("e:shelter"))
    answer = api.calls_to("sendMessage")[2]["text"]
    assert "2022" in answer  # shelter offers are dated past examples, never current


async def test_feedback_is_recorded_and_the_buttons_go_away(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("как открыть счет в банке"))
        reply = api.calls_to("sendMessage")[0]
        not_helpful = next(d for d in keyboard_data(reply) if d.startswith("fb:") and d.endswith(":0"))
        await send(app, api, Chat().press(not_helpful, reply_markup=reply["reply_markup"]))
        rows = await flushed_rows(app)
    assert rows[0]["feedback"] == 0
    (edit,) = api.calls_to("editMessageReplyMarkup")
    assert not any(d.startswith("fb:") for d in keyboard_data(edit))
    assert any(d.startswith("e:") for d in keyboard_data(edit))  # the follow-ups stay
    assert api.calls_to("answerCallbackQuery")[0]["text"]


async def test_every_answer_carries_its_own_unguessable_feedback_reference(api, tmp_path):
    asked = 600  # more than one batch of drawn randomness
    async with running_bot(api, tmp_path) as app:
        for i in range(asked):
            await send(app, api, Chat(user_id=1000 + i % 7).message("где получить иин" + "?" * (i % 3)))
        rows = await flushed_rows(app)
    sent = [
        {d.split(":")[1] for d in keyboard_data(call) if d.startswith("fb:")} for call in api.calls_to("sendMessage")
    ]
    assert all(len(refs) == 1 for refs in sent)
    refs = [ref for refs in sent for ref in refs]
    assert len(set(refs)) == asked and all(len(ref) == 16 and int(ref, 16) >= 0 for ref in refs)
    assert sorted(row["ref"] for row in rows) == sorted(refs)  # each lands on its own logged question


async def test_html_in_the_users_text_is_escaped(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("<b>погода</b> & <script>alert(1)</script> завтра"))
    (reply,) = api.calls_to("sendMessage")  # the fake API rejects invalid HTML with 400, as Telegram does
    assert "&lt;b&gt;погода&lt;/b&gt; &amp; &lt;script&gt;" in reply["text"]


async def test_greetings_and_thanks_get_a_friendly_reply_not_an_entry(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("привет"))
        await send(app, api, Chat().message("спасибо большое!"))
        rows = await flushed_rows(app)
    assert [r["outcome"] for r in rows] == ["smalltalk", "smalltalk"]
    assert all("Источник" not in c["text"] for c in api.calls_to("sendMessage"))


async def test_unrelated_question_gets_an_apology_the_menu_and_a_hint(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("рецепт бешбармака"))
    (reply,) = api.calls_to("sendMessage")
    assert "нет готового ответа" in reply["text"] and "чате" in reply["text"]
    assert any(d.startswith("t:") for d in keyboard_data(reply))


async def test_lang_switches_and_is_remembered(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("/lang"))
        assert set(keyboard_data(api.calls_to("sendMessage")[0])) == {"lang:ru", "lang:en", "lang:kk", "lang:uk"}
        await send(app, api, Chat().press("lang:kk"))
        await send(app, api, Chat().message("/help"))
    assert api.calls_to("sendMessage")[1]["text"].startswith("Дайын")
    assert "Қалай пайдалану" in api.calls_to("sendMessage")[2]["text"]
    async with running_bot(api, tmp_path) as app:  # after a restart
        await send(app, api, Chat().message("/start"))
    assert api.calls_to("sendMessage")[3]["text"].startswith("Сәлеметсіз бе!")


async def test_non_text_messages_get_a_hint(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(
            app,
            api,
            Chat().message(
                sticker={
                    "file_id": "x",
                    "file_unique_id": "y",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                }
            ),
        )
    (reply,) = api.calls_to("sendMessage")
    assert "текстовые" in reply["text"]


async def test_a_huge_emoji_message_gets_a_short_reply_and_is_logged(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("😀" * 4096))
        rows = await flushed_rows(app)
    (reply,) = api.calls_to("sendMessage")
    assert len(reply["text"]) < 1000
    assert rows[0]["outcome"] == "none"


async def test_every_answer_fits_telegram_limits(api, tmp_path, knowledge):
    async with running_bot(api, tmp_path) as app:
        for entry_id in knowledge.entries:
            await send(app, api, Chat(language_code="en").press(f"e:{entry_id}"))
    sent = api.calls_to("sendMessage")
    assert len(sent) == len(knowledge.entries)  # the fake API refused none (HTML, length, callback bytes)


async def test_an_expired_offer_is_shown_as_ended(api, tmp_path, knowledge):
    entry_id = next(iter(knowledge.entries))
    import dataclasses

    async with running_bot(api, tmp_path, today=dt.date(2026, 11, 22)) as app:
        svc = app.bot_data
        entry = knowledge.entries[entry_id]
        svc.knowledge.entries[entry_id] = dataclasses.replace(entry, valid_until=dt.date(2022, 4, 25))
        await send(app, api, Chat().press(f"e:{entry_id}"))
        svc.knowledge.entries[entry_id] = entry
    (reply,) = api.calls_to("sendMessage")
    assert reply["text"].startswith("⚠️ Это предложение действовало до 25.04.2022")


async def test_deep_link_opens_an_entry(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("/start work"))
    (reply,) = api.calls_to("sendMessage")
    assert "Источник:" in reply["text"]


async def test_long_polling_run_answers_through_the_network(api, tmp_path):
    """The contract the Bot API emulator relies on: `run_polling` against BOT_API_BASE_URL."""
    from telegram import Update

    async with running_bot(api, tmp_path) as app:
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0)
        await app.start()
        api.push_update(Chat().message("где получить иин"))
        await api.wait_for("sendMessage")
        await app.updater.stop()
        await app.stop()
    assert "ИИН" in api.calls_to("sendMessage")[0]["text"]
    with sqlite3.connect(tmp_path / "data" / "bot.sqlite3") as db:
        assert db.execute("SELECT matched_id FROM query_log").fetchall() == [("iin-where",)]


def test_answer_keyboards_are_sent_as_telegram_would_read_them(knowledge):
    """Keyboards are built once per knowledge and carry their serialised form: it must equal PTB's own, for
    every entry and language, with and without feedback buttons, and for the menus."""
    from telegram import InlineKeyboardMarkup

    from bot import render

    for lang in ("ru", "en", "kk", "uk"):
        keyboards = [render.topics_keyboard(knowledge, lang), render.choices_keyboard(knowledge, ("iin", "work"), lang)]
        for entry in knowledge.entries.values():
            keyboards += [render.answer_keyboard(knowledge, entry, lang, ref) for ref in ("0123456789abcdef", None)]
        for keyboard in keyboards:
            assert keyboard.to_dict() == InlineKeyboardMarkup(keyboard.inline_keyboard).to_dict()
    first = render.answer_keyboard(knowledge, entry, "ru", "a" * 16).to_dict()["inline_keyboard"][0]
    second = render.answer_keyboard(knowledge, entry, "ru", "b" * 16).to_dict()["inline_keyboard"][0]
    assert [b["callback_data"] for b in first] == [
        "fb:" + "a" * 16 + ":1",
        "fb:" + "a" * 16 + ":0",
    ]  # each answer its own feedback
    assert [b["callback_data"] for b in second] == ["fb:" + "b" * 16 + ":1", "fb:" + "b" * 16 + ":0"]


# Issue 11, item 3: every press is parsed strictly; anything else gets a quiet answer and changes nothing.
FORGED = [
    "fb:",
    "fb:x",
    "fb:x:1",
    "fb::1",
    "fb:0123456789abcdef",
    "fb:0123456789abcdef:2",
    "fb:0123456789abcdef:1:",
    "fb:0123456789abcdef:1:x",
    "fb:0123456789abcdef:0:4242:9",
    "fb:0123456789ABCDEF:1",
    "fb:0123456789abcdef:1\n",
    "t:",
    "t:nowhere",
    "t:housing:x",
    "t:../housing",
    "e:",
    "e:no-such-entry",
    "e:iin:x",
    "e:IIN",
    "lang:",
    "lang:xx",
    "lang:kk:ru",
    "menu:",
    "menu:x",
    "mod:anon:",
    "mod:anon:zz",
    "mod:anon:0123456789ab",
    "zzz",
    "",
    ":",
    "fb",
    "t",
    "e",
    "lang",
    "é:iin",
]


async def test_forged_button_data_gets_a_quiet_answer_and_changes_nothing(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("как открыть счет в банке"))
        (reply,) = api.calls_to("sendMessage")
        ref = next(d for d in keyboard_data(reply) if d.startswith("fb:")).split(":")[1]
        for data in [*FORGED, f"fb:{ref}:0:4242", f"fb:{ref}:1:4242"]:  # an asker's id belongs to group answers only
            await send(app, api, Chat().press(data, reply_markup=reply["reply_markup"]))
        rows = await flushed_rows(app)
    answers = api.calls_to("answerCallbackQuery")
    assert len(answers) == len(FORGED) + 2  # every press answered, so no client spins
    assert all(not a.get("text") and not a.get("show_alert") for a in answers)  # quietly
    assert len(api.calls_to("sendMessage")) == 1  # no menu, no entry, no "something went wrong"
    assert not api.calls_to("editMessageReplyMarkup") and rows[0]["feedback"] is None


async def test_a_second_question_in_the_message_gets_a_button_of_its_own(api, tmp_path, knowledge):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat().message("Где дешевле снимать жильё — в Астане или в Алматы? И где климат помягче?"))
    (reply,) = api.calls_to("sendMessage")
    climate = knowledge.entries["choosing-city-climate"].texts["ru"].question
    rows = reply["reply_markup"]["inline_keyboard"]
    assert rows[1] == [{"text": "➕ " + climate, "callback_data": "e:choosing-city-climate"}]  # after the feedback
    assert keyboard_data(reply).count("e:choosing-city-climate") == 1
