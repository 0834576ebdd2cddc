"""DESIGN.md's import rules, enforced: handlers/ and nlp/ stay pure, storage/ never touches the web."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "handlers": {"flask", "wechatpy", "sqlalchemy", "apscheduler", "requests", "bot", "storage", "werkzeug"},
    "nlp": {"flask", "wechatpy", "sqlalchemy", "apscheduler", "requests", "bot", "storage", "werkzeug", "handlers"},
    "storage": {"flask", "wechatpy", "bot", "werkzeug", "handlers", "nlp", "apscheduler", "requests"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_never_imports_what_it_must_not(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    offenders = {
        str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN[package])
        for f in files
        if imported_roots(f) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom flask import Flask\nimport sqlalchemy.orm as orm\n", "utf-8")
    assert imported_roots(bad) & FORBIDDEN["handlers"] == {"flask", "sqlalchemy"}


def test_handlers_never_read_the_wall_clock() -> None:
    offenders = [
        str(f.relative_to(ROOT))
        for f in sorted((ROOT / "handlers").rglob("*.py"))
        if "datetime.now(" in f.read_text("utf-8") or "time.time(" in f.read_text("utf-8")
    ]
    assert offenders == []


# The floors: storage and nlp stand below handlers, handlers below bot. Inside bot/, entry points stand above the
# services, the services above the WeChat adapters; the dialog's matchers never reach into its callbacks.
INNER = {
    "bot/wechat": {"bot.service", "bot.console", "bot.cli", "bot.dev", "bot.web", "bot.scheduler"},
    "bot/service": {"bot.console", "bot.cli", "bot.dev", "bot.web", "bot.scheduler"},
    "handlers/dialog/matchers.py": {"handlers.dialog.entry", "handlers.dialog.flow", "handlers.dialog.steps"},
    "handlers/dialog/intents.py": {"handlers.dialog.entry", "handlers.dialog.flow", "handlers.dialog.steps"},
}
MAX_MODULE_LINES = 450
MAX_BOT_TOP_LEVEL = 12


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("where", sorted(INNER))
def test_inner_floors_are_one_way(where: str) -> None:
    target = ROOT / where
    files = [target] if target.suffix == ".py" else sorted(target.rglob("*.py"))
    assert files
    offenders = {
        str(f.relative_to(ROOT)): sorted(
            m for m in imported_modules(f) if any(m == p or m.startswith(p + ".") for p in INNER[where])
        )
        for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_module_is_a_crowded_room() -> None:
    big = {
        str(f.relative_to(ROOT)): n
        for package in ("bot", "handlers", "nlp", "storage")
        for f in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in f.parts and not f.is_relative_to(ROOT / "nlp" / "data")
        if (n := len(f.read_text("utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}


def test_bot_top_level_holds_only_the_entrance() -> None:
    modules = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert len(modules) <= MAX_BOT_TOP_LEVEL, modules
