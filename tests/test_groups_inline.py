"""Answers where newcomers ask: group chats, inline mode, deep links and the Kazakh interface."""

import asyncio
import re
import time

import yaml

from bot.handlers import groups
from bot.i18n import LANGUAGES, LOCALES_DIR
from tests.support.app import Chat, running_bot, send
from tests.support.fake_bot_api import BOT_ID, BOT_USERNAME
from tests.support.moderation import ADMIN, GROUP, MEMBER, OWNER, Group, setup_group


def mention(text: str) -> list[dict]:
    start = text.index(f"@{BOT_USERNAME}")
    return [{"type": "mention", "offset": start, "length": len(BOT_USERNAME) + 1}]


def group_replies(api) -> list[dict]:
    return [c for c in api.calls_to("sendMessage") if str(c["chat_id"]) == str(GROUP)]


def urls(call: dict) -> list[str]:
    return [b.get("url") for row in call["reply_markup"]["inline_keyboard"] for b in row if b.get("url")]


async def flushed_rows(app) -> list[dict]:
    svc = app.bot_data
    await svc.query_log.flush()
    return await svc.storage.queries()


async def test_a_mention_in_a_group_is_answered_as_a_short_reply_to_the_asker(api, tmp_path):
    setup_group(api)
    chat = Group()
    text = f"@{BOT_USERNAME} где получить иин"
    async with running_bot(api, tmp_path) as app:
        update = chat.message(MEMBER, text, entities=mention(text))
        await send(app, api, update)
        rows = await flushed_rows(app)
    (reply,) = group_replies(api)
    assert reply["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert "ИИН" in reply["text"] and "Источник:" in reply["text"]
    assert len(reply["text"]) < 600  # the short form: headline and source
    assert f"https://t.me/{BOT_USERNAME}?start=iin-where" in urls(reply)
    assert rows[0]["chat_type"] == "supergroup" and rows[0]["matched_id"] == "iin-where"


async def test_a_reply_to_the_bot_and_ask_are_answered_in_the_language_of_the_question(api, tmp_path):
    setup_group(api)
    chat = Group()
    bot_message = chat.raw(BOT_ID, "earlier answer")
    async with running_bot(api, tmp_path) as app:
        await send(app, api, chat.message(MEMBER, "do russians need a visa", reply_to=bot_message))
        await send(app, api, chat.message(MEMBER, "/ask как открыть счет в банке"))
        await send(app, api, chat.message(MEMBER, "/ask"))
    visa, bank, usage = group_replies(api)
    assert "Source:" in visa["text"] and "visa" in visa["text"].lower()
    assert "Источник:" in bank["text"]
    assert "/ask" in usage["text"]


async def test_plain_group_chatter_is_left_alone(api, tmp_path):
    setup_group(api)
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Group().message(MEMBER, "где получить иин?"))  # auto-answer is off by default
        await send(app, api, Group().message(MEMBER, "всем привет"))
    assert group_replies(api) == []


async def test_faq_as_a_reply_answers_the_newcomers_message(api, tmp_path):
    setup_group(api)
    chat = Group()
    newcomer = chat.raw(MEMBER, "ребята а где тут делают иин?")
    async with running_bot(api, tmp_path) as app:
        await send(app, api, chat.message(ADMIN, "/faq", reply_to=newcomer))
        await send(app, api, chat.message(OWNER, "/faq bank-account", reply_to=newcomer))
    by_match, by_id = group_replies(api)
    assert by_match["reply_parameters"]["message_id"] == newcomer["message_id"]
    assert "Источник:" in by_match["text"] and "?start=iin" in " ".join(urls(by_match))
    assert by_id["reply_parameters"]["message_id"] == newcomer["message_id"]
    assert f"https://t.me/{BOT_USERNAME}?start=bank-account" in urls(by_id)


