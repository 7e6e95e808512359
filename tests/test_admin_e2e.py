"""/stats, /unanswered, /privacy, /forgetme and the retention job: the real Application against the fake Bot API."""

import datetime as dt

import pytest

from tests.support.app import Chat, running_bot, send, started
from tests.support.fake_bot_api import parse_html
from tests.support.insights import NOW, OFF, decode_png, seed
from tests.support.moderation import GROUP

MODERATOR = 9001


def said(api) -> list[str]:
    return [parse_html(str(c["text"]))[1] for c in api.calls_to("sendMessage")]


async def test_stats_give_a_moderator_the_figures_for_7_and_30_days_and_a_chart(api, tmp_path):
    async with running_bot(api, tmp_path, BOT_MODERATOR_IDS=str(MODERATOR)) as app:
        svc = app.bot_data
        svc.now = lambda: NOW
        await seed(svc.storage, NOW)
        async with started(app):
            await send(app, api, Chat(user_id=MODERATOR, language_code="en").message("/stats"))
            await api.wait_for("sendPhoto")  # reports are made beside the update loop
    (text,) = said(api)
    week, month = text.split("\n\n")[1:]
    assert week.splitlines() == [
        "Last 7 days: 10 questions from 8 people",
        "✅ answered 50% · ❓ clarified 10% · ∅ no answer 40%",
        "👍 helpful 2 · 👎 not helpful 2",
        "Most shown: iin 4, bank-account 1, housing 1",
        "Languages: ru 90%, en 10%",
        "Busiest hours (Almaty): 10:00 (4), 14:00 (4), 21:00 (2)",
    ]
    assert month.splitlines()[0] == "Last 30 days: 15 questions from 12 people"
    assert "Languages: ru 87%, en 7%, kk 7%" in month
    (photo,) = api.calls_to("sendPhoto")
    width, height, _ = decode_png(photo["photo"])
    assert width > height > 100
    assert "green answered, yellow clarified, red no answer" in photo["caption"]


async def test_reports_of_one_question_speak_of_one_question_one_person_one_group(api, tmp_path):
    async with running_bot(api, tmp_path, BOT_MODERATOR_IDS=str(MODERATOR)) as app:
        svc = app.bot_data
        svc.now = lambda: NOW
        await seed(svc.storage, NOW, rows=[(1, 14, 5, "en", "how to ship a parcel to russia", "none", OFF, None)])
        async with started(app):
            await send(app, api, Chat(user_id=MODERATOR, language_code="en").message("/stats"))
            await api.wait_for("sendPhoto")
            await send(app, api, Chat(user_id=MODERATOR, language_code="en").message("/unanswered"))
            await api.wait_for("sendMessage", count=2)
    stats, unanswered = said(api)
    assert [period.splitlines()[0] for period in stats.split("\n\n")[1:]] == [
        "Last 7 days: 1 question from 1 person",
        "Last 30 days: 1 question from 1 person",
    ]
    assert unanswered.splitlines()[0] == "❔ Unanswered or not helpful, last 30 days: 1 question in 1 group"


async def test_moderator_commands_are_plain_unknown_commands_for_everyone_else(api, tmp_path):
    async with running_bot(api, tmp_path, BOT_MODERATOR_IDS=str(MODERATOR)) as app:
        await seed(app.bot_data.storage, NOW)
        for command in ("/stats", "/unanswered", "/reload"):
            await send(app, api, Chat(user_id=4242, language_code="en").message(command))
    assert all(text.startswith("How to use me") for text in said(api)) and len(said(api)) == 3
    assert api.calls_to("sendPhoto") == []


async def test_unanswered_lists_grouped_questions_with_counts_and_the_nearest_entry(api, tmp_path):
    async with running_bot(api, tmp_path, BOT_MODERATOR_IDS=str(MODERATOR)) as app:
        svc = app.bot_data
        svc.now = lambda: NOW
        await seed(svc.storage, NOW)
        async with started(app):
            await send(app, api, Chat(user_id=MODERATOR, language_code="ru").message("/unanswered"))
            await api.wait_for("sendMessage")
    (text,) = said(api)
    lines = text.splitlines()
    assert lines[0] == "❔ Без ответа или «не помогло», за 30 дней: вопросов — 8, групп — 4"
    assert "👎 по статьям: housing 2, iin 1" in lines
    assert next(line for line in lines if line.startswith("1. ")).startswith(
        "1. 4× «как отправить посылку в россию» → вне тем ("
    )
    assert any(line.strip().startswith("ещё: «") and "kak otpravit posylku v rossiyu" in line for line in lines)
    assert next(line for line in lines if line.startswith("3. ")).startswith("3. 1× «где получить иин» → iin-where (")
    assert "python -m bot suggest --write" in lines[-1]


