"""Configuration: each class of mistake stops the start with a message naming the variable, file or key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.settings import DEFAULT_CONFIG
from bot.settings import ConfigError
from bot.settings import load_settings
from tests.conftest import base_environ


def load(**overrides: str):  # type: ignore[no-untyped-def]
    env = base_environ("sqlite:///:memory:", **overrides)
    return load_settings({k: v for k, v in env.items() if v != "<unset>"}, env_file=None)


def write_config(tmp_path: Path, mutate) -> str:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEFAULT_CONFIG.read_text("utf-8"))
    mutate(data)
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return str(path)


def test_the_shipped_config_loads() -> None:
    settings = load()
    assert settings.city.city.name == "咸宁市"
    codes = {u.code for u in settings.city.units}
    assert codes == {"zwfw", "bdc", "gaj", "cgs", "rsj", "ybj", "zjj", "scj", "swj", "wjw", "jyj", "cgj", "jtj",
                     "zrj", "gjj", "mzj", "sthj"}  # fmt: skip
    assert {c.code for c in settings.city.categories} == {
        "access", "attitude", "obstruction", "corruption", "discipline", "incompetence", "abuse", "other"
    }  # fmt: skip
    assert {b.code for b in settings.city.handling_bodies} == {"zyb", "jw"}
    covered = {code for s in settings.city.supervisors for code in s.units}
    assert codes <= covered, "every unit has a demo supervisor"
    assert settings.wechat_mode == "safe"


@pytest.mark.parametrize(
    "var", ["WECHAT_TOKEN", "WECHAT_AES_KEY", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "SECRET_KEY", "PSEUDONYM_KEY"]
)
def test_a_missing_secret_is_named(var: str) -> None:
    with pytest.raises(ConfigError, match=var):
        load(**{var: "<unset>"})


@pytest.mark.parametrize("key", ["a" * 42, "a" * 44, "a" * 42 + "!", "a" * 42 + "="])
def test_a_bad_aes_key_refuses_to_start(key: str) -> None:
    with pytest.raises(ConfigError, match="WECHAT_AES_KEY: must be exactly 43 characters"):
        load(WECHAT_AES_KEY=key)


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("SECRET_KEY", "short"),
        ("SECRET_KEY", "changethis"),
        ("WECHAT_TOKEN", "has space"),
        ("WECHAT_API_BASE_URL", "ftp://example"),
        ("WECHAT_MODE", "sideways"),
        ("ZHIYONG_ENV", "staging"),
    ],
)
def test_a_bad_value_is_named(var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=var):
        load(**{var: value})


def test_insecure_modes_need_an_explicit_opt_in() -> None:
    with pytest.raises(ConfigError, match="WECHAT_MODE"):
        load(WECHAT_MODE="plain")
    with pytest.raises(ConfigError, match="WECHAT_MODE"):
        load(WECHAT_MODE="compat")
    assert load(WECHAT_MODE="plain", ALLOW_INSECURE_WECHAT_MODE="1").wechat_mode == "plain"


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nowhere.yaml: configuration file not found"):
        load(ZHIYONG_CONFIG=str(tmp_path / "nowhere.yaml"))


def test_broken_yaml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("units: [\n", "utf-8")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load(ZHIYONG_CONFIG=str(path))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["units"][0].pop("name"), r"units\.0\.name: Field required"),
        (lambda d: d["units"].append(dict(d["units"][0])), "duplicate code 'zwfw'"),
        (lambda d: d["categories"][0].update(sign_days=0), r"categories\.0\.sign_days"),
        (lambda d: d["categories"][0].update(answer_days="five"), r"categories\.0\.answer_days"),
        (lambda d: d["supervisors"][0].update(units=["nowhere"]), "unit 'nowhere' is not a known unit"),
        (lambda d: d.update(unknown_section=1), "unknown_section: Extra inputs are not permitted"),
        (lambda d: d["wechat"].update(mode="sideways"), r"wechat\.mode"),
        (lambda d: d["calendar"].update(extra_holidays=["2027-13-01"]), r"calendar\.extra_holidays\.0"),
        (lambda d: d["texts"].pop("welcome"), r"texts\.welcome: Field required"),
        (lambda d: d["units"][0].update(code="Bad Code"), r"units\.0\.code"),
        (
            lambda d: d.update(
                ranking={
                    "weights": {
                        k: 0 for k in ("complaints", "findings", "satisfaction", "ratings", "surveys", "inspections")
                    }
                }
            ),
            r"ranking\.weights: at least one weight must be above 0",
        ),
        (lambda d: d.update(ranking={"weights": {"ratings": -1}}), r"ranking\.weights\.ratings"),
        (lambda d: d.update(ranking={"weights": {"popularity": 1}}), r"ranking\.weights\.popularity: Extra inputs"),
        (lambda d: d.update(ranking={"min_sample": -1}), r"ranking\.min_sample"),
        (lambda d: d.update(ranking={"volume": {"bdc": {"2026-13": 10}}}), r"ranking\.volume: .*2026-13"),
        (lambda d: d.update(ranking={"volume": {"nowhere": {"2026-11": 10}}}), "ranking.volume: 'nowhere'"),
        (lambda d: d.update(inspections={"wait_limit_minutes": 0}), r"inspections\.wait_limit_minutes"),
    ],
)
def test_each_class_of_config_mistake_names_its_key(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    path = write_config(tmp_path, mutate)
    with pytest.raises(ConfigError, match=message):
        load(ZHIYONG_CONFIG=path)


def test_create_app_stops_with_the_message_instead_of_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot
    import bot.settings

    monkeypatch.setattr(bot.settings, "DEV_ENV_FILE", Path("/nonexistent/dev.env"))
    monkeypatch.setattr(bot, "load_settings", lambda: load_settings({}, env_file=None))
    with pytest.raises(SystemExit) as exc:
        bot.create_app()
    assert exc.value.code == 2
    assert "WECHAT_TOKEN: is required but not set" in capsys.readouterr().err


def test_environment_wins_over_the_development_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "dev.env"
    env_file.write_text("WECHAT_TOKEN=fromfile\nSECRET_KEY=file-secret-key-0123456789\n", "utf-8")
    settings = load_settings(base_environ("sqlite://", WECHAT_TOKEN="fromenv"), env_file=env_file)
    assert settings.env.wechat_token == "fromenv"


def test_request_lines_lose_their_query_string_and_other_log_calls_still_format() -> None:
    import logging

    from bot.logs import StripQuery

    f = StripQuery()
    rec = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        "",
        0,
        '%s - "%s" %s',
        ("127.0.0.1", "POST /wechat?openid=o1&signature=ab HTTP/1.1", "200"),
        None,
    )
    f.filter(rec)
    assert "openid" not in rec.getMessage() and "POST /wechat HTTP/1.1" in rec.getMessage()
    rec = logging.LogRecord("zhiyong", logging.INFO, "", 0, "report %s", ({"sent": 1},), None)
    f.filter(rec)
    assert rec.getMessage() == "report {'sent': 1}"


def test_a_signed_survey_link_leaves_no_token_in_request_lines() -> None:
    import logging

    from bot.logs import RedactAccess
    from bot.logs import StripQuery

    token = "s1.AbCdEf123_-xyz.sig"
    rec = logging.LogRecord("werkzeug", logging.INFO, "", 0, '%s - "%s" %s',
                            ("127.0.0.1", f"GET /survey/{token}?x=1 HTTP/1.1", "200"), None)  # fmt: skip
    StripQuery().filter(rec)
    assert token not in rec.getMessage() and "GET /survey/… HTTP/1.1" in rec.getMessage()
    atoms = {"h": "127.0.0.1", "m": "POST", "U": f"/survey/{token}", "r": f"POST /survey/{token} HTTP/1.1", "s": "303"}
    rec = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, '%(h)s "%(m)s %(U)s" %(s)s', (atoms,), None)
    RedactAccess().filter(rec)
    assert token not in rec.getMessage() and rec.getMessage() == '127.0.0.1 "POST /survey/…" 303'
    plain = {"U": "/wechat", "r": "POST /wechat HTTP/1.1"}
    rec = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(U)s", (plain,), None)
    RedactAccess().filter(rec)
    assert rec.getMessage() == "/wechat"
