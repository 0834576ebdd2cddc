"""DESIGN.md's import rules, enforced: handlers/ and nlp/ stay pure, storage/ never touches the web."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "handlers": {"flask", "wechatpy", "sqlalchemy", "apscheduler", "requests", "bot", "storage", "werkzeug"},
    "nlp": {"flask", "wechatpy", "sqlalchemy", "apscheduler", "requests", "bot", "storage", "werkzeug"},
    "storage": {"flask", "wechatpy", "bot", "werkzeug"},
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
