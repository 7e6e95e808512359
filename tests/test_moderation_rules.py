"""The automatic rules end to end: newcomers' links, blocked words, flood, night mode, with an injected clock."""

import datetime as dt

from bot.core.moderation.night import ALMATY
from tests.support.app import running_bot, send
from tests.support.moderation import ADMIN, GROUP, MEMBER, Group, setup_group, texts

NEWCOMER = 5005
PHOTO = {"photo": [{"file_id": "AgAD", "file_unique_id": "uniq", "width": 90, "height": 90}]}


def at_almaty(hour: int, minute: int = 0, day: int = 10) -> dt.datetime:
    return dt.datetime(2025, 6, day, hour, minute, tzinfo=ALMATY).astimezone(dt.UTC)


def clock_at(app, moment: dt.datetime) -> list:
    clock = [moment]
    app.bot_data.moderation.clock = lambda: clock[0]
    return clock


async def audit(app, chat_id=GROUP):
    return list(reversed(await app.bot_data.storage.mod_audit(chat_id, 100)))


def newcomer_group(api, **kwargs):
    group_state = setup_group(api, **kwargs)
    group_state["members"][NEWCOMER] = {"status": "member"}
    g = Group()
    g.person(NEWCOMER, "Fresh Account")
    return g


async def test_a_newcomers_hidden_telegram_link_is_deleted_and_warned(api, tmp_path):
    g = newcomer_group(api)
    async with running_bot(api, tmp_path) as app:
        clock_at(app, at_almaty(14))
        await send(app, api, g.join(NEWCOMER))
        text = "🔥 Работа в Алматы, подробности тут"
        bait = g.raw(
            NEWCOMER,
            text,
            entities=[{"type": "text_link", "offset": 32, "length": 3, "url": "https://t.me/+deadgroup"}],
        )
        await send(app, api, {"message": bait})
        rows = await audit(app)
        warnings = await app.bot_data.storage.mod_warnings(GROUP, NEWCOMER, at_almaty(14))
    assert [int(p["message_id"]) for p in api.calls_to("deleteMessage")] == [bait["message_id"]]
    notice = texts(api, GROUP)[-1]
    assert "Fresh Account" in notice and "в течение 24 часов после входа" in notice and "1/3" in notice
    assert len(warnings) == 1
    assert [(r["action"], r["rule"], r["target_id"], r["result"]) for r in rows] == [
        ("delete", "links", NEWCOMER, "ok"),
        ("warn", "links", NEWCOMER, "ok"),
    ]
    assert "t.me/+deadgroup" in rows[0]["detail"]


async def test_links_from_settled_approved_or_admin_members_stay(api, tmp_path):
    g = newcomer_group(api)
    async with running_bot(api, tmp_path) as app:
        clock = clock_at(app, at_almaty(14))
        await send(app, api, g.join(NEWCOMER))
        await send(
            app, api, g.message(MEMBER, "official info: https://egov.kz")
        )  # joined before the bot: not a newcomer
        await send(app, api, g.message(ADMIN, "our other chat t.me/almaty_relocation"))
        await send(app, api, g.message(ADMIN, f"/approve {NEWCOMER}"))
        await send(app, api, g.message(NEWCOMER, "my channel t.me/mychannel"))
        await send(app, api, g.message(ADMIN, f"/unapprove {NEWCOMER}"))
        clock[0] += dt.timedelta(hours=25)  # no longer new
        await send(app, api, g.message(NEWCOMER, "see https://example.com"))
    assert not api.calls_to("deleteMessage")


async def test_links_can_be_limited_to_approved_members_and_explained_only_in_the_log(api, tmp_path):
    g = newcomer_group(api)
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(ADMIN, "/settings scope all"))
        await send(app, api, g.message(ADMIN, "/settings notices log"))
        await send(app, api, g.message(ADMIN, "/settings links delete"))
        said_before = len(texts(api, GROUP))
        spam = g.raw(MEMBER, "cheap flats www.flats-almaty.xyz")
        await send(app, api, {"message": spam})
        rows = await audit(app)
        warnings = await app.bot_data.storage.mod_warnings(GROUP, MEMBER, dt.datetime.now(dt.UTC))
    assert [int(p["message_id"]) for p in api.calls_to("deleteMessage")] == [spam["message_id"]]
    assert len(texts(api, GROUP)) == said_before  # nothing said in the chat…
    assert rows[-1]["action"] == "delete" and rows[-1]["rule"] == "links"  # …but the log has it
    assert warnings == []  # "delete" only deletes