async def test_faq_is_for_admins_unless_the_chat_allows_everyone(api, tmp_path):
    setup_group(api)
    chat = Group()
    newcomer = chat.raw(OWNER, "где получить иин")
    async with running_bot(api, tmp_path) as app:
        await send(app, api, chat.message(MEMBER, "/faq", reply_to=newcomer))
        await send(app, api, chat.message(ADMIN, "/settings faq all"))
        await send(app, api, chat.message(MEMBER, "/faq", reply_to=newcomer))
    denied, _saved, answered = group_replies(api)
    assert "только администраторы" in denied["text"]
    assert "ИИН" in answered["text"]


async def test_auto_answer_fires_once_per_entry_within_the_cooldown(api, tmp_path):
    setup_group(api)
    chat = Group()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, chat.message(ADMIN, "/settings autoanswer on"))
        first = chat.message(MEMBER, "где получить иин?")
        await send(app, api, first)
        await send(app, api, chat.message(OWNER, "где сделать иин?"))  # same entry: cooling down
        await send(app, api, chat.message(MEMBER, "сегодня хорошая погода"))  # not a question
        replies = group_replies(api)
        (auto,) = replies[1:]
        assert auto["reply_parameters"]["message_id"] == first["message"]["message_id"]
        not_helpful = next(
            b["callback_data"]
            for row in auto["reply_markup"]["inline_keyboard"]
            for b in row
            if b.get("callback_data", "").startswith("fb:")
        )
        await send(app, api, Chat(user_id=OWNER, chat_type="supergroup", chat_id=GROUP).press(not_helpful))
        await send(
            app,
            api,
            Chat(user_id=MEMBER, chat_type="supergroup", chat_id=GROUP).press(
                not_helpful, reply_markup=auto["reply_markup"]
            ),
        )
        rows = await flushed_rows(app)
        for cooldowns in app.chat_data.values():  # an hour later: the cooldown has passed
            for entry in cooldowns.get(groups.COOLDOWN_KEY, {}):
                cooldowns[groups.COOLDOWN_KEY][entry] = time.monotonic() - groups.AUTO_ANSWER_COOLDOWN - 1
        await send(app, api, chat.message(OWNER, "где сделать иин?"))
    assert len(group_replies(api)) == 3
    refused, thanked = api.calls_to("answerCallbackQuery")
    assert refused["show_alert"] and "автор вопроса" in refused["text"]
    assert thanked["text"] == "Спасибо! Мы учтём это и дополним ответ."
    assert next(r for r in rows if r["outcome"] == "answer")["feedback"] == 0


async def test_inline_query_lists_matching_entries_and_logs_once_the_user_pauses(api, tmp_path, monkeypatch):
    from bot.handlers import inline

    monkeypatch.setattr(inline, "INLINE_LOG_DELAY", 0.05)
    user = {"id": MEMBER, "is_bot": False, "first_name": "Anna", "language_code": "ru"}
    async with running_bot(api, tmp_path) as app:
        await app.job_queue.start()
        for i, typed in enumerate(["где", "где получ", "где получить иин"]):
            await send(
                app,
                api,
                {"inline_query": {"id": str(i), "from": user, "query": typed, "offset": "", "chat_type": "supergroup"}},
            )
        await send(app, api, {"inline_query": {"id": "9", "from": user, "query": "", "offset": ""}})
        await asyncio.sleep(0.3)
        rows = await flushed_rows(app)
        await app.job_queue.stop()
    answers = api.calls_to("answerInlineQuery")
    assert len(answers) == 4  # the fake API refused none (ids, HTML, lengths)
    full = answers[2]["results"]
    assert full[0]["id"] == "iin-where" and full[0]["title"].startswith("Где получить ИИН")
    assert "Источник:" in full[0]["input_message_content"]["message_text"]
    assert full[0]["input_message_content"]["link_preview_options"] == {"is_disabled": True}
    assert len(answers[3]["results"]) >= 10  # empty query: the most asked entries
    assert [(r["question"], r["chat_type"]) for r in rows] == [("где получить иин", "inline:supergroup")]


