"""Imports point one way: core -> infrastructure -> services (bot.context) -> enforcement -> handlers -> app -> cli.

Every import in bot/ counts, at module level and inside functions alike (a lazy import would hide a cycle,
not remove it). The benchmark is a command-line tool: nothing the running bot loads may import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"

# (layer, module names or packages in it), lowest first; a module may import from its own layer or below
LAYERS = (
    ("core", ("bot.core",)),
    (
        "infrastructure",
        (
            "bot.config",
            "bot.i18n",
            "bot.logs",
            "bot.memory",
            "bot.storage",
            "bot.querylog",
            "bot.network",
            "bot.health",
            "bot.render",
            "bot.reload",
            "bot.reports",
            "bot.matchworker",
        ),
    ),
    ("services", ("bot.context",)),
    ("enforcement", ("bot.enforcement",)),
    ("handlers", ("bot.handlers",)),
    ("app", ("bot.app",)),
    (
        "cli",
        ("bot.cli", "bot.cli_common", "bot.cli_data", "bot.bench", "bot.benchapi", "bot.benchdata", "bot.__main__"),
    ),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int | None:
    for rank, (_, names) in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return rank
    return None


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The bot modules `path` imports anywhere in its text (`from bot import x` counts as bot.x)."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found.update(name for name in names if name == "bot" or name.startswith("bot."))
    found.discard("bot")
    return found


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in BOT.rglob("*.py")}
    modules = set(paths)
    return {name: {m for m in imports_of(path, modules) if m != name} for name, path in paths.items()}


def test_every_module_has_a_layer():
    assert [m for m in graph() if m != "bot" and layer_of(m) is None] == []


def test_no_import_points_up_a_layer():
    wrong = []
    for module, imported in graph().items():
        if module == "bot":
            continue
        for target in imported:
            if layer_of(target) is not None and layer_of(target) > layer_of(module):
                wrong.append(
                    f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
                )
    assert sorted(wrong) == []


def test_no_import_cycle_even_inside_a_layer():
    edges = graph()
    cycles, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_checks_see_function_level_imports(tmp_path):
    """The test's own reader: an import inside a function counts as much as one at the top."""
    source = tmp_path / "bot" / "handlers" / "x.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    from bot.app import build_application\n    from . import questions\n")
    global BOT
    saved, BOT = BOT, tmp_path / "bot"
    try:
        assert imports_of(source, {"bot.handlers.questions"}) == {"bot.app", "bot.handlers.questions"}
    finally:
        BOT = saved
