"""Command line over the query log, for the FAQ's upkeep: `stats`, `suggest`, `export`, `purge`.

They open the database at BOT_DB_PATH and need no token, so a maintainer can run them on the server
beside the running bot (SQLite in WAL mode lets both work at once).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TypeVar

from bot.cli_common import EXIT_CONFIG, EXIT_ERROR, fail, knowledge_dir
from bot.config import Config, ConfigError, load_config
from bot.core.insights import (
    ALMATY,
    CHART_DAYS,
    STATS_PERIODS,
    QuestionGroup,
    chart_png,
    daily_outcomes,
    group_questions,
    least_helpful,
    matcher_reading,
    period_stats,
)
from bot.core.knowledge import Knowledge, KnowledgeError, load_knowledge
from bot.core.matcher import OFFTOPIC, Matcher
from bot.core.phrasing_writer import WriteError, add_to_file
from bot.core.text import normalise
from bot.i18n import LANGUAGES
from bot.reports import group_lines, plain, stats_report, unanswered_report
from bot.storage import Storage, StorageError, utcnow

EXPORT_FIELDS = ("created_at", "language", "chat_type", "question", "matched_id", "score", "outcome", "feedback")
OFFTOPIC_TARGET = "offtopic"  # offtopic.yaml's phrasings: a subject far from the FAQ
NEIGHBOUR_TARGET = "neighbour"  # offtopic.yaml's neighbours: a question next to a covered topic, wrongly answered
T = TypeVar("T")


class _Stop(Exception):
    """A one-line failure with its exit code, raised from deep inside a command."""

    def __init__(self, message: str, code: int = EXIT_ERROR):
        super().__init__(message)
        self.code = code


def _config() -> Config:
    try:
        return load_config(require_token=False)
    except ConfigError as exc:
        raise _Stop(str(exc), EXIT_CONFIG) from exc


def _with_storage(config: Config, work: Callable[[Storage], Awaitable[T]]) -> T:
    """Run `work` on the bot's database; a missing database is an error rather than a new empty one."""
    if not config.db_path.is_file():
        raise _Stop(
            f"no database at {config.db_path} (BOT_DB_PATH): the bot has not logged anything there yet", EXIT_CONFIG
        )

    async def run() -> T:
        storage = await Storage.open(config.db_path)
        try:
            return await work(storage)
        finally:
            await storage.close()

    try:
        return asyncio.run(run())
    except StorageError as exc:
        raise _Stop(str(exc), EXIT_CONFIG) from exc


def _number(value: str | None, option: str, what: str = "a number of days") -> int | None:
    if value is None:
        return None
    if not re.fullmatch(r"\d{1,5}", value) or not 1 <= int(value) <= 3650:
        raise _Stop(f"{option} must be {what} from 1 to 3650, got {value!r}", EXIT_CONFIG)
    return int(value)


def _matcher(args: argparse.Namespace) -> tuple[Path, Knowledge, Matcher]:
    directory = knowledge_dir(args)
    try:
        knowledge = load_knowledge(directory)
    except KnowledgeError as exc:
        raise _Stop(f"the knowledge in {directory} has errors; run `python -m bot validate`:\n{exc}") from exc
    return directory, knowledge, Matcher(knowledge)