async def test_the_share_button_query_returns_exactly_that_entry(api, tmp_path):
    user = {"id": MEMBER, "is_bot": False, "first_name": "Anna", "language_code": "en"}
    async with running_bot(api, tmp_path) as app:
        await send(app, api, {"inline_query": {"id": "1", "from": user, "query": "shelter", "offset": ""}})
    (answer,) = api.calls_to("answerInlineQuery")
    assert [r["id"] for r in answer["results"]] == ["shelter"]
    assert "Source:" in answer["results"][0]["input_message_content"]["message_text"]


async def test_deep_link_opens_the_entry_in_the_users_language(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat(language_code="kk").message("/start visa-free-entry"))
    (reply,) = api.calls_to("sendMessage")
    assert "Дереккөз:" in reply["text"]


async def test_a_kazakh_speaking_user_gets_kazakh_menus(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat(language_code="kk").message("/start"))
        await send(app, api, Chat(language_code="kk").press("t:documents"))
    start, topic = api.calls_to("sendMessage")
    assert start["text"].startswith("Сәлеметсіз бе!")
    assert next(b["text"] for row in start["reply_markup"]["inline_keyboard"] for b in row) == "📄 Құжаттар және болу"
    assert "Бөлімді таңдаңыз" in topic["text"]


def test_every_text_exists_in_every_language_with_the_same_placeholders():
    catalogues = {
        lang: yaml.safe_load((LOCALES_DIR / f"{lang}.yaml").read_text(encoding="utf-8")) for lang in LANGUAGES
    }
    keys = set(catalogues["ru"])
    for lang, texts in catalogues.items():
        assert set(texts) == keys, (lang, keys ^ set(texts))
        for key in keys:
            assert str(texts[key]).strip(), (lang, key)
            assert set(re.findall(r"{(\w+)[:}]", str(texts[key]))) == set(
                re.findall(r"{(\w+)[:}]", str(catalogues["ru"][key]))
            ), (lang, key)


def test_questions_are_told_from_chatter():
    assert groups.looks_like_question("где получить иин")
    assert groups.looks_like_question("а иин долго делают?")
    assert groups.looks_like_question("ЖСН қайдан аламын")
    assert not groups.looks_like_question("всем привет, я из Москвы")


async def test_a_blocked_user_gets_no_answer_in_groups_but_the_rules_still_apply(api, tmp_path):
    """Issue 11, item 1: blocked means ignored everywhere: no @mention, /ask, /faq, reply or auto-answer."""
    setup_group(api)
    moderator = 9090
    chat = Group()
    text = f"@{BOT_USERNAME} где получить иин"
    bot_message = chat.raw(BOT_ID, "earlier answer")
    async with running_bot(api, tmp_path, BOT_MODERATOR_IDS=str(moderator)) as app:
        await send(app, api, chat.message(ADMIN, "/settings autoanswer on"))
        await send(app, api, chat.message(ADMIN, "/settings faq all"))
        await send(
            app, api, chat.message(ADMIN, "/settings flood off")
        )  # eight questions in a row are not the point here
        await send(app, api, Chat(user_id=moderator).message(f"/block {MEMBER}"))
        before = len(group_replies(api))
        await send(app, api, chat.message(MEMBER, text, entities=mention(text)))
        await send(app, api, chat.message(MEMBER, "/ask где получить иин"))
        await send(app, api, chat.message(MEMBER, f"/ask@{BOT_USERNAME} как открыть счет в банке"))
        await send(app, api, chat.message(MEMBER, "/faq bank-account"))
        await send(app, api, chat.message(MEMBER, "/faq", reply_to=chat.raw(OWNER, "где получить иин?")))
        await send(app, api, chat.message(MEMBER, "где открыть счёт в банке?"))  # an auto-answer
        await send(app, api, chat.message(MEMBER, "do russians need a visa", reply_to=bot_message))
        edited = chat.message(MEMBER, text, entities=mention(text))
        await send(app, api, {"edited_message": {**edited["message"], "edit_date": int(time.time())}})
        assert len(group_replies(api)) == before
        insult = chat.raw(MEMBER, "ты чурка")  # the automatic rules still apply to their messages
        await send(app, api, {"message": insult})
        assert int(api.calls_to("deleteMessage")[-1]["message_id"]) == insult["message_id"]
        await send(app, api, Chat(user_id=moderator).message(f"/unblock {MEMBER}"))
        await send(app, api, chat.message(MEMBER, "/ask где получить иин"))
    assert "ИИН" in group_replies(api)[-1]["text"]  # answered again once unblocked


