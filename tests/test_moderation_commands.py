"""Admins' commands end to end: the real Application against the fake Bot API, in a supergroup."""

import asyncio
import datetime as dt
import sqlite3
import time

from bot.core.moderation.permissions import CHANNEL_BOT_ID
from tests.support.app import Chat, running_bot, send, started
from tests.support.fake_bot_api import BOT_ID, BOT_USERNAME
from tests.support.moderation import (
    ADMIN,
    ANONYMOUS_ADMIN,
    GROUP,
    MEMBER,
    OTHER_GROUP,
    OWNER,
    TELEGRAM,
    TROLL,
    Group,
    setup_group,
    texts,
)


async def audit(app, chat_id=GROUP):
    return list(reversed(await app.bot_data.storage.mod_audit(chat_id, 100)))


def group_with_troll():
    group = Group()
    group.person(TROLL, "Troll <b>", "night_troll")
    group.person(ADMIN, "Aigerim")
    return group


async def test_an_admin_bans_by_reply_and_the_ban_is_audited(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        insult = g.raw(TROLL, "понаехали тут")
        await send(app, api, {"message": insult})
        await send(app, api, g.message(ADMIN, "/ban insulting newcomers", reply_to=insult))
        rows = await audit(app)
    ban = api.calls_to("banChatMember")
    assert len(ban) == 1 and int(ban[0]["user_id"]) == TROLL and "until_date" not in ban[0]
    assert api.status(GROUP, TROLL) == "kicked"
    reply = texts(api, GROUP)[-1]
    assert (
        "Troll <b>" in reply and "заблокирован" in reply and "insulting newcomers" in reply
    )  # name escaped, shown as typed
    assert "&lt;b&gt;" in api.calls_to("sendMessage")[-1]["text"]
    bans = [r for r in rows if r["action"] == "ban"]
    assert len(bans) == 1
    assert (bans[0]["actor_id"], bans[0]["target_id"], bans[0]["reason"], bans[0]["result"]) == (
        ADMIN,
        TROLL,
        "insulting newcomers",
        "ok",
    )


async def test_a_member_cannot_ban_and_nothing_happens(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        message = g.raw(TROLL, "hello")
        await send(app, api, {"message": message})
        await send(app, api, g.message(MEMBER, "/ban", reply_to=message))
        await send(app, api, g.message(MEMBER, "/mute @night_troll 1h"))
        rows = await audit(app)
    assert not api.calls_to("banChatMember") and not api.calls_to("restrictChatMember")
    assert texts(api, GROUP) == ["⛔ Эта команда только для администраторов чата."] * 2
    assert rows == []


async def test_an_admin_without_the_right_is_told_which_right(api, tmp_path):
    setup_group(api, admins={ADMIN: {"can_delete_messages"}})
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(ADMIN, f"/ban {TROLL}"))
    assert not api.calls_to("banChatMember")
    assert texts(api, GROUP) == ["⛔ Для этого нужно право администратора «Блокировка участников»."]


async def test_the_bot_never_acts_against_admins_the_owner_itself_or_telegram(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(ADMIN, f"/ban {OWNER}"))
        await send(app, api, g.message(OWNER, f"/mute {ADMIN} 1h"))
        bot_message = {
            "message_id": 5000,
            "date": int(time.time()),
            "chat": g.chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
            "text": "notice",
        }
        await send(app, api, g.message(ADMIN, "/kick", reply_to=bot_message))
        forward = g.raw(
            TELEGRAM,
            "channel post",
            is_automatic_forward=True,
            sender_chat={"id": -100777, "type": "channel", "title": "News"},
        )
        await send(app, api, g.message(ADMIN, "/warn", reply_to=forward))
    assert not api.calls_to("banChatMember") and not api.calls_to("restrictChatMember")
    said = texts(api, GROUP)
    assert "владелец чата" in said[0] and "администратор чата" in said[1]
    assert said[2] == "Против себя я действовать не буду."
    assert "служебный аккаунт Telegram" in said[3]


async def test_mute_by_username_with_a_duration(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(TROLL, "first message"))  # the bot now knows @night_troll
        before = time.time()
        await send(app, api, g.message(ADMIN, "/mute @Night_Troll 2h flood at night"))
        rows = await audit(app)
    restrict = api.calls_to("restrictChatMember")
    assert len(restrict) == 1 and int(restrict[0]["user_id"]) == TROLL
    assert not any(restrict[0]["permissions"].values())
    assert abs(int(restrict[0]["until_date"]) - (before + 7200)) < 60
    said = texts(api, GROUP)[-1]
    assert "не может писать" in said and "Срок: 2 часа" in said and "flood at night" in said
    assert rows[-1]["action"] == "mute" and rows[-1]["duration"] == 7200


async def test_bad_input_gets_a_clear_reply_and_no_action(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(ADMIN, "/ban"))
        await send(app, api, g.message(ADMIN, "/ban spammer"))
        await send(app, api, g.message(ADMIN, "/ban @nobody_seen"))
        await send(app, api, g.message(ADMIN, f"/mute {TROLL} 10x"))
        await send(app, api, g.message(ADMIN, f"/mute {TROLL} 10s"))
        api.set_member(GROUP, 4444, "left")
        await send(app, api, g.message(ADMIN, "/kick 4444"))
        await send(app, api, g.message(ADMIN, "/del"))
        await send(app, api, g.message(ADMIN, "/settings colour red"))
        rows = await audit(app)
    assert (
        not api.calls_to("banChatMember")
        and not api.calls_to("restrictChatMember")
        and not api.calls_to("deleteMessage")
    )
    said = texts(api, GROUP)
    assert said[0].startswith("Кого?") and said[1].startswith("Кого?")
    assert "@nobody_seen" in said[2] and "не видел" in said[2]
    assert "«10x»" in said[3] and "«10s»" in said[4]
    assert "нет в чате" in said[5]
    assert said[6] == "Ответьте этой командой на сообщение."
    assert "Нет настройки «colour»" in said[7]
    assert rows == []


async def test_telegram_refusals_are_explained_and_audited_as_failed(api, tmp_path, monkeypatch):
    monkeypatch.setenv(
        "PTB_TIMEDELTA", "1"
    )  # PTB 22 warns about RetryAfter's int seconds otherwise; both forms are read
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        api.fail_next("banChatMember", 400, "Bad Request: user is an administrator of the chat")
        await send(app, api, g.message(ADMIN, f"/ban {TROLL} spam"))
        api.fail_next("restrictChatMember", 429, "Too Many Requests: retry after 17", retry_after=17)
        await send(app, api, g.message(ADMIN, f"/mute {TROLL} 1h"))
        api.fail_next("banChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict chat member")
        await send(app, api, g.message(ADMIN, f"/kick {TROLL}"))
        rows = await audit(app)
    said = texts(api, GROUP)
    assert "Telegram не разрешает" in said[0]
    assert "17 с" in said[1]
    assert "не хватает прав администратора" in said[2]
    assert api.status(GROUP, TROLL) == "member"  # nothing really happened…
    assert [(r["action"], r["result"]) for r in rows] == [("ban", "failed"), ("mute", "failed"), ("kick", "failed")]
    assert "administrator" in rows[0]["detail"]  # …and the audit says so


async def test_del_removes_the_replied_message_but_not_one_older_than_48_hours(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        fresh = g.raw(TROLL, "spam")
        old = g.raw(TROLL, "old spam", date=int(time.time()) - 3 * 86400)
        command = g.raw(ADMIN, "/del spam", reply_to=fresh)
        await send(app, api, {"message": command})
        await send(app, api, g.message(ADMIN, "/del", reply_to=old))
        undeletable = g.raw(TROLL, "pinned spam")
        api.groups[GROUP]["undeletable"].add(undeletable["message_id"])
        await send(app, api, g.message(ADMIN, "/del", reply_to=undeletable))
        rows = await audit(app)
    deleted = [int(p["message_id"]) for p in api.calls_to("deleteMessage")]
    assert deleted[:2] == [fresh["message_id"], command["message_id"]]  # the message, then the command itself
    assert old["message_id"] not in deleted
    said = texts(api, GROUP)
    assert "удалено" in said[0] and "больше 48 часов" in said[1] and "больше 48 часов" in said[2]
    assert [(r["action"], r["result"]) for r in rows] == [("delete", "ok"), ("delete", "failed"), ("delete", "failed")]


async def test_purge_deletes_from_the_replied_message_to_the_command(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        first = g.raw(TROLL, "spam 1")
        for n in range(3):
            await send(app, api, g.message(TROLL, f"spam {n}"))
        command = g.raw(ADMIN, "/purge", reply_to=first)
        await send(app, api, {"message": command})
        old = g.raw(TROLL, "ancient", date=int(time.time()) - 50 * 3600)
        await send(app, api, g.message(ADMIN, "/purge", reply_to=old))
        rows = await audit(app)
    batch = api.calls_to("deleteMessages")
    assert len(batch) == 1 and batch[0]["message_ids"] == list(range(first["message_id"], command["message_id"] + 1))
    said = texts(api, GROUP)
    assert said[0] == f"🧹 Удалено сообщений: {command['message_id'] - first['message_id'] + 1}."
    assert "старше 48 часов" in said[1]
    assert rows[-1]["action"] == "purge" and rows[-1]["result"] == "ok"


async def test_a_member_warned_to_the_limit_is_banned(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        for n in range(3):
            message = g.raw(TROLL, f"insult {n}")
            await send(app, api, g.message(ADMIN, f"/warn insult {n}", reply_to=message))
        rows = await audit(app)
        left = await app.bot_data.storage.mod_warnings(GROUP, TROLL, dt.datetime.now(dt.UTC))
    said = texts(api, GROUP)
    assert "1/3" in said[0] and "2/3" in said[1]
    assert "3/3" in said[2] and "Лимит исчерпан" in said[2] and "заблокирован" in said[2]
    assert len(api.calls_to("banChatMember")) == 1 and api.status(GROUP, TROLL) == "kicked"
    assert [r["action"] for r in rows] == ["warn", "warn", "warn", "ban"] and rows[-1]["rule"] == "warn_limit"
    assert left == []  # the slate is clean after the ban


async def test_warnings_expire_and_can_be_removed(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        clock = [dt.datetime.now(dt.UTC)]
        app.bot_data.moderation.clock = lambda: clock[0]
        await send(app, api, g.message(ADMIN, "/settings warn_expiry 1d"))
        await send(app, api, g.message(ADMIN, f"/warn {TROLL} rude"))
        await send(app, api, g.message(ADMIN, f"/warn {TROLL} rude again"))
        await send(app, api, g.message(TROLL, "/warns"))  # a member may see their own
        await send(app, api, g.message(ADMIN, f"/unwarn {TROLL}"))
        clock[0] += dt.timedelta(days=2)
        await send(app, api, g.message(ADMIN, f"/warn {TROLL} later"))
        await send(app, api, g.message(MEMBER, f"/warns {TROLL}"))  # but not someone else's
    said = texts(api, GROUP)
    assert "2/3" in said[2] and "rude again" in said[3]
    assert "Осталось: 1/3" in said[4]
    assert "1/3" in said[5]  # the old warning expired
    assert said[6] == "⛔ Эта команда только для администраторов чата."
    assert not api.calls_to("banChatMember")


async def test_report_calls_the_admins_with_a_cooldown(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        scam = g.raw(TROLL, "free money")
        await send(app, api, {"message": scam})
        await send(app, api, g.message(MEMBER, "/report scam", reply_to=scam))
        await send(app, api, g.message(MEMBER, "/report", reply_to=scam))
        await send(app, api, g.message(MEMBER, "/report", reply_to=g.raw(ADMIN, "rules")))
        rows = await audit(app)
    reports = api.calls_to("sendMessage")
    assert f"tg://user?id={ADMIN}" in reports[0]["text"] and f"tg://user?id={OWNER}" in reports[0]["text"]
    assert reports[0]["reply_parameters"]["message_id"] == scam["message_id"]
    said = texts(api, GROUP)
    assert "сообщает администраторам" in said[0] and "scam" in said[0]
    assert "не чаще раза в 5 минут." in said[1]
    assert "администраторов" in said[2]
    assert [(r["action"], r["actor_id"], r["target_id"]) for r in rows] == [("report", MEMBER, TROLL)]


async def test_an_anonymous_admin_confirms_with_a_button(api, tmp_path):
    setup_group(api, anonymous={ADMIN})
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        insult = g.raw(TROLL, "insult")
        await send(app, api, g.message(ANONYMOUS_ADMIN, "/ban hate", reply_to=insult))
        button = api.calls_to("sendMessage")[-1]["reply_markup"]["inline_keyboard"][0][0]
        press = {
            "callback_query": {
                "id": "1",
                "chat_instance": "ci",
                "data": button["callback_data"],
                "message": {
                    "message_id": 1000,
                    "date": int(time.time()),
                    "chat": g.chat,
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
                    "text": "?",
                },
            }
        }
        await send(app, api, {"callback_query": {**press["callback_query"], "from": g.person(MEMBER)}})
        assert not api.calls_to("banChatMember")
        await send(
            app, api, {"callback_query": {**press["callback_query"], "id": "2", "from": g.person(ADMIN, "Aigerim")}}
        )
        rows = await audit(app)
    answers = api.calls_to("answerCallbackQuery")
    assert answers[0].get("show_alert") and "только для администраторов" in answers[0]["text"]
    assert len(api.calls_to("banChatMember")) == 1
    assert rows[-1]["action"] == "ban" and rows[-1]["actor_id"] == ADMIN and rows[-1]["reason"] == "hate"


async def test_settings_need_the_change_info_right_and_switch_the_language(api, tmp_path):
    setup_group(api, admins={ADMIN: None, 1002: {"can_restrict_members", "can_delete_messages"}})
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(1002, "/settings"))  # any admin may look
        await send(app, api, g.message(1002, "/settings warn_limit 5"))  # but not change
        await send(app, api, g.message(ADMIN, "/settings warn_limit many"))
        await send(app, api, g.message(ADMIN, "/settings lang en"))
        await send(app, api, g.message(ADMIN, f"/ban {TROLL}"))
        rows = await audit(app)
    said = texts(api, GROUP)
    assert "Настройки модерации" in said[0] and "warn_limit" in said[0]
    assert "Изменение профиля группы" in said[1]
    assert "Неверное значение для warn_limit" in said[2] and "1…20" in said[2]
    assert said[3] == "✅ Saved: lang = en."
    assert said[4].startswith("🚫") and "is banned" in said[4]
    assert next((r["action"], r["detail"]) for r in rows) == ("settings", "lang=en")


async def test_actions_are_posted_to_the_log_channel_with_hashtags(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    log_channel = -1009999999999
    api.add_channel(log_channel, admins={ADMIN: {"can_post_messages"}})
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(ADMIN, f"/settings log {log_channel}"))
        await send(app, api, g.message(ADMIN, f"/warn {TROLL} spam links"))
        await send(app, api, g.message(ADMIN, f"/mute {TROLL} 30m"))
    posted = texts(api, log_channel)
    assert "журнал модерации" in posted[0]
    assert posted[1].startswith("#SETTINGS")
    assert posted[2].startswith("#WARN") and "spam links" in posted[2] and str(TROLL) in posted[2]
    assert posted[3].startswith("#MUTE") and "30 минут" in posted[3]


async def test_a_log_channel_the_bot_cannot_post_to_is_refused(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(ADMIN, "/settings"))  # the admin list is now cached
        api.fail_next("getChat", 400, "Bad Request: chat not found")
        await send(app, api, g.message(ADMIN, "/settings log @missing_channel"))
        assert (await app.bot_data.storage.mod_chat_settings(GROUP))[0] is None
    assert "Не могу писать в @missing_channel" in texts(api, GROUP)[-1]


async def test_the_log_goes_only_to_a_chat_the_admin_controls_and_a_refusal_says_why(api, tmp_path):
    """Issue 11, item 2: an admin of this chat cannot point its log (notices, reasons) at a chat they do not run."""
    setup_group(api)
    setup_group(api, OTHER_GROUP, owner=5555, admins={})  # a group the bot is in, where ADMIN is a member
    api.set_member(OTHER_GROUP, ADMIN, "member")
    api.add_channel(-1007000000001, username="not_mine", owner=5555)  # ADMIN is not there at all
    api.add_channel(-1007000000002, username="cannot_post", owner=5555, admins={ADMIN: {"can_manage_chat"}})
    api.add_channel(-1007000000003, username="mine", owner=ADMIN)
    api.add_channel(-1007000000004, owner=5555)  # this group's linked channel
    api.groups[GROUP]["linked_chat_id"] = -1007000000004
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        for target in (str(OTHER_GROUP), "@not_mine", "@cannot_post", "-1007000000001"):
            await send(app, api, g.message(ADMIN, f"/settings log {target}"))
        refused = texts(api, GROUP)
        await send(app, api, g.message(ADMIN, f"/warn {TROLL} https://scam.example"))
        stored = (await app.bot_data.storage.mod_chat_settings(GROUP))[0]
        assert stored is None or not stored.get("log_channel")
        await send(app, api, g.message(ADMIN, "/settings log @mine"))
        await send(app, api, g.message(ADMIN, "/settings log -1007000000004"))
        saved = texts(api, GROUP)[-2:]
    for said, target in zip(refused, (str(OTHER_GROUP), "@not_mine", "@cannot_post", "-1007000000001"), strict=False):
        assert said.startswith(f"Не могу вести журнал в {target}: вы не администратор"), said
    for chat_id in (OTHER_GROUP, -1007000000001, -1007000000002):
        assert texts(api, chat_id) == []  # nothing reached a chat the admin does not control
    assert "журнал модерации" in texts(api, -1007000000003)[0] and "журнал модерации" in texts(api, -1007000000004)[0]
    assert saved == ["✅ Сохранено: log = -1007000000003.", "✅ Сохранено: log = -1007000000004."]


async def test_confirmations_delete_themselves_when_the_chat_wants(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(ADMIN, "/settings autodelete 2m"))
        await send(app, api, g.message(ADMIN, f"/mute {TROLL} 1h"))
        jobs = [j for j in app.job_queue.jobs() if j.name.startswith("mod-autodelete")]
        assert len(jobs) == 2
        for job in jobs:
            await job.run(app)
    deleted = {int(p["message_id"]) for p in api.calls_to("deleteMessage")}
    assert len(deleted) == 2 and all(message_id >= 1000 for message_id in deleted)  # the bot's own messages


async def test_modlog_and_admincache(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(TROLL, "hi"))
        await send(app, api, g.message(ADMIN, "/ban @night_troll scam links"))
        await send(app, api, g.message(ADMIN, "/modlog"))
        await send(app, api, g.message(MEMBER, "/modlog"))
        await send(app, api, g.message(MEMBER, f"/ban {TROLL}"))
        api.set_member(GROUP, MEMBER, "administrator", rights={"can_restrict_members"})
        await send(app, api, g.message(ADMIN, "/admincache"))
        await send(app, api, g.message(MEMBER, "/unban @night_troll"))
    said = texts(api, GROUP)
    assert "#BAN @night_troll ← User1001 — scam links" in said[1]  # the admin's name as Telegram gives it
    assert said[2] == said[3] == "⛔ Эта команда только для администраторов чата."
    assert "обновлён: 4" in said[4]
    assert "разблокирован" in said[5] and api.status(GROUP, TROLL) == "left"


async def test_a_promotion_seen_in_a_chat_member_update_refreshes_the_admin_list(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(MEMBER, f"/kick {TROLL}"))
        api.set_member(GROUP, MEMBER, "administrator", rights={"can_restrict_members"})
        promoted = g.join(MEMBER, old="member", new="member")
        promoted["chat_member"]["new_chat_member"] = {
            "status": "administrator",
            "user": g.person(MEMBER),
            "can_be_edited": False,
            "is_anonymous": False,
            **{right: right == "can_restrict_members" for right in api.ADMIN_RIGHTS},
        }
        await send(app, api, promoted)
        await send(app, api, g.message(MEMBER, f"/kick {TROLL}"))
    assert "только для администраторов" in texts(api, GROUP)[0]
    assert len(api.calls_to("banChatMember")) == 1 and len(api.calls_to("unbanChatMember")) == 1


async def test_blocked_users_are_ignored_even_in_private(api, tmp_path):
    moderator = 9090
    async with running_bot(api, tmp_path, BOT_MODERATOR_IDS=str(moderator)) as app:
        troll = Chat(user_id=TROLL)
        await send(app, api, troll.message("привет"))
        answered = len(api.calls_to("sendMessage"))
        await send(app, api, Chat(user_id=MEMBER).message(f"/block {TROLL}"))  # not a moderator
        await send(app, api, Chat(user_id=moderator).message(f"/block {TROLL} spam in private"))
        await send(app, api, troll.message("где получить иин"))
        await send(app, api, troll.message("/start"))
        ignored = len(api.calls_to("sendMessage"))
        await send(app, api, Chat(user_id=moderator).message(f"/unblock {TROLL}"))
        await send(app, api, troll.message("/start"))
        rows = await app.bot_data.storage.mod_audit(None, 10)
    said = texts(api)
    assert answered == 1
    assert said[1] == "⛔ Эта команда только для модераторов бота."
    assert "чёрном списке" in said[2]
    assert ignored == 3  # nothing was answered to the blocked user
    assert "убран из чёрного списка" in said[3] and len(said) == 5  # answered again after /unblock
    assert [r["action"] for r in reversed(rows)] == ["block", "unblock"]


async def test_a_blocked_user_may_still_read_the_privacy_notice_and_delete_their_data(api, tmp_path):
    moderator = 9090
    async with running_bot(api, tmp_path, BOT_MODERATOR_IDS=str(moderator)) as app:
        troll = Chat(user_id=TROLL)
        await send(app, api, troll.message("где получить иин"))
        await send(app, api, Chat(user_id=moderator).message(f"/block {TROLL}"))
        before = len(api.calls_to("sendMessage"))
        for text in ("/start", "/privacy", "где открыть счёт", f"/forgetme@{BOT_USERNAME}", "/help"):
            await send(app, api, troll.message(text))
        svc = app.bot_data
        await svc.query_log.flush()
        left = [r for r in await svc.storage.queries() if r["user_key"] == svc.user_keys.key(TROLL)]
    replies = texts(api)[before:]
    assert len(replies) == 2  # /privacy and /forgetme only; everything else stays ignored
    assert "удал" in replies[1].lower() and left == []


async def test_a_blocked_users_command_for_another_bot_is_not_a_data_right(api, tmp_path):
    """Issue 11, item 4: only /privacy and /forgetme meant for this bot pass the block, as Telegram addresses them."""
    moderator = 9090
    async with running_bot(api, tmp_path, BOT_MODERATOR_IDS=str(moderator)) as app:
        troll = Chat(user_id=TROLL)
        await send(app, api, Chat(user_id=moderator).message(f"/block {TROLL}"))
        before = len(api.calls_to("sendMessage"))
        for text in (
            "/privacy@other_bot",
            "/forgetme@other_bot now",
            "/privacy@newcomer_test_bot_x",
            "/privacyx",
            "/PRIVACY@other_bot",
        ):
            await send(app, api, troll.message(text))
        ignored = len(api.calls_to("sendMessage"))
        await send(app, api, troll.message(f"/privacy@{BOT_USERNAME.upper()}"))
    assert ignored == before
    assert len(api.calls_to("sendMessage")) == before + 1


async def test_group_commands_in_private_say_where_they_work(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await send(app, api, Chat(user_id=MEMBER).message("/ban 123"))
    assert texts(api) == [
        "Эта команда работает в группах, где я администратор. Добавьте меня в чат и дайте права администратора."
    ]


async def test_a_blocked_user_is_ignored_in_groups_too_but_the_rules_still_apply(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    moderator = 9090
    api.groups[GROUP]["members"][moderator] = {"status": "member"}
    async with running_bot(api, tmp_path, BOT_MODERATOR_IDS=str(moderator)) as app:
        await send(app, api, g.message(moderator, f"/block {TROLL}"))
        said = len(texts(api, GROUP))
        await send(app, api, g.message(TROLL, "/report", reply_to=g.raw(MEMBER, "hi")))
        await send(app, api, g.message(TROLL, "/warns"))
        assert len(texts(api, GROUP)) == said  # no answer to the blocked user
        insult = g.raw(TROLL, "ты чурка")
        await send(app, api, {"message": insult})
    assert int(api.calls_to("deleteMessage")[-1]["message_id"]) == insult["message_id"]


async def test_a_user_picked_from_the_mention_list_and_a_channel_poster_can_be_targeted(api, tmp_path):
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        text = "/mute Nameless Troll 1h spam"
        entities = [
            {"type": "bot_command", "offset": 0, "length": 5},
            {
                "type": "text_mention",
                "offset": 6,
                "length": 14,
                "user": {"id": 4321, "is_bot": False, "first_name": "Nameless Troll"},
            },
        ]
        api.set_member(GROUP, 4321, "member")
        await send(app, api, g.message(ADMIN, text, entities=entities))
        channel_post = g.raw(
            CHANNEL_BOT_ID, "buy crypto", sender_chat={"id": -1005550001, "type": "channel", "title": "Crypto <News>"}
        )
        await send(app, api, g.message(ADMIN, "/ban scam channel", reply_to=channel_post))
        await send(app, api, g.message(ADMIN, "/mute", reply_to=channel_post))
        rows = await audit(app)
    restrict = api.calls_to("restrictChatMember")
    assert len(restrict) == 1 and int(restrict[0]["user_id"]) == 4321
    said = texts(api, GROUP)
    assert "Nameless Troll" in said[0] and "Срок: 1 час" in said[0] and "spam" in said[0]
    assert int(api.calls_to("banChatSenderChat")[0]["sender_chat_id"]) == -1005550001
    assert "Crypto <News>" in said[1] and "scam channel" in said[1]
    assert "канал можно только заблокировать" in said[2]
    assert [(r["action"], r["target_id"]) for r in rows] == [("mute", 4321), ("ban", -1005550001)]


async def test_group_command_menus_are_registered_for_admins_and_members(api, tmp_path):
    async with running_bot(api, tmp_path) as app:
        await app.job_queue.get_jobs_by_name("moderation-commands")[0].run(app)
    menus = [
        (c["scope"]["type"], c.get("language_code"), [x["command"] for x in c["commands"]])
        for c in api.calls_to("setMyCommands")
        if c["scope"]["type"] != "all_private_chats"
    ]
    assert ("all_chat_administrators", None, menus[0][2]) == menus[0] and "ban" in menus[0][2]
    assert ("all_group_chats", "kk", ["ask", "report", "warns"]) in menus
    assert len(menus) == 8  # two scopes in four languages


async def test_group_command_menus_are_set_even_when_the_bot_starts_late(api, tmp_path):
    def group_menus():
        return [c for c in api.calls_to("setMyCommands") if c["scope"]["type"] != "all_private_chats"]

    async with running_bot(api, tmp_path) as app:
        await asyncio.sleep(3.5)  # the menus were due 2 s after start-up: a slow start on a loaded machine
        async with started(app):
            for _ in range(50):
                if len(group_menus()) == 8:
                    break
                await asyncio.sleep(0.1)
    assert len(group_menus()) == 8


async def test_approved_members_are_listed_and_an_old_button_expires(api, tmp_path):
    setup_group(api, anonymous={ADMIN})
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(MEMBER, "hello"))
        await send(app, api, g.message(OWNER, "/approved"))
        await send(app, api, g.message(OWNER, f"/approve {MEMBER}"))
        await send(app, api, g.message(OWNER, f"/approve {MEMBER}"))
        await send(app, api, g.message(OWNER, "/approved"))
        await send(app, api, g.message(ANONYMOUS_ADMIN, f"/kick {TROLL}"))
        data = api.calls_to("sendMessage")[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        app.bot_data.moderation.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
        await send(
            app,
            api,
            {
                "callback_query": {
                    "id": "9",
                    "chat_instance": "ci",
                    "data": data,
                    "from": g.person(ADMIN),
                    "message": {
                        "message_id": 1000,
                        "date": int(time.time()),
                        "chat": g.chat,
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "B"},
                    },
                }
            },
        )
    said = texts(api, GROUP)
    assert said[0] == "Одобренных участников нет."
    assert "одобрен" in said[1] and "уже одобрен" in said[2]
    assert said[3].startswith("Одобренные участники (1)")
    assert "Запрос устарел" in api.calls_to("answerCallbackQuery")[-1]["text"]
    assert not api.calls_to("banChatMember")


async def test_expired_warnings_are_erased_by_the_pruning_job(api, tmp_path):
    """Data kept for moderation is only what moderation needs: an expired warning leaves the database."""
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(ADMIN, "/settings warn_expiry 1d"))
        await send(app, api, g.message(ADMIN, f"/warn {TROLL} rude"))
        app.bot_data.moderation.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        await app.job_queue.get_jobs_by_name("moderation-prune")[0].run(app)
    with sqlite3.connect(tmp_path / "data" / "bot.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM mod_warnings").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM mod_audit WHERE action = 'warn'").fetchone()[0] == 1  # the trail stays


def test_a_flood_wait_is_read_whether_ptb_gives_seconds_or_a_timedelta(monkeypatch):
    import warnings

    from telegram.error import RetryAfter

    from bot.enforcement import failure_from

    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    assert failure_from(RetryAfter(17)).retry_after == 17
    monkeypatch.delenv("PTB_TIMEDELTA")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        failure = failure_from(RetryAfter(dt.timedelta(seconds=9)))
    assert (failure.code, failure.retry_after) == ("flood_wait", 9)


async def test_a_mistyped_duration_gets_a_clear_reply_and_no_permanent_mute_or_ban(api, tmp_path):
    """Issue 11, item 5: a sign, a decimal comma, a superscript… must never turn a timed mute into a permanent one."""
    setup_group(api)
    g = group_with_troll()
    mistyped = ["-5m", "+1h", "²h", "１h", "1,5x", "2h,", "0.5m"]
    async with running_bot(api, tmp_path) as app:
        for token in mistyped:
            await send(app, api, g.message(ADMIN, f"/mute {TROLL} {token} flood"))
            await send(app, api, g.message(ADMIN, f"/ban {TROLL} {token} scam"))
        refused = texts(api, GROUP)
        assert not api.calls_to("banChatMember") and not api.calls_to("restrictChatMember")
        before = time.time()
        await send(app, api, g.message(ADMIN, f"/mute {TROLL} 1.5h flood"))
        await send(app, api, g.message(ADMIN, f"/ban {TROLL} 1,5ч scam"))
        rows = await audit(app)
    assert len(refused) == 2 * len(mistyped)
    for said, token in zip(refused, [t for t in mistyped for _ in (0, 1)], strict=True):
        assert said.startswith(f"Не понял срок «{token}»"), said
    mute, ban = api.calls_to("restrictChatMember")[0], api.calls_to("banChatMember")[0]
    assert abs(int(mute["until_date"]) - (before + 5400)) < 60 and abs(int(ban["until_date"]) - (before + 5400)) < 60
    assert [(r["action"], r["duration"], r["reason"]) for r in rows] == [("mute", 5400, "flood"), ("ban", 5400, "scam")]


async def test_overflowing_numbers_get_a_one_line_reply_not_an_error(api, tmp_path):
    """Issue 11, item 6: a huge duration, a huge mute_time and an id too large for SQLite."""
    setup_group(api)
    g = group_with_troll()
    async with running_bot(api, tmp_path) as app:
        await send(app, api, g.message(ADMIN, f"/mute {TROLL} {'999999w' * 30} flood"))
        await send(app, api, g.message(ADMIN, f"/settings mute_time {'999999w' * 30}"))
        await send(app, api, g.message(ADMIN, "/settings warn_expiry 999999w"))
        await send(app, api, g.message(ADMIN, "/ban 9999999999999999999 spam"))
        await send(app, api, g.message(ADMIN, "/warns 99999999999999999999999"))
        rows = await audit(app)
    said = texts(api, GROUP)
    assert len(said) == 5 and all("\n" not in s for s in said), said
    assert said[0].startswith("Не понял срок «999999w")
    assert said[1].startswith("Неверное значение для mute_time") and said[2].startswith(
        "Неверное значение для warn_expiry"
    )
    assert said[3] == "«9999999999999999999» — не id пользователя Telegram."
    assert said[4] == "«99999999999999999999999» — не id пользователя Telegram."
    assert not any("Что-то пошло не так" in s for s in said)
    assert not api.calls_to("banChatMember") and not api.calls_to("restrictChatMember") and rows == []