def _command(function: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return function(args)
        except _Stop as stop:
            return fail(str(stop), stop.code)

    return run


# --- stats -----------------------------------------------------------------------------------------


@_command
def cmd_stats(args: argparse.Namespace) -> int:
    config = _config()
    now = utcnow()
    rows = _with_storage(config, lambda s: s.queries_since(now - dt.timedelta(days=max((*STATS_PERIODS, CHART_DAYS)))))
    print(plain(stats_report([period_stats(rows, now, days) for days in STATS_PERIODS], args.lang)))
    if args.chart:
        try:
            Path(args.chart).write_bytes(chart_png(daily_outcomes(rows, now, CHART_DAYS)))
        except OSError as exc:
            raise _Stop(f"cannot write the chart to {args.chart}: {exc.strerror or exc}") from exc
        print(f"chart of the last {CHART_DAYS} days written to {args.chart}", file=sys.stderr)
    return 0


# --- suggest ---------------------------------------------------------------------------------------


@_command
def cmd_suggest(args: argparse.Namespace) -> int:
    days = _number(args.days, "--days")
    limit = _number(args.limit, "--limit", "a number of groups")
    assert days is not None  # --days has a default
    config = _config()
    directory, knowledge, matcher = _matcher(args)
    rows = _with_storage(config, lambda s: s.queries_since(utcnow() - dt.timedelta(days=days)))
    groups = group_questions(rows, matcher_reading(matcher))
    if not args.write:
        print(plain(unanswered_report(groups, least_helpful(rows), days, args.lang, budget=sys.maxsize, limit=limit)))
        return 0
    return _accept(directory, knowledge, groups[:limit], args.lang)


def _target_file(directory: Path, knowledge: Knowledge, target: str, lang: str) -> tuple[Path, tuple[str, ...], str]:
    """(file, path of the phrasings list inside it, language used): the group's language, else Russian."""
    if target == OFFTOPIC_TARGET:
        lang = lang if lang in knowledge.offtopic else "ru"
        return directory / "offtopic.yaml", ("phrasings", lang), lang
    if target == NEIGHBOUR_TARGET:
        lang = lang if lang in knowledge.offtopic_neighbours else "ru"
        return directory / "offtopic.yaml", ("neighbours", lang), lang
    lang = lang if lang in knowledge.entries[target].texts else "ru"
    return directory.parent / knowledge.entries[target].file, ("text", lang, "phrasings"), lang


def _existing(knowledge: Knowledge, target: str) -> set[str]:
    if target in (OFFTOPIC_TARGET, NEIGHBOUR_TARGET):  # a question is in one of offtopic.yaml's lists, not both
        phrasings = [
            p for lists in (knowledge.offtopic, knowledge.offtopic_neighbours) for ps in lists.values() for p in ps
        ]
    else:
        phrasings = [p for text in knowledge.entries[target].texts.values() for p in (text.question, *text.phrasings)]
    return {normalise(p) for p in phrasings}


def _choose(question: str, default: str | None, knowledge: Knowledge) -> str | None:
    """The maintainer's answer: a target id, None to skip; EOFError or "q" ends the session."""
    hint = f"y = add to {default}, " if default else ""
    while True:
        answer = input(
            f"add «{question}»? {hint}n = skip, an entry id, '{OFFTOPIC_TARGET}' (far from the FAQ) or "
            f"'{NEIGHBOUR_TARGET}' (next to a covered topic), q = quit: "
        ).strip()
        if answer.lower() in ("q", "quit"):
            raise EOFError
        if answer.lower() in ("", "n", "no"):
            return None
        if answer.lower() in ("y", "yes") and default:
            return default
        if answer in knowledge.entries or answer in (OFFTOPIC_TARGET, NEIGHBOUR_TARGET):
            return answer
        print(f"  '{answer}' is not an entry id (see knowledge/faq/); try again")


def _accept(directory: Path, knowledge: Knowledge, groups: list[QuestionGroup], lang: str) -> int:
    """Offer each group's most asked wording as a new phrasing; write the accepted ones; check the result loads."""
    originals: dict[Path, bytes] = {}
    added: list[tuple[str, str]] = []  # (phrasing, target)
    try:
        for number, group in enumerate(groups, 1):
            print()
            print("\n".join(plain(line) for line in group_lines(number, group, lang)))
            default = OFFTOPIC_TARGET if group.nearest == OFFTOPIC else group.nearest
            target = _choose(group.representative, default, knowledge)
            if target is None:
                continue
            if normalise(group.representative) in _existing(knowledge, target):
                print(f"  already in {'offtopic.yaml' if target in (OFFTOPIC_TARGET, NEIGHBOUR_TARGET) else target}")
                continue
            path, keys, used = _target_file(directory, knowledge, target, group.language)
            try:
                before = path.read_bytes()
                add_to_file(path, keys, group.representative)
            except (OSError, WriteError) as exc:
                print(f"  not added: {exc}")
                continue
            originals.setdefault(path, before)
            added.append((group.representative, target))
            print(f"  added to {path} ({'.'.join(keys)})" + ("" if used == group.language else f", as {used}"))
    except EOFError:
        print()
    if not added:
        print("nothing added")
        return 0
    try:
        matcher = Matcher(load_knowledge(directory))
    except KnowledgeError as exc:  # the round-trip check saw one list; this is the whole folder, as the bot reads it
        for path, data in originals.items():
            path.write_bytes(data)
        raise _Stop(f"the knowledge would not load after the change, so every file is restored:\n{exc}") from exc
    for phrasing, target in added:
        _, ranking = matcher.rank(phrasing)
        winner = ranking[0][0] if ranking else None
        if winner != (OFFTOPIC if target == OFFTOPIC_TARGET else target):
            print(f"note: «{phrasing}» still matches {winner} better than {target}; see `python -m bot validate`")
    print(
        f"added {len(added)} phrasing(s); the running bot takes them with /reload "
        "(or by itself with BOT_WATCH_KNOWLEDGE=1)"
    )
    return 0


# --- export and purge ------------------------------------------------------------------------------


def _since(value: str | None) -> dt.datetime:
    """The start of that day in Almaty (where the users are), or the beginning of the log."""
    if value is None:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise _Stop(f"--since must be a date like 2026-11-01, got {value!r}", EXIT_CONFIG) from None
    return dt.datetime.combine(day, dt.time(), ALMATY)


@_command
def cmd_export(args: argparse.Namespace) -> int:
    since = _since(args.since)
    config = _config()
    rows = _with_storage(config, lambda s: s.queries_since(since))
    try:
        out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115 - closed below unless stdout
    except OSError as exc:
        raise _Stop(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    try:
        if args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        else:
            for row in rows:
                fields: Mapping[str, object] = row  # EXPORT_FIELDS are keys of the row
                out.write(json.dumps({k: fields[k] for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"{len(rows)} row(s) exported", file=sys.stderr)
    return 0


@_command
def cmd_purge(args: argparse.Namespace) -> int:
    days = _number(args.days, "--days")
    config = _config()
    days = days or config.retention_days
    before = utcnow() - dt.timedelta(days=days)
    deleted = _with_storage(config, lambda s: s.purge_queries(before))
    print(f"deleted {deleted} query log row(s) older than {before:%Y-%m-%d %H:%M} UTC ({days} days)")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    stats = sub.add_parser(
        "stats", help="questions, outcomes, feedback, top entries, languages, busiest hours for 7 and 30 days"
    )
    stats.add_argument("--chart", metavar="FILE", help="also write a PNG of questions per day by outcome (30 days)")
    stats.add_argument("--lang", choices=LANGUAGES, default="en")
    stats.set_defaults(func=cmd_stats)
    suggest = sub.add_parser("suggest", help="unmatched and not-helpful questions, grouped, with the nearest entry")
    suggest.add_argument("--days", default="30", help="look this many days back (default 30)")
    suggest.add_argument("--limit", default="30", help="show at most this many groups (default 30)")
    suggest.add_argument(
        "--write",
        action="store_true",
        help="for each group ask whether to add its question as a phrasing, and write it into the YAML",
    )
    suggest.add_argument("--lang", choices=LANGUAGES, default="en")
    suggest.set_defaults(func=cmd_suggest)
    export = sub.add_parser("export", help="the query log as CSV or JSON lines (without the pseudonymous user keys)")
    export.add_argument(
        "--since", metavar="DATE", help="from this day on (YYYY-MM-DD, Almaty time); default: all that is kept"
    )
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.add_argument("--output", metavar="FILE", help="write here instead of standard output")
    export.set_defaults(func=cmd_export)
    purge = sub.add_parser("purge", help="delete query-log rows older than the retention period")
    purge.add_argument("--days", help="keep this many days (default: BOT_RETENTION_DAYS, or 90)")
    purge.set_defaults(func=cmd_purge)