async def test_presses_on_a_group_message_are_parsed_strictly(api, tmp_path):
    """Issue 11, item 3: an auto-answer's 👎 without the asker's id, a menu or entry button and malformed data
    on a group message get a quiet answer: nothing is posted into the group, the asker's button stays."""
    setup_group(api)
    chat = Group()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, chat.message(ADMIN, "/settings autoanswer on"))
        await send(app, api, chat.message(MEMBER, "где получить иин?"))
        auto = group_replies(api)[-1]
        asker_data = next(
            b["callback_data"]
            for row in auto["reply_markup"]["inline_keyboard"]
            for b in row
            if b.get("callback_data", "").startswith("fb:")
        )
        ref = asker_data.split(":")[1]
        said = len(api.calls_to("sendMessage"))
        owner = Chat(user_id=OWNER, chat_type="supergroup", chat_id=GROUP)
        for data in (
            f"fb:{ref}:0",
            f"fb:{ref}:1",
            f"fb:{ref}:0:",
            f"fb:{ref}:0:{OWNER}x",
            "fb:",
            "fb:x",
            "t:documents",
            "e:iin",
            "menu",
            "lang:en",
            "zzz",
        ):
            await send(app, api, owner.press(data, reply_markup=auto["reply_markup"]))
        rows = await flushed_rows(app)
    answers = api.calls_to("answerCallbackQuery")
    assert len(answers) == 11 and all(not a.get("text") and not a.get("show_alert") for a in answers)
    assert len(api.calls_to("sendMessage")) == said and not api.calls_to("editMessageReplyMarkup")
    assert next(r for r in rows if r["outcome"] == "answer")["feedback"] is None


async def test_nothing_a_user_asked_before_forgetme_is_logged_after_it(api, tmp_path, monkeypatch):
    """An inline query still waiting for its pause, and a group question still being matched, when the
    user's /forgetme arrives: neither is written afterwards. What they ask after /forgetme is logged."""
    from bot.handlers import inline

    monkeypatch.setattr(inline, "INLINE_LOG_DELAY", 0.3)
    setup_group(api)
    user = {"id": MEMBER, "is_bot": False, "first_name": "Anna", "language_code": "ru"}
    text = f"@{BOT_USERNAME} где получить иин"
    async with running_bot(api, tmp_path) as app:
        svc = app.bot_data
        await app.job_queue.start()
        await send(app, api, {"inline_query": {"id": "1", "from": user, "query": "где получить иин", "offset": ""}})
        real_match, matching, release = svc.match, asyncio.Event(), asyncio.Event()

        async def slow_match(question, follows=None):  # the group question is in the middle of being matched
            matching.set()
            await release.wait()
            return await real_match(question, follows)

        svc.match = slow_match
        in_flight = asyncio.create_task(send(app, api, Group().message(MEMBER, text, entities=mention(text))))
        await matching.wait()
        svc.match = real_match
        await send(app, api, Chat(user_id=MEMBER).message("/forgetme"))
        release.set()
        await in_flight
        await asyncio.sleep(0.6)  # past the inline query's pause
        left = await flushed_rows(app)
        await send(app, api, {"inline_query": {"id": "2", "from": user, "query": "как открыть счет", "offset": ""}})
        await asyncio.sleep(0.6)
        after = await flushed_rows(app)
        await app.job_queue.stop()
    assert len(group_replies(api)) == 1  # the group question was answered, just not logged
    assert left == []
    assert [r["question"] for r in after] == ["как открыть счет"]
