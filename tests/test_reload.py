"""Reloading the knowledge while the bot runs: /reload and the file watcher. A good edit is live within
seconds; a broken one is reported to the moderator as file:line and users keep the last good version."""

import asyncio
import time

import pytest

from bot.core.knowledge import load_knowledge
from bot.handlers import admin
from tests.support.app import Chat, running_bot, send
from tests.support.knowledge_files import alias_bomb, edit, line_of
from tests.support.moderation import MEMBER, Group, setup_group
from tests.support.reload import MODERATOR, reload, replies_to, wait_until

pytestmark = pytest.mark.slow  # each reload loads the knowledge and trains the classifier again

OLD_HEADLINE = "В ЦОНе (центре обслуживания населения) по месту вашего пребывания, лично"
NEW_HEADLINE = "В ЦОНе (центре обслуживания населения) там, где вы живёте, лично"


async def ask_iin(app, api) -> str:
    await send(app, api, Chat(user_id=4242).message("где получить иин"))
    return replies_to(api, 4242)[-1]


async def test_reload_makes_a_good_edit_live_and_says_what_changed(api, tmp_path, knowledge_copy):
    async with running_bot(
        api, tmp_path, BOT_KNOWLEDGE_DIR=str(knowledge_copy), BOT_MODERATOR_IDS=str(MODERATOR)
    ) as app:
        assert OLD_HEADLINE in await ask_iin(app, api)
        edit(knowledge_copy / "faq/iin/iin-where.yaml", OLD_HEADLINE, NEW_HEADLINE)
        report = await reload(app, api)
        assert NEW_HEADLINE in await ask_iin(app, api)
    assert report.splitlines()[:2] == [
        f"✅ Knowledge reloaded: {len(load_knowledge(knowledge_copy).entries)} entries.",
        "Changed: iin-where",
    ]


async def test_a_broken_edit_is_reported_with_file_and_line_and_users_keep_the_last_good_knowledge(
    api, tmp_path, knowledge_copy
):
    path = knowledge_copy / "faq/iin/iin-where.yaml"
    async with running_bot(
        api, tmp_path, BOT_KNOWLEDGE_DIR=str(knowledge_copy), BOT_MODERATOR_IDS=str(MODERATOR)
    ) as app:
        edit(path, OLD_HEADLINE, NEW_HEADLINE)
        edit(path, "family: iin", "family: iin: papers")
        failed = await reload(app, api)
        assert OLD_HEADLINE in await ask_iin(app, api)  # nothing changed for users
        edit(path, "family: iin: papers", "family: iin")
        fixed = await reload(app, api)
        assert NEW_HEADLINE in await ask_iin(app, api)
    assert failed.splitlines()[0].startswith("❌ Not reloaded: users still get the previous version.")
    assert failed.splitlines()[1].startswith(
        f"knowledge/faq/iin/iin-where.yaml:{line_of(path, 'family:')}: YAML syntax error"
    )
    assert fixed.startswith("✅ Knowledge reloaded")


async def test_reload_applies_the_blocked_words_and_refuses_a_broken_list(api, tmp_path, knowledge_copy):
    words = knowledge_copy / "blocked_words.yaml"
    setup_group(api)
    group = Group()
    async with running_bot(
        api, tmp_path, BOT_KNOWLEDGE_DIR=str(knowledge_copy), BOT_MODERATOR_IDS=str(MODERATOR)
    ) as app:
        first = group.raw(MEMBER, "тут один спамслово пишет")
        await send(app, api, {"message": first})
        edit(words, "ru:\n", "ru:\n  - спамслово\n")
        await reload(app, api, "ru")
        second = group.raw(MEMBER, "опять спамслово")
        await send(app, api, {"message": second})
        edit(words, "ru:\n", "ru:\n  - ново*слово\n")
        refused = await reload(app, api)
        third = group.raw(MEMBER, "и снова спамслово")
        await send(app, api, {"message": third})
    deleted = [int(c["message_id"]) for c in api.calls_to("deleteMessage")]
    assert deleted == [second["message_id"], third["message_id"]]  # the last good list stays in force
    assert (
        f"knowledge/blocked_words.yaml:{line_of(words, 'ново*слово')}: ru: 'ново*слово': '*' is allowed once" in refused
    )


