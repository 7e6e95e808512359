"""Statistics, grouping of unanswered questions, the chart and the phrasing writer on a seeded log."""

import datetime as dt
import shutil

import pytest
import yaml

from bot.core.insights import (
    COLOURS,
    chart_png,
    daily_outcomes,
    group_questions,
    least_helpful,
    matcher_reading,
    period_stats,
)
from bot.core.knowledge import load_knowledge
from bot.core.matcher import Matcher
from bot.core.phrasing_writer import WriteError, add_to_file, insert_item
from bot.storage import Storage
from tests.support import KNOWLEDGE_DIR
from tests.support.insights import NOW, OFF, decode_png, seed


@pytest.fixture
async def rows(tmp_path):
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        await seed(storage, NOW)
        yield await storage.queries_since(NOW - dt.timedelta(days=30))
    finally:
        await storage.close()


def test_the_last_7_days_in_figures(rows):
    week = period_stats(rows, NOW, 7)
    assert (week.questions, week.people) == (10, 8)  # small talk and menu browsing are not questions
    assert (week.answered, week.clarified, week.unmatched) == (5, 1, 4)
    assert (week.helpful, week.not_helpful) == (2, 2)  # a 👎 on an answer opened from the menu counts too
    assert week.top_entries == (("iin", 4), ("bank-account", 1), ("housing", 1))
    assert week.languages == (("ru", 9), ("en", 1))
    assert week.busiest_hours == ((10, 4), (14, 4), (21, 2))  # Almaty hours


def test_the_last_30_days_in_figures(rows):
    month = period_stats(rows, NOW, 30)
    assert (month.questions, month.people) == (15, 12)
    assert (month.answered, month.clarified, month.unmatched) == (8, 1, 6)
    assert (round(month.share(month.answered)), round(month.share(month.unmatched))) == (53, 40)
    assert (month.helpful, month.not_helpful) == (3, 3)
    assert month.top_entries == (("iin", 5), ("housing", 3), ("bank-account", 1))
    assert month.languages == (("ru", 13), ("en", 1), ("kk", 1))


def test_an_empty_log_gives_zeros_not_errors():
    empty = period_stats([], NOW, 7)
    assert (empty.questions, empty.share(0), empty.top_entries, empty.busiest_hours) == (0, 0.0, (), ())


def test_the_chart_shows_a_bar_per_day_in_proportion_to_the_outcomes(rows):
    days = daily_outcomes(rows, NOW, 30)
    assert len(days) == 30 and days[-1].day == dt.date(2026, 11, 22)
    assert sum(d.answered for d in days) == 8 and sum(d.unmatched for d in days) == 6
    width, height, pixels = decode_png(chart_png(days))
    assert 400 < width < 1000 and 150 < height < 400  # a readable picture Telegram accepts
    area = {outcome: sum(row.count(colour) for row in pixels) for outcome, colour in COLOURS.items()}
    per_question = area["answer"] / 8
    assert area["clarify"] == pytest.approx(per_question * 1, rel=0.1)
    assert area["none"] == pytest.approx(per_question * 6, rel=0.1)


def test_unanswered_and_not_helpful_questions_are_grouped_with_their_nearest_entry(rows, matcher):
    groups = group_questions(rows, matcher_reading(matcher))
    summary = [(g.representative, g.count, g.nearest) for g in groups]
    assert summary == [
        ("как отправить посылку в россию", 4, OFF),  # typed, transliterated and reworded: one need
        ("как перевезти собаку", 2, OFF),
        ("где получить иин", 1, "iin-where"),  # answered, but marked not helpful
        ("сколько стоит аренда квартиры", 1, "housing-rent-prices"),
    ]
    parcels = groups[0]
    assert parcels.wordings[0] == ("как отправить посылку в россию", 2) and {w for w, _ in parcels.wordings} >= {
        "kak otpravit posylku v rossiyu"
    }
    assert (parcels.unmatched, parcels.not_helpful, parcels.language) == (4, 0, "ru")
    assert least_helpful(rows) == [("housing", 2), ("iin", 1)]


# --- the phrasing writer ------------------------------------------------------------------------------


def test_a_phrasing_is_added_as_one_line_and_the_rest_of_the_file_is_untouched(tmp_path):
    path = tmp_path / "iin.yaml"
    original = (KNOWLEDGE_DIR / "faq" / "iin" / "iin.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    add_to_file(path, ("text", "ru", "phrasings"), 'где взять  "иин"\nсрочно')
    new = path.read_text(encoding="utf-8").splitlines()
    old = original.splitlines()
    assert len(new) == len(old) + 1
    at = next(i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b)
    assert new[at] == '      - "где взять \\"иин\\" срочно"'  # same indentation, one line, quoted
    assert new[:at] + new[at + 1 :] == old
    assert yaml.safe_load("\n".join(new))["text"]["ru"]["phrasings"][-1] == 'где взять "иин" срочно'


def test_flow_lists_and_files_without_a_final_newline_are_handled():
    flow = 'text:\n  en: { question: "q", phrasings: ["a", "b"], keywords: [] }\n  kk: {phrasings: []}'
    assert 'phrasings: ["a", "b", "new one"]' in insert_item(flow, ("text", "en", "phrasings"), "new one")
    assert 'phrasings: ["жаңа"]' in insert_item(flow, ("text", "kk", "phrasings"), "жаңа")
    block = "phrasings:\n  ru:\n  - a\n  - b"
    assert insert_item(block, ("phrasings", "ru"), "c") == 'phrasings:\n  ru:\n  - a\n  - b\n  - "c"\n'


@pytest.mark.parametrize(
    "text, keys, message",
    [
        ("text:\n  ru:\n    question: q\n", ("text", "ru", "phrasings"), "there is no 'text.ru.phrasings' list"),
        ("text:\n  ru:\n    phrasings: just text\n", ("text", "ru", "phrasings"), "is not a list"),
        ("text: [unclosed\n", ("text", "ru", "phrasings"), "not valid YAML"),
    ],
)
def test_a_list_that_cannot_take_the_phrasing_is_refused_and_the_file_kept(tmp_path, text, keys, message):
    path = tmp_path / "entry.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WriteError, match=message):
        add_to_file(path, keys, "новая формулировка")
    assert path.read_text(encoding="utf-8") == text


def test_added_phrasings_change_what_the_bot_does_once_the_knowledge_is_loaded_again(tmp_path):
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    stamp, shop = "где отметиться после приезда", "магазин с русскими продуктами"
    before = Matcher(load_knowledge(directory))
    assert before.match(stamp).outcome == "clarify" and before.match(shop).outcome == "clarify"
    add_to_file(
        directory / "faq" / "visa-free-entry" / "visa-free-entry-registration.yaml", ("text", "ru", "phrasings"), stamp
    )
    add_to_file(directory / "offtopic.yaml", ("phrasings", "ru"), shop)
    after = Matcher(load_knowledge(directory))
    assert (after.match(stamp).outcome, after.match(stamp).entry_id) == ("answer", "visa-free-entry-registration")
    assert after.match(shop).outcome == "none"  # deliberately not covered: no wrong entry offered