async def test_an_edited_message_that_adds_a_link_is_caught(api, tmp_path):
    g = newcomer_group(api)
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.join(NEWCOMER))
        original = g.raw(NEWCOMER, "hello everyone")
        await send(app, api, {"message": original})
        await send(
            app,
            api,
            {
                "edited_message": {
                    **original,
                    "text": "hello everyone t.me/joinchat/xyz",
                    "edit_date": original["date"] + 5,
                }
            },
        )
    assert [int(p["message_id"]) for p in api.calls_to("deleteMessage")] == [original["message_id"]]


async def test_blocked_words_in_disguise_are_deleted_and_warned(api, tmp_path):
    g = newcomer_group(api)
    async with running_bot(api, tmp_path) as app:
        hate = g.raw(MEMBER, "все вы тут ХоXлЫ")  # Latin X among Cyrillic letters
        await send(app, api, {"message": hate})
        await send(app, api, g.message(MEMBER, "хохлома — красивая роспись"))
        await send(app, api, g.message(ADMIN, "/settings words mute"))
        await send(app, api, g.message(MEMBER, "понаехи, валите в свою Россию!"))
        rows = await audit(app)
    deleted = [int(p["message_id"]) for p in api.calls_to("deleteMessage")]
    assert deleted[0] == hate["message_id"] and len(deleted) == 2
    said = texts(api, GROUP)
    assert "запрещённые слова" in said[0] and "1/3" in said[0]
    restrict = api.calls_to("restrictChatMember")
    assert len(restrict) == 1 and int(restrict[0]["user_id"]) == MEMBER and restrict[0]["until_date"]
    assert "без права писать: 1 ч" in said[-1]
    assert [r["action"] for r in rows if r["rule"] == "words"] == ["delete", "warn", "delete", "mute"]


async def test_flood_is_muted_for_a_while(api, tmp_path):
    g = newcomer_group(api)
    async with running_bot(api, tmp_path) as app:
        clock = clock_at(app, at_almaty(15))
        for n in range(5):
            await send(app, api, g.message(MEMBER, f"message {n}"))
            clock[0] += dt.timedelta(milliseconds=500)
        assert not api.calls_to("restrictChatMember")
        sixth = g.raw(MEMBER, "and another one")
        await send(app, api, {"message": sixth})
        clock[0] += dt.timedelta(seconds=30)
        await send(app, api, g.message(ADMIN, "admins may write fast"))
        for n in range(6):
            await send(app, api, g.message(ADMIN, f"admin {n}"))
        rows = await audit(app)
    restrict = api.calls_to("restrictChatMember")
    assert len(restrict) == 1 and int(restrict[0]["user_id"]) == MEMBER
    assert int(restrict[0]["until_date"]) == int((at_almaty(15) + dt.timedelta(seconds=2.5, hours=1)).timestamp())
    assert api.status(GROUP, MEMBER) == "restricted"
    assert "пишет слишком часто" in texts(api, GROUP)[-1]
    assert int(api.calls_to("deleteMessage")[0]["message_id"]) == sixth["message_id"]
    assert [(r["action"], r["rule"]) for r in rows] == [("delete", "flood"), ("mute", "flood")]


