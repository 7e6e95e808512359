import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import KNOWLEDGE_DIR, ROOT
from tests.support.process import run

pytestmark = pytest.mark.slow  # each test runs `python -m bot`


def test_ask_json_for_one_question():
    result = run("ask", "--json", "где получить иин")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer == {
        "question": "где получить иин",
        "id": "iin-where",
        "outcome": "answer",
        "family": "iin",
        "score": answer["score"],
        "alternatives": answer["alternatives"],
        "alternative_families": answer["alternative_families"],
        "language": "ru",
    }


def test_ask_reads_a_conversation_and_answers_its_last_message():
    result = run(
        "ask",
        "--json",
        stdin="где получить иин || а сколько это по времени занимает?\nа сколько это по времени занимает?\n",
    )
    follow_up, alone = (json.loads(line) for line in result.stdout.splitlines())
    assert follow_up["question"] == "а сколько это по времени занимает?"
    assert (follow_up["outcome"], follow_up["id"], follow_up["family"]) == ("answer", "iin-time-cost", "iin")
    assert alone["family"] != "iin"


def test_eval_cross_validates_over_the_phrasings():
    result = run("eval", "--cv", "3", "--by", "family")
    assert result.returncode == 0, result.stderr
    rows = {line.split("|")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("| ")}
    assert {"iin", "phone", "transport", "**all**"} <= set(rows)
    assert run("eval").returncode == 2 and "give a labelled FILE or --cv K" in run("eval").stderr


def test_ask_reads_one_question_per_line_from_stdin():
    result = run("ask", "--json", stdin="как открыть счет в банке\nпривет\n\nрецепт плова\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["outcome"], x["family"]) for x in lines] == [
        ("answer", "bank-account"),
        ("smalltalk", None),
        ("none", None),
    ]


def test_ask_plain_output_is_one_line_per_question():
    result = run("ask", "нужна ли виза россиянам")
    assert result.stdout.startswith("answer\tvisa-free-entry-passport\t")


def test_validate_is_clean_on_the_shipped_knowledge():
    result = run("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stderr


def test_validate_reports_file_and_line_and_exits_1(tmp_path):
    broken = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, broken)
    path = broken / "faq" / "housing" / "housing.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("family: housing", "family: housing\nextra: 1"), encoding="utf-8"
    )
    result = run("--knowledge", str(broken), "validate")
    assert result.returncode == 1
    assert "knowledge/faq/housing/housing.yaml:4: entry: unknown field 'extra'" in result.stdout


def test_eval_prints_figures_per_style(tmp_path):
    items = tmp_path / "q.yaml"
    items.write_text(
        '- {q: "где получить иин", expect: iin, style: ru}\n- {q: "привет", expect: none, style: ru}\n'
        '- {q: "how to rent a flat", expect: housing, style: en}\n',
        encoding="utf-8",
    )
    result = run("eval", str(items))
    assert result.returncode == 0, result.stderr
    assert "| ru | 1 | 100.0% |" in result.stdout
    assert "| en | 1 |" in result.stdout and "| **all** | 2 |" in result.stdout


def test_eval_on_a_missing_file_is_one_line():
    result = run("eval", "/nonexistent.yaml")
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and result.stderr.startswith("error:")


def test_run_without_a_token_stops_with_one_clear_line():
    result = run("run")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "error: BOT_TOKEN is not set: get a token from @BotFather and run BOT_TOKEN=... python -m bot run"
    )


def test_run_with_a_broken_knowledge_base_lists_the_problems(tmp_path):
    broken = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, broken)
    (broken / "faq" / "iin" / "iin.yaml").write_text("id: [iin\n", encoding="utf-8")
    result = run("run", env={"BOT_TOKEN": "123:abc", "BOT_KNOWLEDGE_DIR": str(broken)})
    assert result.returncode == 2
    assert "knowledge/faq/iin/iin.yaml:2: YAML syntax error" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_rejected_token_says_so(api_thread, tmp_path):
    result = run(
        "run",
        env={
            "BOT_TOKEN": "123:wrong",
            "BOT_API_BASE_URL": api_thread.base_url,
            "BOT_DB_PATH": str(tmp_path / "bot.sqlite3"),
        },
    )
    assert result.returncode == 2
    assert "Telegram rejected BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_run_with_an_unusable_database_path_says_so(api_thread, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run(
        "run",
        env={
            "BOT_TOKEN": "7000001:AAFakeTokenForTestsOnly_abcdefghijklmnop",
            "BOT_API_BASE_URL": api_thread.base_url,
            "BOT_DB_PATH": str(blocker / "bot.sqlite3"),
        },
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: cannot use the data folder '{blocker}'")
    assert "Traceback" not in result.stderr


def test_the_console_script_has_the_same_subcommands():
    script = Path(sys.executable).parent / "newcomer-bot"
    assert script.exists(), "install with pip install -e ."
    result = subprocess.run(
        [str(script), "ask", "--json", "нужна ли виза россиянам"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert json.loads(result.stdout)["family"] == "visa-free-entry"


def test_run_with_a_broken_word_list_stops_too(tmp_path):
    broken = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, broken)
    (broken / "blocked_words.yaml").write_text("ru: [\n", encoding="utf-8")
    result = run("run", env={"BOT_TOKEN": "123:abc", "BOT_KNOWLEDGE_DIR": str(broken)})
    assert result.returncode == 2
    assert "knowledge/blocked_words.yaml:" in result.stderr and "YAML syntax error" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (("fit-doubt", "tests/data/fifth.yaml", "--budget", "0.7"), "--budget"),
        (("fit-doubt", "/nonexistent.yaml"), "cannot read"),
    ],
)
def test_fit_doubt_refuses_bad_input_in_one_line(args, message):
    result = run(*args)
    assert result.returncode != 0 and result.stderr.count("\n") == 1 and message in result.stderr
