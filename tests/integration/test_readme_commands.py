"""Every `flask --app bot …` command the README shows exists on the real app (a command registered only on a
throwaway test app once slipped through), and every environment variable it documents is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import _ENV_KEYS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
COMMANDS = sorted(set(re.findall(r"flask --app bot ([a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)?)", README)))


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("command", COMMANDS)
def test_each_readme_command_is_registered(app, command: str) -> None:  # type: ignore[no-untyped-def]
    words = command.split()
    result = app.test_cli_runner().invoke(args=[*words, "--help"])
    if result.exit_code != 0 and len(words) == 2:
        # "flask --app bot chat --openid": the second word is an argument or option of a one-word command.
        result = app.test_cli_runner().invoke(args=[words[0], "--help"])
    assert result.exit_code == 0, f"{command}: {result.output}"


def test_each_documented_variable_is_known() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)`", README, re.M))
    for row in re.findall(r"^\| `([A-Z_]+)`, `([A-Z_]+)`", README, re.M):  # rows naming two variables
        documented |= set(row)
    assert {"WECHAT_APP_SECRET", "GUNICORN_THREADS"} <= documented  # the second of a row is seen too
    gunicorn_conf = (Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text("utf-8")
    read_by_gunicorn = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', gunicorn_conf))
    known = set(_ENV_KEYS.values()) | read_by_gunicorn | {"ZHIYONG_CONFIG", "ZHIYONG_MODEL_DIR", "PORT"}
    assert documented - known == set()