async def test_night_mode_deletes_newcomers_media_and_links_at_night_only(api, tmp_path):
    g = newcomer_group(api)
    async with running_bot(api, tmp_path) as app:
        clock = clock_at(app, at_almaty(0, 40))
        await send(app, api, g.join(NEWCOMER))
        await send(app, api, g.message(ADMIN, "/settings links off"))
        photo = g.raw(NEWCOMER, None, caption="look", **PHOTO)
        await send(app, api, {"message": photo})
        forward = g.raw(
            NEWCOMER, "forwarded", forward_origin={"type": "hidden_user", "date": 1, "sender_user_name": "X"}
        )
        await send(app, api, {"message": forward})
        await send(app, api, g.message(NEWCOMER, "доброй ночи всем"))  # plain text stays
        await send(app, api, g.message(MEMBER, None, **PHOTO))  # settled members are not affected
        clock[0] = at_almaty(8)
        await send(app, api, g.message(NEWCOMER, None, **PHOTO))
    deleted = [int(p["message_id"]) for p in api.calls_to("deleteMessage")]
    assert deleted == [photo["message_id"], forward["message_id"]]
    assert "Ночной режим до 07:00" in texts(api, GROUP)[-1]


async def test_night_lock_tightens_permissions_and_the_morning_restores_them(api, tmp_path):
    g = newcomer_group(api)
    day_permissions = dict(api.groups[GROUP]["permissions"])
    async with running_bot(api, tmp_path) as app:
        clock = clock_at(app, at_almaty(22))
        await send(app, api, g.message(ADMIN, "/settings night lock"))
        night_job = app.job_queue.get_jobs_by_name("moderation-night")[0]
        await night_job.run(app)
        assert not api.calls_to("setChatPermissions")  # evening: nothing yet
        clock[0] = at_almaty(0, 1, day=11)
        await night_job.run(app)
        night = api.groups[GROUP]["permissions"]
        await night_job.run(app)  # a second tick changes nothing
        clock[0] = at_almaty(7, 1, day=11)
        await night_job.run(app)
        rows = await audit(app)
    calls = api.calls_to("setChatPermissions")
    assert len(calls) == 2
    assert night["can_send_messages"] and not night["can_send_photos"] and not night["can_add_web_page_previews"]
    assert api.groups[GROUP]["permissions"] == day_permissions
    said = texts(api, GROUP)
    assert "Ночной режим до 07:00" in said[-2] and "Доброе утро" in said[-1]
    assert [(r["action"], r["result"]) for r in rows if r["rule"] == "night"] == [
        ("night_on", "ok"),
        ("night_off", "ok"),
    ]


async def test_night_lock_refused_by_telegram_is_audited_and_retried_later(api, tmp_path):
    g = newcomer_group(api)
    async with running_bot(api, tmp_path) as app:
        clock = clock_at(app, at_almaty(1))
        await send(app, api, g.message(ADMIN, "/settings night lock"))
        night_job = app.job_queue.get_jobs_by_name("moderation-night")[0]
        api.fail_next("setChatPermissions", 400, "Bad Request: not enough rights to change chat permissions")
        await night_job.run(app)
        await night_job.run(app)  # not hammering Telegram every minute
        clock[0] += dt.timedelta(minutes=31)
        await night_job.run(app)
        rows = await audit(app)
    assert len(api.calls_to("setChatPermissions")) == 2
    assert [(r["action"], r["result"]) for r in rows if r["rule"] == "night"] == [
        ("night_on", "failed"),
        ("night_on", "ok"),
    ]


async def test_without_the_right_to_delete_the_rules_stay_quiet(api, tmp_path):
    g = newcomer_group(api, bot_rights={"can_restrict_members"})
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.join(NEWCOMER))
        await send(app, api, g.message(NEWCOMER, "t.me/spam"))
        rows = await audit(app)
    assert not api.calls_to("deleteMessage") and not texts(api, GROUP) and rows == []


async def test_a_raid_is_cleaned_up_without_flooding_the_chat_with_notices(api, tmp_path):
    g = newcomer_group(api)
    raiders = range(7000, 7012)
    async with running_bot(api, tmp_path) as app:
        for raider in raiders:
            api.groups[GROUP]["members"][raider] = {"status": "member"}
            await send(app, api, g.service_join(raider))
            await send(app, api, g.message(raider, f"join t.me/+raid{raider}"))
        rows = await audit(app)
    assert len(api.calls_to("deleteMessage")) == len(raiders)
    assert len(texts(api, GROUP)) == 6  # notices are capped; every deletion is still audited
    assert sum(1 for r in rows if r["action"] == "delete" and r["result"] == "ok") == len(raiders)
