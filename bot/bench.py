"""`python -m bot bench`: the numbers that matter in production, measured on this machine.

* Matcher: latency per question (p50 / p99) at 100, 1,000 and 10,000 generated entries
  (bot/benchdata.py), the cost of building each, and the same questions against a plain
  `rapidfuzz.process.extractOne` over the same phrasings, measured in the same run.
* End to end: updates per second through the real Application against a fake Bot API on loopback
  (bot/benchapi.py, its own process; rate limiter off), as a ratio to a minimal echo bot built the
  same way (same requests and update processing), on the same fake server, runs alternating.
* Query log writes per second, peak memory (RSS) with 1,000 and 10,000 entries (each in a fresh
  process), and start-up time of `python -m bot run` to its first getUpdates.

Questions are the project's held-out set (tests/data/questions.yaml, when run from the repository)
or else the knowledge's own phrasings with typos. Nothing here is a test: numbers vary with the
machine and its load; the README keeps one run's table with the machine, date and command.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import os
import platform
import random
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from rapidfuzz import process

from bot.benchdata import synthetic_knowledge, targeted_questions, typo
from bot.config import DEFAULT_KNOWLEDGE_DIR, PROJECT_ROOT, load_config
from bot.core.knowledge import Knowledge, load_knowledge
from bot.core.matcher import Matcher
from bot.core.text import normalise
from bot.memory import settle_memory

# Telegram, the Application and the storage are imported inside the functions that measure them: the memory
# child (`--memory-child`, a fresh process) must hold the matcher alone, as its figures claim.

TOKEN = "7000001:AAFakeTokenForBenchmarksOnly_abcdefghijk"
TELEGRAM_RATE = 30  # messages per second Telegram allows a bot overall
FLOORS = {"p99_1000": 1.0, "p99_10000": 5.0, "e2e_ratio": 0.8, "e2e_telegram": 10.0}


# --- helpers -----------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import telegram

    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"python-telegram-bot {telegram.__version__}, {platform.system()} {platform.release()}"
    )


def _questions(base: Knowledge) -> list[str]:
    """The held-out questions when run from the repository, else the knowledge's phrasings with a typo."""
    held_out = PROJECT_ROOT / "tests" / "data" / "questions.yaml"
    if held_out.is_file():
        return [item["q"] for item in yaml.safe_load(held_out.read_text(encoding="utf-8"))]
    rng = random.Random(5)
    phrasings = [p for e in base.entries.values() for t in e.texts.values() for p in t.phrasings]
    return [typo(rng, p) for p in rng.sample(phrasings, min(200, len(phrasings)))]


