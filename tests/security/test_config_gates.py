"""Deployment and configuration gates (RELIABILITY 5.11 items 89, 91, 92; 5.9 item 75; 5.3 item 28).

- 89: xmltodict>=1.0.2, APScheduler>=3.11.1,<4 and wechatpy pinned exactly in requirements.txt, and the
  installed versions are the pinned ones;
- 91: Flask's MAX_CONTENT_LENGTH, gunicorn's timeout and the WeChat API client's timeouts are all set, and
  gunicorn's access lines carry no query string;
- 92: importing the web app and serving a request starts no scheduler (or any other) thread;
- 75: production runs without DEBUG, and an unexpected error gets a generic page, never a traceback;
- 28: secrets come from the environment only: nothing in the tracked files looks like one, `instance/` (where
  `make run` writes development secrets) is ignored, and config.yaml has no secret-bearing key. A missing
  secret stopping the start is tests/unit/test_settings.py::test_a_missing_secret_is_named.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from bot import create_app
from bot.runtime import runtime
from bot.wechat.api import WechatApi
from tests.conftest import TEST_AES_KEY
from tests.conftest import base_environ
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]


_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(==|>=|<=|~=|!=|<|>)?\s*([^;\s]*)")


def version(text: str) -> tuple[int, ...]:
    """'3.11.3' → (3, 11, 3); pre-release suffixes (2.0.0a26) compare by their numeric part."""
    return tuple(int(re.match(r"\d+", part).group()) for part in text.split(".") if re.match(r"\d+", part))  # type: ignore[union-attr]


def requirements() -> dict[str, tuple[str, str]]:
    """name → (operator, version) for every line of requirements.txt."""
    reqs = {}
    for line in (ROOT / "requirements.txt").read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            m = _PIN.match(line)
            assert m, f"cannot read requirement {line!r}"
            reqs[m.group(1).lower().replace("_", "-")] = (m.group(3) or "", m.group(4))
    return reqs


# -- 89 ---------------------------------------------------------------------------------------------------------


def _pinned(name: str, req: tuple[str, str]) -> tuple[int, ...]:
    assert req[0] == "==" and req[1], f"{name} is not pinned to one exact version"
    return version(req[1])


def test_security_relevant_dependencies_are_pinned_as_required() -> None:
    reqs = requirements()
    assert _pinned("xmltodict", reqs["xmltodict"]) >= (1, 0, 2), "xmltodict before 1.0.2 parses entities"
    aps = _pinned("apscheduler", reqs["apscheduler"])
    assert (3, 11, 1) <= aps < (4,), "APScheduler 3.11.1+ (misfire fixes), not the 4.x rewrite"
    _pinned("wechatpy", reqs["wechatpy"])  # one version: bot/wechat/protocol.py works around that version's quirks


def test_every_requirement_is_pinned_and_installed_at_that_version() -> None:
    for name, req in requirements().items():
        pinned = _pinned(name, req)
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is in requirements.txt but not installed (run make setup)")
        assert version(installed) == pinned, f"{name}: installed {installed}, pinned {req[1]}"


# -- 91 ---------------------------------------------------------------------------------------------------------


def test_body_cap_gunicorn_timeout_and_api_client_timeouts_are_set(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url)
    app = create_app(settings)
    rt = runtime(app)
    try:
        cap = settings.city.wechat.max_body_bytes
        assert app.config["MAX_CONTENT_LENGTH"] == cap + 1 and cap <= 1024 * 1024
        with WechatApi.from_runtime(rt) as api:
            connect, read = api.timeout
            assert 0 < connect <= 5 and 0 < read <= 60
            assert api._client.timeout == api.timeout, "wechatpy's client must not default to no timeout"
            assert api._client.auto_retry is False, "wechatpy's auto_retry recurses without a cap"
            assert api.tokens._timeout == api.timeout
    finally:
        rt.db.dispose()
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert 5 < conf["timeout"] <= 60 and conf["graceful_timeout"] <= conf["timeout"]
    assert conf["limit_request_line"] and conf["limit_request_fields"]
    assert conf["preload_app"] is True
    for directive in ("%(r)s", "%(q)s", "%(f)s", "%({", "%(a)s"):
        assert directive not in conf["access_log_format"], f"{directive} puts query strings or headers in the log"


# -- 92 and 75 --------------------------------------------------------------------------------------------------


def _run_python(code: str, env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def test_importing_and_serving_the_web_app_starts_no_thread(sqlite_url: str) -> None:
    code = (
        "import json, sys, threading\n"
        "from bot import create_app\n"
        "app = create_app()\n"
        "client = app.test_client()\n"
        "assert client.get('/healthz').status_code == 200\n"
        "client.post('/wechat?timestamp=1&nonce=1&msg_signature=' + '0' * 40, data=b'<xml/>')\n"
        "names = [t.name for t in threading.enumerate()]\n"
        "print(json.dumps({'threads': names, 'scheduler_running': any('APScheduler' in n for n in names)}))\n"
    )
    out = json.loads(_run_python(code, base_environ(sqlite_url, ZHIYONG_ENV="production")))
    assert out["threads"] == ["MainThread"], out
    assert not out["scheduler_running"]


def test_production_has_no_debug_and_errors_are_generic(sqlite_url: str) -> None:
    code = (
        "import json\n"
        "from bot import create_app\n"
        "app = create_app()\n"
        "def boom():\n"
        "    raise RuntimeError('secret detail 13912345678')\n"
        "app.add_url_rule('/__boom', 'boom', boom)\n"
        "resp = app.test_client().get('/__boom')\n"
        "print(json.dumps({'debug': app.debug, 'testing': app.testing, 'status': resp.status_code,\n"
        "                  'body': resp.get_data(as_text=True)}))\n"
    )
    out = json.loads(_run_python(code, base_environ(sqlite_url, ZHIYONG_ENV="production")))
    assert out["debug"] is False and out["testing"] is False
    assert out["status"] == 500
    for leak in ("Traceback", "secret detail", "13912345678", "RuntimeError", "werkzeug"):
        assert leak not in out["body"]


# -- 28 ---------------------------------------------------------------------------------------------------------

# Values that look like secrets but are public: the official test vectors' keys and the test/bench fixtures.
PUBLIC = {TEST_AES_KEY, "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "A" * 43}
SECRET_PATTERNS = {
    "private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "database URL with a password": r"(postgres|postgresql|mysql|redis)(\+\w+)?://[^/\s:@'\"]+:[^@\s'\"]+@",
    "secret assignment": r"(WECHAT_APP_SECRET|WECHAT_AES_KEY|WECHAT_TOKEN|SECRET_KEY|PSEUDONYM_KEY)\s*[=:]\s*[\"']?"
    r"[A-Za-z0-9]{16,}",
    "EncodingAESKey-shaped literal": r"[\"'=][A-Za-z0-9]{43}[\"'\s]",
}


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture
def git_checkout() -> None:
    if shutil.which("git") is None or _git("rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
        pytest.skip("not a git checkout")


def test_git_grep_finds_no_secrets(git_checkout: None) -> None:
    offenders = []
    for label, pattern in SECRET_PATTERNS.items():
        # Documentation quotes the official test vectors; code and configuration are what must stay clean.
        found = _git("grep", "-nIE", "-e", pattern, "--", ".", ":!*.md", ":!tests/fixtures/*")
        assert found.returncode in (0, 1), found.stderr
        for line in found.stdout.splitlines():
            if not any(value in line for value in PUBLIC):
                offenders.append(f"{label}: {line[:160]}")
    assert offenders == []


def test_development_secrets_are_never_tracked(git_checkout: None) -> None:
    assert _git("check-ignore", "-q", "instance/dev.env").returncode == 0, "instance/ must be git-ignored"
    tracked = _git("ls-files").stdout.splitlines()
    assert not [p for p in tracked if p.startswith("instance/") or re.search(r"(^|/)\.?[\w.-]*\.env$", p)]
    assert not [p for p in tracked if p.endswith((".pem", ".key", ".p12", ".pfx"))]


def test_config_yaml_has_no_secret_bearing_keys() -> None:
    data = yaml.safe_load((ROOT / "config.yaml").read_text("utf-8"))
    bad: list[str] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if re.search(r"secret|password|passwd|token|aes|encoding_?key|private", str(key), re.I):
                    bad.append(f"{path}{key}")
                walk(value, f"{path}{key}.")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    walk(data, "")
    assert bad == [], "secrets come from the environment, never from config.yaml"
