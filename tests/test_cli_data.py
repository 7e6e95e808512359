"""`python -m bot stats | suggest | export | purge` as a maintainer runs them, on a seeded database."""

import csv
import datetime as dt
import io
import json
import shutil
import sqlite3

import pytest

from bot.core.knowledge import load_knowledge
from bot.core.moderation.night import ALMATY
from bot.storage import utcnow
from tests.support import KNOWLEDGE_DIR
from tests.support.insights import decode_png, seeded_database
from tests.support.process import run

pytestmark = pytest.mark.slow  # each test runs `python -m bot`

FIELDS = ["created_at", "language", "chat_type", "question", "matched_id", "score", "outcome", "feedback"]


@pytest.fixture
async def db(tmp_path):
    return await seeded_database(tmp_path / "bot.sqlite3", utcnow())


def test_stats_prints_both_periods_and_writes_the_chart(db, tmp_path):
    chart = tmp_path / "chart.png"
    result = run("stats", "--chart", str(chart), env={"BOT_DB_PATH": str(db)})
    assert result.returncode == 0, result.stderr
    assert "Last 7 days: 10 questions from 8 people" in result.stdout
    assert "✅ answered 50% · ❓ clarified 10% · ∅ no answer 40%" in result.stdout
    assert "Last 30 days: 15 questions from 12 people" in result.stdout
    assert "Busiest hours (Almaty): 10:00 (4), 14:00 (4), 21:00 (2)" in result.stdout
    assert "<b>" not in result.stdout
    width, height, _ = decode_png(chart.read_bytes())
    assert width > height


def test_suggest_lists_the_groups_a_maintainer_should_look_at(db):
    result = run("suggest", env={"BOT_DB_PATH": str(db)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "❔ Unanswered or not helpful, last 30 days: 8 questions in 4 groups"
    assert "👎 by entry: housing 2, iin 1" in lines
    assert any(line.startswith("1. 4× «как отправить посылку в россию» → off-topic (") for line in lines)
    assert any(line.startswith("2. 2× «как перевезти собаку» → off-topic (") for line in lines)


def test_suggest_write_adds_accepted_phrasings_and_leaves_everything_else_alone(db, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    before = {p: p.read_bytes() for p in knowledge.rglob("*.yaml")}
    # group 1 (parcels) goes to an entry the maintainer names, group 2 (pets) to the off-topic list, then quit
    result = run(
        "--knowledge", str(knowledge), "suggest", "--write", stdin="first-steps\ny\nq\n", env={"BOT_DB_PATH": str(db)}
    )
    assert result.returncode == 0, result.stderr
    assert "added 2 phrasing(s)" in result.stdout
    changed = {p for p in before if p.read_bytes() != before[p]}
    assert changed == {knowledge / "faq/first-steps/first-steps.yaml", knowledge / "offtopic.yaml"}
    for path in changed:
        old, new = before[path].decode().splitlines(), path.read_text(encoding="utf-8").splitlines()
        assert len(new) == len(old) + 1 and [line for line in new if line not in old] in (
            ['      - "как отправить посылку в россию"'],
            ['    - "как перевезти собаку"'],
        )
    loaded = load_knowledge(knowledge)
    assert "как отправить посылку в россию" in loaded.entries["first-steps"].texts["ru"].phrasings
    assert "как перевезти собаку" in loaded.offtopic["ru"]


def test_suggest_write_files_a_question_next_to_a_covered_topic_under_the_neighbours(db, tmp_path):
    """A wrongly answered question about a subject beside a covered one goes to `neighbours`, which the classifier
    learns lightly, not to `phrasings`."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    # group 1 (parcels) is an off-topic phrasing already, group 2 (pets) is filed as a neighbour
    result = run(
        "--knowledge",
        str(knowledge),
        "suggest",
        "--write",
        stdin="neighbour\nneighbour\nq\n",
        env={"BOT_DB_PATH": str(db)},
    )
    assert result.returncode == 0, result.stderr
    assert "already in offtopic.yaml" in result.stdout and "added 1 phrasing(s)" in result.stdout
    loaded = load_knowledge(knowledge)
    assert "как перевезти собаку" in loaded.offtopic_neighbours["ru"]
    assert "как перевезти собаку" not in loaded.offtopic["ru"]
    assert "как отправить посылку в россию" not in loaded.offtopic_neighbours["ru"]


def test_export_writes_csv_or_json_lines_without_user_keys(db, tmp_path):
    day = (utcnow().astimezone(ALMATY).date() - dt.timedelta(days=6)).isoformat()
    as_csv = run("export", "--since", day, env={"BOT_DB_PATH": str(db)})
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == 12 and list(rows[0]) == FIELDS  # the last seven days; no user key, no id
    assert {r["question"] for r in rows} >= {"где получить иин", "kak otpravit posylku v rossiyu"}
    out = tmp_path / "log.jsonl"
    as_json = run("export", "--format", "jsonl", "--output", str(out), env={"BOT_DB_PATH": str(db)})
    assert as_json.returncode == 0, as_json.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 19 and all(list(line) == FIELDS for line in lines)
    assert lines[0]["question"] == "очень старый вопрос"  # oldest first


def test_purge_deletes_what_is_older_than_the_retention_period(db):
    default = run("purge", env={"BOT_DB_PATH": str(db)})
    assert default.returncode == 0, default.stderr
    assert default.stdout.startswith("deleted 1 query log row(s) older than") and "(90 days)" in default.stdout
    configured = run("purge", env={"BOT_DB_PATH": str(db), "BOT_RETENTION_DAYS": "30"})
    assert configured.stdout.startswith("deleted 1 query log row(s)")
    explicit = run("purge", "--days", "7", env={"BOT_DB_PATH": str(db)})
    assert explicit.stdout.startswith("deleted 5 query log row(s)")
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM query_log").fetchone() == (12,)


@pytest.mark.parametrize(
    "args, env, message",
    [
        (
            ["stats"],
            {"BOT_DB_PATH": "/nonexistent/bot.sqlite3"},
            "error: no database at /nonexistent/bot.sqlite3 (BOT_DB_PATH)",
        ),
        (["export", "--since", "22.11.2026"], {}, "error: --since must be a date like 2026-11-01, got '22.11.2026'"),
        (["purge", "--days", "0"], {}, "error: --days must be a number of days from 1 to 3650, got '0'"),
        (["purge"], {"BOT_RETENTION_DAYS": "forever"}, "error: BOT_RETENTION_DAYS must be a number of days"),
    ],
)
def test_bad_input_is_one_clear_line(db, args, env, message):
    result = run(*args, env={"BOT_DB_PATH": str(db), **env})
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