def _base(args) -> Knowledge:
    return load_knowledge(
        Path(getattr(args, "knowledge", None) or os.environ.get("BOT_KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)
    )


# --- matcher -----------------------------------------------------------------------------------


def bench_matcher(base: Knowledge, size: int, questions: list[str], baseline_questions: int) -> dict:
    knowledge = synthetic_knowledge(base, size)
    started = time.perf_counter()
    matcher = Matcher(knowledge)
    load = time.perf_counter() - started
    settle_memory()  # as `python -m bot run` does
    # warm up as a running bot would be: the knowledge's own words and earlier questions seen
    for phrasing in [p for e in base.entries.values() for t in e.texts.values() for p in t.phrasings]:
        matcher.match(phrasing)
    for question, _ in targeted_questions(knowledge, 300, seed=99):
        matcher.match(question)
    targeted = targeted_questions(knowledge, 300, seed=7)
    asked = questions + [q for q, _ in targeted]
    latencies = []
    for question in asked:
        started = time.perf_counter_ns()
        matcher.match(question)
        latencies.append((time.perf_counter_ns() - started) / 1e6)
    right = sum(matcher.match(q).entry_id == expected for q, expected in targeted)

    phrasings = [
        normalise(p) for e in knowledge.entries.values() for t in e.texts.values() for p in (t.question, *t.phrasings)
    ]
    sample = random.Random(3).sample(asked, min(baseline_questions, len(asked)))
    plain = []
    for question in sample:
        query = normalise(question)
        started = time.perf_counter_ns()
        process.extractOne(query, phrasings)
        plain.append((time.perf_counter_ns() - started) / 1e6)
    return {
        "entries": size,
        "phrasings": len(phrasings),
        "load_s": load,
        "p50_ms": statistics.median(latencies),
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "questions": len(asked),
        "targeted_right": right,
        "targeted": len(targeted),
        "plain_p50_ms": statistics.median(plain),
        "plain_p99_ms": _percentile(plain, 0.99),
        "plain_questions": len(sample),
    }


# --- query log ---------------------------------------------------------------------------------


async def _log_rate(records: int) -> float:
    from bot.querylog import QueryLog
    from bot.storage import QueryRecord, Storage, utcnow

    with tempfile.TemporaryDirectory() as folder:
        storage = await Storage.open(Path(folder) / "bench.sqlite3")
        log = QueryLog(storage, max_pending=records + 1)
        log.start()
        now = utcnow()
        started = time.perf_counter()
        for i in range(records):
            log.add(
                QueryRecord(f"b{i:08d}", now, "ru", "private", "k" * 32, f"вопрос номер {i}", "iin", 42.0, "answer")
            )
        await log.close()
        elapsed = time.perf_counter() - started
        written = len(await storage.queries(limit=records + 1))
        await storage.close()
    if written != records:
        raise RuntimeError(f"query log benchmark wrote {written} of {records} records")
    return records / elapsed


# --- memory and start-up (fresh processes) -----------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it does not carry over the parent's across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _memory_child(size: int, knowledge_dir: str | None) -> None:
    """Runs in its own process: peak RSS after building the matcher for `size` entries and answering."""
    base = load_knowledge(Path(knowledge_dir) if knowledge_dir else DEFAULT_KNOWLEDGE_DIR)
    before = _peak_rss_mb()
    knowledge = synthetic_knowledge(base, size)
    generated = _peak_rss_mb()
    matcher = Matcher(knowledge)
    for question, _ in targeted_questions(knowledge, 100):
        matcher.match(question)
    gc.collect()
    print(json.dumps({"before_mb": before, "generated_mb": generated, "peak_mb": _peak_rss_mb(), "entries": size}))


def bench_memory(size: int, knowledge_dir: str | None) -> dict:
    command = [sys.executable, "-m", "bot.bench", "--memory-child", str(size)] + (
        [knowledge_dir] if knowledge_dir else []
    )
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    return {"entries": size, **json.loads(done.stdout.strip().splitlines()[-1])}


class _Fake:
    """bot/benchapi.py in its own process."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.benchapi"], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT
        )
        assert self.process.stdout is not None  # stdout=PIPE
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def control(self, path: str, data=None) -> dict:
        body = json.dumps(data, ensure_ascii=False).encode() if data is not None else None
        request = urllib.request.Request(self.url + path, data=body, method="POST" if body is not None else "GET")
        with urllib.request.urlopen(request, timeout=180) as response:
            return json.loads(response.read())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def bench_startup(knowledge_dir: str | None) -> dict:
    """`python -m bot run` from launch to its first getUpdates, and from SIGTERM to exit."""
    fake = _Fake()
    try:
        with tempfile.TemporaryDirectory() as folder:
            env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
            env.update(
                {"BOT_TOKEN": TOKEN, "BOT_API_BASE_URL": fake.url + "/bot", "BOT_DB_PATH": f"{folder}/bot.sqlite3"}
            )
            if knowledge_dir:
                env["BOT_KNOWLEDGE_DIR"] = knowledge_dir
            started = time.monotonic()
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            deadline = started + 60
            first_poll = 0.0
            while not first_poll and time.monotonic() < deadline and bot.poll() is None:
                time.sleep(0.02)
                first_poll = fake.control("/control/stats")["first_poll"]
            if not first_poll:
                bot.kill()
                raise RuntimeError(f"the bot did not start: {bot.communicate()[1][-500:]}")
            stopping = time.monotonic()
            bot.send_signal(signal.SIGTERM)
            bot.wait(30)
            return {"startup_s": first_poll - started, "shutdown_s": time.monotonic() - stopping}
    finally:
        fake.close()


# --- end to end ---------------------------------------------------------------------------------


def _updates(questions: list[str], count: int, users: int = 200, unique: bool = True) -> list[dict]:
    """`count` private messages from `users` users in turns: every text different (a typo here and there,
    so that nothing is answered from memory) or, with unique=False, the questions asked over and over."""
    rng = random.Random(11)
    out, seen = [], set()
    for i in range(count):
        user = 100_000 + i % users
        text = questions[i % len(questions)]
        while unique and text in seen:
            text = typo(rng, questions[rng.randrange(len(questions))]) + rng.choice(("", "?", " пожалуйста", "!"))
        seen.add(text)
        out.append(
            {
                "message": {
                    "message_id": i + 1,
                    "date": int(time.time()),
                    "chat": {"id": user, "type": "private"},
                    "from": {"id": user, "is_bot": False, "first_name": "U", "language_code": "ru"},
                    "text": text,
                }
            }
        )
    return out


async def _drive(application, fake: _Fake, updates: list[dict]) -> float:
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    worker = getattr(application.bot_data, "match_worker", None)
    if worker is not None:
        await worker.started()  # a running bot's steady state: its match worker has built its matcher
    await application.start()
    fake.control("/control/load", updates)
    started = time.monotonic()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    stats = await asyncio.get_running_loop().run_in_executor(None, fake.control, f"/control/wait/{len(updates)}")
    elapsed = time.monotonic() - started
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)
    if stats["sent"] < len(updates):
        raise RuntimeError(f"only {stats['sent']} of {len(updates)} updates were answered")
    return len(updates) / elapsed


def _echo_application(fake: _Fake, concurrency: int):
    from telegram.ext import Application, MessageHandler, filters

    from bot import network

    async def echo(update, context):
        await update.effective_message.reply_text(update.effective_message.text)

    builder = network.configure(
        Application.builder().token(TOKEN).base_url(fake.url + "/bot"), rate_limit=False, concurrency=concurrency
    )
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


def bench_e2e(base_dir: str | None, questions: list[str], count: int, rounds: int, unique: bool = True) -> dict:
    from bot.app import build_application

    updates = _updates(questions, count, unique=unique)
    fake = _Fake()
    echo_rates, bot_rates, logged = [], [], []
    try:
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as folder:
                env = {
                    "BOT_TOKEN": TOKEN,
                    "BOT_API_BASE_URL": fake.url + "/bot",
                    "BOT_DB_PATH": f"{folder}/bot.sqlite3",
                    "BOT_RATE_LIMIT": "0",
                }
                if base_dir:
                    env["BOT_KNOWLEDGE_DIR"] = base_dir
                config = load_config(env)
                echo_rates.append(
                    asyncio.run(_drive(_echo_application(fake, config.concurrent_updates), fake, updates))
                )
                application = build_application(config, load_knowledge(config.knowledge_dir))
                settle_memory()  # as `python -m bot run` does
                bot_rates.append(asyncio.run(_drive(application, fake, updates)))
                with sqlite3.connect(config.db_path) as connection:
                    logged.append(connection.execute("SELECT COUNT(*) FROM query_log").fetchone()[0])
    finally:
        fake.close()
    ratios = [b / e for b, e in zip(bot_rates, echo_rates, strict=True)]  # one of each per round
    return {
        "updates": count,
        "rounds": rounds,
        "unique": unique,
        "distinct": len({u["message"]["text"] for u in updates}),
        "echo_ups": statistics.median(echo_rates),
        "bot_ups": statistics.median(bot_rates),
        "ratio": statistics.median(ratios),
        "telegram_multiple": statistics.median(bot_rates) / TELEGRAM_RATE,
        "logged": logged,
        "echo_all": echo_rates,
        "bot_all": bot_rates,
    }


# --- report --------------------------------------------------------------------------------------


def _ok(value: float, floor: float, higher: bool) -> str:
    met = value >= floor if higher else value <= floor
    return "met" if met else "**not met**"


def report(results: dict, command: str) -> str:
    lines = [f"Measured {results['date']} on {results['machine']}, with `{command}`.", ""]
    if "matcher" in results:
        lines += [
            "| matcher | phrasings | build | p50 / question | p99 / question | plain extractOne p50 / p99 "
            "| ratio p50 / p99 | generated entries found |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for m in results["matcher"]:
            floor = {1000: FLOORS["p99_1000"], 10000: FLOORS["p99_10000"]}.get(m["entries"])
            p99 = f"{m['p99_ms']:.2f} ms" + (
                f" (floor {floor:g} ms: {_ok(m['p99_ms'], floor, False)})" if floor else ""
            )
            lines.append(
                f"| {m['entries']:,} entries | {m['phrasings']:,} | {m['load_s']:.2f} s | {m['p50_ms']:.2f} ms | {p99} "
                f"| {m['plain_p50_ms']:.1f} / {m['plain_p99_ms']:.1f} ms ({m['plain_questions']} questions) "
                f"| {m['p50_ms'] / m['plain_p50_ms']:.3f} / {m['p99_ms'] / m['plain_p99_ms']:.3f} "
                f"| {m['targeted_right']}/{m['targeted']} |"
            )
        lines.append("")
    rows = []
    for e in results.get("e2e", []):
        what = "every text different" if e["unique"] else f"{e['distinct']} questions asked over and over"
        rows += [
            (
                f"end to end, updates/s ({what})",
                f"bot {e['bot_ups']:.0f}, echo bot {e['echo_ups']:.0f} "
                f"(median of {e['rounds']} alternating runs of {e['updates']:,} updates from 200 users)",
            ),
            (
                f"bot / echo bot ({what})",
                f"{e['ratio']:.2f} (floor {FLOORS['e2e_ratio']}: {_ok(e['ratio'], FLOORS['e2e_ratio'], True)})",
            ),
            (
                f"bot / Telegram's 30 messages/s ({what})",
                f"{e['telegram_multiple']:.1f}x (floor {FLOORS['e2e_telegram']:g}x: "
                f"{_ok(e['telegram_multiple'], FLOORS['e2e_telegram'], True)})",
            ),
            (
                f"query-log rows per bot run ({what})",
                ", ".join(str(n) for n in e["logged"]) + f" (of {e['updates']:,} each)",
            ),
        ]
    if "log" in results:
        rows.append(
            ("query log writes/s", f"{results['log']:,.0f} (background writer, batches of up to 500, SQLite WAL)")
        )
    for m in results.get("memory", []):
        rows.append(
            (
                f"peak memory, {m['entries']:,} entries",
                f"{m['peak_mb']:.0f} MB RSS: the process with the knowledge loaded took {m['before_mb']:.0f} MB, "
                f"the generated entries {m['generated_mb'] - m['before_mb']:.0f} MB more, "
                "building and using the matcher the rest",
            )
        )
    if "startup" in results:
        s = results["startup"]
        rows.append(
            (
                "start-up, `python -m bot run` to first getUpdates",
                f"{s['startup_s']:.2f} s (stop on SIGTERM: {s['shutdown_s']:.2f} s)",
            )
        )
    if rows:
        lines += ["| measure | result |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def run(args) -> int:
    parts = set(args.only or ("matcher", "e2e", "log", "memory", "startup"))
    knowledge_dir = getattr(args, "knowledge", None) or os.environ.get("BOT_KNOWLEDGE_DIR") or None
    base = _base(args)
    questions = _questions(base)
    results: dict = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"), "machine": _machine()}
    say = (lambda *a: None) if args.markdown else (lambda *a: print(*a, file=sys.stderr, flush=True))
    if "matcher" in parts:
        results["matcher"] = []
        for size in (int(s) for s in args.sizes.split(",") if s.strip()):
            say(f"matcher, {size} entries …")
            results["matcher"].append(bench_matcher(base, size, questions, 100 if size <= 1000 else 20))
    if "log" in parts:
        say("query log …")
        results["log"] = asyncio.run(_log_rate(20_000))
    if "memory" in parts:
        results["memory"] = []
        for size in (1000, 10000):
            say(f"memory, {size} entries …")
            results["memory"].append(bench_memory(size, knowledge_dir))
    if "startup" in parts:
        say("start-up …")
        results["startup"] = bench_startup(knowledge_dir)
    if "e2e" in parts:
        say("end to end …")
        results["e2e"] = [
            bench_e2e(knowledge_dir, questions, args.updates, args.rounds, unique=True),
            bench_e2e(knowledge_dir, questions, args.updates, args.rounds, unique=False),
        ]
    command = "python -m bot bench" + "".join(f" {a}" for a in sys.argv[2:] if a != "--markdown")
    print(report(results, command))
    if not args.markdown:
        print(json.dumps(results, ensure_ascii=False, default=str), file=sys.stderr)
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--memory-child":
        _memory_child(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        sys.exit("use python -m bot bench")