async def test_the_watcher_reloads_an_edit_within_seconds_and_reports_a_broken_one(
    api, tmp_path, knowledge_copy, monkeypatch
):
    monkeypatch.setattr(admin, "WATCH_INTERVAL", 0.2)
    path = knowledge_copy / "faq/iin/iin-where.yaml"
    async with running_bot(
        api, tmp_path, BOT_KNOWLEDGE_DIR=str(knowledge_copy), BOT_MODERATOR_IDS=str(MODERATOR), BOT_WATCH_KNOWLEDGE="1"
    ) as app:
        await app.start()  # the job queue runs, as under run_polling
        try:
            edit(path, OLD_HEADLINE, NEW_HEADLINE)
            started = time.monotonic()

            async def live() -> bool:
                return NEW_HEADLINE in await ask_iin(app, api)

            await wait_until(live)
            took = time.monotonic() - started
            await wait_until(lambda: _said_to_moderator(api, "✅"))
            edit(path, "family: iin", "family: iin: papers")
            await wait_until(lambda: _said_to_moderator(api, "❌"))
            assert NEW_HEADLINE in await ask_iin(app, api)  # the broken file changed nothing for users
        finally:
            await app.stop()
    assert took < 5
    ok, broken = replies_to(api, MODERATOR)
    assert (
        ok.startswith("📝 Файлы базы знаний изменились.\n✅ База знаний перезагружена") and "Изменены: iin-where" in ok
    )
    assert f"knowledge/faq/iin/iin-where.yaml:{line_of(path, 'family:')}: YAML syntax error" in broken


async def _said_to_moderator(api, mark: str) -> bool:
    return any(mark in text for text in replies_to(api, MODERATOR))


async def test_a_flood_of_problems_still_reaches_the_moderator_in_one_message(api, tmp_path, knowledge_copy):
    async with running_bot(
        api, tmp_path, BOT_KNOWLEDGE_DIR=str(knowledge_copy), BOT_MODERATOR_IDS=str(MODERATOR)
    ) as app:
        for path in (knowledge_copy / "faq").rglob("*.yaml"):
            edit(path, "reviewed:", "".join(f"unexpected_field_number_{i}: 1\n" for i in range(10)) + "reviewed:")
        await reload(app, api)
    (report,) = replies_to(api, MODERATOR)  # the fake API refuses anything over Telegram's 4,096 characters
    shown = [line for line in report.splitlines() if ": entry: unknown field" in line]
    total = 10 * len(list((knowledge_copy / "faq").rglob("*.yaml")))
    assert 10 <= len(shown) < total
    assert report.splitlines()[-1] == f"…and {total - len(shown)} more."


async def test_a_failed_reload_is_reported_once_and_not_retried_until_the_files_change(
    api, tmp_path, knowledge_copy, monkeypatch
):
    """Whatever makes the build fail (a refused file, or the build itself raising, as memory running out
    does), the watcher tells the moderators once, off the event loop, and tries again only after the next edit."""
    import threading

    from bot import reload as reload_module

    monkeypatch.setattr(admin, "WATCH_INTERVAL", 0.2)
    builds, on_loop, real_build = [], [], reload_module._build

    def build(directory, today):
        builds.append(threading.current_thread() is threading.main_thread())
        if (directory / "faq/iin/iin-where.yaml").read_text(encoding="utf-8").endswith("# boom\n"):
            raise MemoryError()
        return real_build(directory, today)

    monkeypatch.setattr(reload_module, "_build", build)
    path = knowledge_copy / "faq/iin/iin-where.yaml"
    original = path.read_text(encoding="utf-8")
    async with running_bot(
        api, tmp_path, BOT_KNOWLEDGE_DIR=str(knowledge_copy), BOT_MODERATOR_IDS=str(MODERATOR), BOT_WATCH_KNOWLEDGE="1"
    ) as app:
        await app.start()
        try:
            for breakage in (alias_bomb, lambda p: p.write_text(original + "# boom\n", encoding="utf-8")):
                breakage(path)
                await wait_until(lambda: _said_to_moderator(api, "❌"))
                await asyncio.sleep(1.5)  # seven more looks at the unchanged files
                assert len(replies_to(api, MODERATOR)) == 1 and len(builds) == 1
                assert OLD_HEADLINE in await ask_iin(app, api)  # users keep the last good knowledge
                path.write_text(original, encoding="utf-8")
                await wait_until(lambda: _said_to_moderator(api, "✅"))
                assert len(builds) == 2
                api.calls.clear()
                on_loop.extend(builds)
                builds.clear()
        finally:
            await app.stop()
    assert on_loop and not any(on_loop)  # never on the event loop's thread


async def test_a_build_that_raises_is_reported_to_the_moderator_on_reload(api, tmp_path, knowledge_copy, monkeypatch):
    from bot import reload as reload_module

    def build(directory, today):
        raise MemoryError()

    monkeypatch.setattr(reload_module, "_build", build)
    async with running_bot(
        api, tmp_path, BOT_KNOWLEDGE_DIR=str(knowledge_copy), BOT_MODERATOR_IDS=str(MODERATOR)
    ) as app:
        report = await reload(app, api)
        assert OLD_HEADLINE in await ask_iin(app, api)
    assert report.splitlines()[0].startswith("❌ Not reloaded: users still get the previous version.")
    assert "MemoryError" in report
