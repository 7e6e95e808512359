"""Command line: `run`, `ask`, `validate`, `eval` (and, in `bot.cli_data`, `stats`, `suggest`, `export`, `purge`).

Errors end in one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from bot import bench, cli_data
from bot.cli_common import EXIT_CONFIG, EXIT_ERROR, fail, knowledge_dir
from bot.config import ConfigError, load_config, require_webhook
from bot.core.collisions import find_collisions
from bot.core.evaluate import (
    conversation_match,
    cross_validate,
    evaluate,
    fit_doubt,
    format_report,
    load_items,
)
from bot.core.knowledge import Knowledge, KnowledgeError, load_knowledge
from bot.core.matcher import Matcher
from bot.core.validation import check_folder
from bot.health import MAX_AGE, check
from bot.logs import setup_logging
from bot.memory import settle_memory
from bot.storage import StorageError


def cmd_run(args: argparse.Namespace) -> int:
    # Telegram's library and the Application (half a second to import) only for the command that runs the bot
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application, release

    try:
        config = load_config()
        if args.webhook:
            require_webhook(config)
    except ConfigError as exc:
        return fail(str(exc))
    setup_logging(
        secrets=(config.token or "", config.user_key_secret or "", config.webhook_secret or ""), level=config.log_level
    )
    checked = check_folder(config.knowledge_dir)
    if not checked.ok:  # the FAQ and the moderation word list alike: never start on half a knowledge base
        print("\n".join(str(p) for p in checked.errors), file=sys.stderr)
        return fail(f"the knowledge in {config.knowledge_dir} has errors; fix them or run `python -m bot validate`")
    assert checked.knowledge is not None  # checked.ok
    try:
        asyncio.run(check_token(config))
        application = build_application(config, checked.knowledge, words=checked.words)
        settle_memory()
        try:
            if args.webhook:  # Telegram posts updates; each request must carry the secret token (else 403)
                application.run_webhook(
                    listen=config.webhook_listen,
                    port=config.webhook_port,
                    url_path=config.webhook_path,
                    webhook_url=config.webhook_url,
                    secret_token=config.webhook_secret,
                    allowed_updates=Update.ALL_TYPES,
                    close_loop=False,
                )
            else:
                application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
        finally:  # whatever PTB's shutdown did: nothing left open that would keep the process from exiting
            loop = asyncio.get_event_loop()
            loop.run_until_complete(release(application))
            loop.close()
    except InvalidToken:
        return fail("Telegram rejected BOT_TOKEN: check the token from @BotFather")
    except NetworkError as exc:
        return fail(f"cannot reach the Telegram Bot API ({config.api_base_url or 'api.telegram.org'}): {exc.message}")
    except (StorageError, OSError) as exc:
        return fail(str(exc))
    return 0


async def check_token(config) -> None:
    """Ask Telegram who we are before starting, so a bad token or address is one line, not a retry loop's traceback."""
    from telegram import Bot  # as in cmd_run: only when the bot runs

    bot = Bot(
        config.token,
        base_url=config.api_base_url or "https://api.telegram.org/bot",
        base_file_url=config.api_base_file_url or "https://api.telegram.org/file/bot",
    )
    async with bot:
        await bot.get_me()