@pytest.mark.parametrize(
    "days, ru_days, uk_days, en_days",
    [
        ("1", "1 день", "1 день", "1 day"),
        ("2", "2 дня", "2 дні", "2 days"),
        ("5", "5 дней", "5 днів", "5 days"),
        ("21", "21 день", "21 день", "21 days"),
        ("30", "30 дней", "30 днів", "30 days"),
    ],
)
async def test_privacy_explains_what_is_kept_and_for_how_long_in_each_language(
    api, tmp_path, days, ru_days, uk_days, en_days
):
    async with running_bot(api, tmp_path, BOT_RETENTION_DAYS=days) as app:
        for user_id, code in ((1, "ru"), (2, "uk"), (3, "en"), (4, "kk")):
            await send(app, api, Chat(user_id=user_id, language_code=code).message("/privacy"))
    ru, uk, en, kk = said(api)
    assert ru.startswith("Что бот хранит о вас") and f"Ваши вопросы боту — {ru_days}: текст" in ru and "/forgetme" in ru
    assert uk.startswith("Що бот зберігає про вас") and f"Ваші запитання боту — {uk_days}: текст" in uk
    assert en.startswith("What the bot keeps about you") and f"Your questions to the bot, for {en_days}: the text" in en
    assert "cannot be turned back" in en
    assert kk.startswith("Бот сіз туралы не сақтайды") and f"Ботқа қойған сұрақтарыңыз — {days} күн: мәтіні" in kk


async def test_forgetme_deletes_the_users_questions_and_language_but_not_moderation_records(api, tmp_path):
    anna, other = Chat(user_id=4242, language_code="ru"), Chat(user_id=77)
    async with running_bot(api, tmp_path) as app:
        svc = app.bot_data
        await send(app, api, anna.message("/lang en"))
        await send(app, api, anna.message("где получить иин"))
        await send(app, api, anna.message("how to open a bank account"))
        await send(app, api, other.message("где получить иин"))
        await svc.storage.mod_add_warning(
            GROUP, 4242, actor_id=1, rule=None, reason="spam", when=svc.now(), expires_at=None
        )
        await send(app, api, anna.message("/forgetme"))
        await svc.query_log.flush()
        rows = await svc.storage.queries()
        warnings = await svc.storage.mod_warnings(GROUP, 4242, svc.now())
        await send(app, api, anna.message("/start"))
        await send(app, api, Chat(user_id=5555, language_code="en").message("/forgetme"))
    forgot, start, nothing = said(api)[-3:]
    assert forgot.startswith("Done: your questions (2) and your language choice are deleted.")
    assert "Moderation records in group chats" in forgot
    assert [r["user_key"] for r in rows] == [svc.user_keys.key(77)]  # only the other user's question is left
    assert len(warnings) == 1  # moderation keeps what the chat's rules need
    assert start.startswith("Здравствуйте!")  # the English preference is gone: back to Telegram's language
    assert nothing.startswith("There was nothing of yours to delete")


async def test_the_daily_job_deletes_questions_older_than_the_retention_period(api, tmp_path):
    async with running_bot(api, tmp_path, BOT_RETENTION_DAYS="30") as app:
        svc = app.bot_data
        clock = [NOW]
        svc.now = lambda: clock[0]
        await seed(svc.storage, NOW)
        job = next(j for j in app.job_queue.jobs() if j.name == "privacy-purge")
        everything = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        await job.run(app)
        after_first = await svc.storage.queries_since(everything)
        clock[0] = NOW + dt.timedelta(days=12)
        await job.run(app)
        after_second = await svc.storage.queries_since(everything)
    assert "очень старый вопрос" not in {r["question"] for r in after_first}
    assert (
        len(after_first) == 17 and min(r["created_at"] for r in after_first) > (NOW - dt.timedelta(days=30)).isoformat()
    )
    assert "ЖСН қалай алуға болады" not in {r["question"] for r in after_second}  # 20 days + 12 > 30
    assert len(after_second) == 16


async def test_forgetme_leaves_no_copy_of_the_question_anywhere_on_disk(api, tmp_path):
    """Deleted rows are overwritten: not in the database file and not in its write-ahead log either."""
    marker = "где получить иин для собаки Жучки 7f3a9"
    data = tmp_path / "data"
    anna = Chat(user_id=4242)
    async with running_bot(api, tmp_path) as app:
        svc = app.bot_data
        await send(app, api, anna.message(marker))
        for i in range(5):
            await send(app, api, Chat(user_id=77).message(f"как открыть счет {i}"))
        await svc.query_log.flush()
        await send(app, api, anna.message("/forgetme"))
        on_disk = b"".join(p.read_bytes() for p in data.iterdir() if p.name.startswith("bot.sqlite3"))
        assert "(1)" in said(api)[-1]  # /forgetme has answered: one question deleted
    assert "как открыть счет 4".encode() in on_disk  # the scan does see what is kept
    assert "Жучки".encode() not in on_disk