def cmd_health(args: argparse.Namespace) -> int:
    """The Dockerfile's HEALTHCHECK: is the heartbeat the job queue writes fresh?"""
    raw = os.environ.get("BOT_HEARTBEAT_FILE", "").strip()
    healthy, message = check(Path(raw) if raw else None, args.max_age if args.max_age is not None else MAX_AGE)
    print(message, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else EXIT_ERROR


def cmd_bench(args: argparse.Namespace) -> int:
    return bench.run(args)


CONVERSATION_SEPARATOR = " || "


def cmd_ask(args: argparse.Namespace) -> int:
    try:
        matcher = Matcher(load_knowledge(knowledge_dir(args)))
    except KnowledgeError as exc:
        return fail(f"the knowledge has errors:\n{exc}", EXIT_ERROR)
    questions = [" ".join(args.question)] if args.question else (line.rstrip("\n") for line in sys.stdin)
    for line in questions:
        *before, question = line.split(CONVERSATION_SEPARATOR)  # "earlier message || the one to answer"
        if not question.strip():
            continue
        match = conversation_match(matcher, before, question)
        if args.json:
            print(json.dumps(match.as_json(), ensure_ascii=False), flush=True)
        else:
            shown = match.entry_id or ", ".join(match.alternatives) or "-"
            print(f"{match.outcome}\t{shown}\t{match.score:.1f}\t{question}", flush=True)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    directory = knowledge_dir(args)
    checked = check_folder(directory)
    problems = list(checked.problems)
    if checked.knowledge is not None:
        problems += find_collisions(checked.knowledge)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    entries = f"{len(checked.knowledge.entries)} entries, " if checked.knowledge is not None else ""
    print(f"{directory}: {entries}{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return EXIT_ERROR if errors or (args.strict and warnings) else 0


class _Refused(Exception):
    """A command's input it cannot use, said in one line."""


def _labelled(path: str) -> list[dict]:
    """A labelled question file's items, or a one-line refusal."""
    try:
        return load_items(Path(path))
    except (OSError, ValueError) as exc:
        raise _Refused(f"cannot read {path}: {exc}") from exc
    except Exception as exc:  # YAML errors of any kind get one line, re-raised as a refusal
        raise _Refused(f"cannot parse {path}: {exc}") from exc


def _knowledge(args: argparse.Namespace) -> Knowledge:
    try:
        return load_knowledge(knowledge_dir(args))
    except KnowledgeError as exc:
        raise _Refused(f"the knowledge has errors:\n{exc}") from exc


def cmd_eval(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.cv is None):
        return fail("give a labelled FILE or --cv K (not both)", EXIT_CONFIG)
    if args.cv is not None and not 2 <= args.cv <= 20:
        return fail("--cv takes a number of folds from 2 to 20", EXIT_CONFIG)
    try:
        items = _labelled(args.file) if args.file is not None else []
        knowledge = _knowledge(args)
    except _Refused as exc:
        return fail(str(exc), EXIT_ERROR)
    if args.cv is not None:
        report = cross_validate(knowledge, args.cv, group_by=args.by or "lang")
    else:
        report = evaluate(Matcher(knowledge), items, group_by=args.by or "style")
    print(format_report(report, show_misses=args.misses))
    return 0


def cmd_fit_doubt(args: argparse.Namespace) -> int:
    if not 0.0 < args.budget < 0.5:
        return fail("--budget is a share of right answers, above 0 and below 0.5", EXIT_CONFIG)
    try:
        files = [_labelled(f) for f in args.files]
        knowledge = _knowledge(args)
    except _Refused as exc:
        return fail(str(exc), EXIT_ERROR)
    print(fit_doubt(knowledge, args.folds, files, args.budget).as_python())
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bot", description="Relocation FAQ bot for newcomers in Kazakhstan.")
    root.add_argument("--knowledge", help="knowledge folder (default: $BOT_KNOWLEDGE_DIR or the project's knowledge/)")
    sub = root.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot with long polling, or a webhook (needs BOT_TOKEN)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on a webhook (BOT_WEBHOOK_URL, BOT_WEBHOOK_SECRET; listens on "
        "BOT_WEBHOOK_LISTEN:BOT_WEBHOOK_PORT) instead of long polling",
    )
    run.set_defaults(func=cmd_run)
    health = sub.add_parser("health", help="exit 0 if the running bot's heartbeat (BOT_HEARTBEAT_FILE) is fresh")
    health.add_argument("--max-age", type=float, default=None, help="seconds (default 60)")
    health.set_defaults(func=cmd_health)
    bench = sub.add_parser("bench", help="benchmarks: matcher latency, updates per second, query log, memory, start-up")
    bench.add_argument("--sizes", default="100,1000,10000", help="generated knowledge sizes (entries), comma-separated")
    bench.add_argument("--updates", type=int, default=2000, help="updates per end-to-end run (default 2000)")
    bench.add_argument("--rounds", type=int, default=5, help="end-to-end runs of each bot, alternating (default 5)")
    bench.add_argument(
        "--only",
        choices=("matcher", "e2e", "log", "memory", "startup"),
        action="append",
        help="run only these parts (repeatable)",
    )
    bench.add_argument("--markdown", action="store_true", help="print the README table only")
    bench.set_defaults(func=cmd_bench)
    ask = sub.add_parser("ask", help="match questions without Telegram (one per stdin line if none given)")
    ask.add_argument("--json", action="store_true", help="one JSON object per line")
    ask.add_argument("question", nargs="*")
    ask.set_defaults(func=cmd_ask)
    validate = sub.add_parser("validate", help="check the knowledge; prints file:line: message")
    validate.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    validate.set_defaults(func=cmd_validate)
    evaluation = sub.add_parser("eval", help="accuracy on a labelled question file")
    evaluation.add_argument(
        "file", nargs="?", help="a labelled question file (q, expect: family, entry or none, style)"
    )
    evaluation.add_argument(
        "--cv", type=int, metavar="K", help="K-fold cross-validation over the knowledge's own phrasings"
    )
    evaluation.add_argument(
        "--by", choices=("style", "lang", "family"), help="group the figures (default: style; lang with --cv)"
    )
    evaluation.add_argument("--misses", action="store_true", help="list the items it got wrong")
    evaluation.set_defaults(func=cmd_eval)
    doubt = sub.add_parser(
        "fit-doubt", help="fit the model that holds back answers in doubt (prints bot/core/doubt.py's DOUBT)"
    )
    doubt.add_argument("files", nargs="+", help="labelled question files written apart from the knowledge")
    doubt.add_argument("--folds", type=int, default=5, choices=range(2, 21), metavar="K", help="folds (default 5)")
    doubt.add_argument(
        "--budget", type=float, default=0.015, help="share of the files' right answers put in doubt (default 0.015)"
    )
    doubt.set_defaults(func=cmd_fit_doubt)
    cli_data.add_commands(sub)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
