"""Production cannot start as development, on weak secrets, or on the demo city (findings 6 and 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import create_app
from bot.runtime import runtime
from bot.settings import ConfigError
from bot.settings import load_settings
from tests.conftest import base_environ
from tests.conftest import make_settings

STRONG = {"SECRET_KEY": "k7Qw2pZr9Xv4Lm1Ns8Ty", "PSEUDONYM_KEY": "p3Hd8Jc5Vb2Nq7Wx4Rz1", "AUDIT_KEY": "a9Gf4Ks2Mt7Pw1Ry6Ue3",
          "WECHAT_APP_SECRET": "9f3c2a1be0d44c8e9a7b6c5d4e3f2a1b"}  # fmt: skip


def production(**overrides: str):  # type: ignore[no-untyped-def]
    env = base_environ("sqlite:///:memory:", ZHIYONG_ENV="production", **STRONG)
    env.update(overrides)
    return load_settings({k: v for k, v in env.items() if v != "<unset>"}, env_file=None)


def test_production_with_strong_secrets_starts() -> None:
    assert production().env.environment == "production"


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("SECRET_KEY", "aaaaaaaaaaaaaaaa", "SECRET_KEY: is one short pattern repeated"),
        ("SECRET_KEY", "changemechangeme", "SECRET_KEY: is one short pattern repeated"),
        ("PSEUDONYM_KEY", "changeme-changeme", "PSEUDONYM_KEY: is a placeholder"),
        ("SECRET_KEY", "0123456789abcdef", "SECRET_KEY: is a plain run of characters"),
        ("SECRET_KEY", "abababababababac", "SECRET_KEY: has only 3 different characters"),
        ("WECHAT_AES_KEY", "A" * 43, "WECHAT_AES_KEY: is one short pattern repeated"),
        ("WECHAT_APP_SECRET", "a1b2c3d4", "WECHAT_APP_SECRET: is 8 characters"),
    ],
)
def test_weak_secrets_are_refused_naming_the_variable(var: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        production(**{var: value})
    assert says in str(err.value) and value not in str(err.value).replace(var, "")


def test_the_same_secret_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="PSEUDONYM_KEY: must differ from SECRET_KEY"):
        production(PSEUDONYM_KEY=STRONG["SECRET_KEY"])


def test_production_needs_its_own_audit_key() -> None:
    with pytest.raises(ConfigError, match="AUDIT_KEY: is required in production"):
        production(AUDIT_KEY="<unset>")


def test_insecure_wechat_modes_only_in_tests() -> None:
    with pytest.raises(ConfigError, match="refused outside tests"):
        production(WECHAT_MODE="plain", ALLOW_INSECURE_WECHAT_MODE="1")
    with pytest.raises(ConfigError, match="refused outside tests"):
        production(WECHAT_MODE="compat", ALLOW_INSECURE_WECHAT_MODE="1", ZHIYONG_ENV="development")


def test_a_dev_env_file_is_ignored_unless_the_environment_says_development(tmp_path: Path) -> None:
    dev = tmp_path / "dev.env"
    dev.write_text("ZHIYONG_ENV=development\nWECHAT_TOKEN=devtoken123\n", "utf-8")
    env = base_environ("sqlite:///:memory:", ZHIYONG_ENV="<unset>", WECHAT_TOKEN="<unset>", **STRONG)
    env = {k: v for k, v in env.items() if v != "<unset>"}
    with pytest.raises(ConfigError, match="WECHAT_TOKEN: is required"):
        load_settings(env, env_file=dev)  # production by default: the file is not read, not even its ZHIYONG_ENV
    settings = load_settings({**env, "ZHIYONG_ENV": "development"}, env_file=dev)
    assert settings.development and settings.env.wechat_token == "devtoken123"


def test_production_refuses_a_database_with_the_demo_city(db_url: str, clock, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dev_app = create_app(make_settings(db_url, ZHIYONG_ENV="development"), clock=clock)
    runtime(dev_app).services["evidence_dir"] = tmp_path / "evidence"  # the demo's 暗访 photo, not in instance/
    seeded = dev_app.test_cli_runner().invoke(args=["demo", "seed", "--weeks", "1"])
    runtime(dev_app).db.dispose()
    assert seeded.exit_code == 0, seeded.output
    with pytest.raises(SystemExit):
        create_app(make_settings(db_url, ZHIYONG_ENV="production", **STRONG), clock=clock)
    assert "refusing to start in production: the demo city was seeded" in capsys.readouterr().err


def test_production_refuses_an_account_with_the_demo_password(db_url: str, clock, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.dev.demo_accounts import DEMO_PASSWORD

    dev_app = create_app(make_settings(db_url, ZHIYONG_ENV="development"), clock=clock)
    made = dev_app.test_cli_runner().invoke(
        args=[
            "staff",
            "create",
            "--username",
            "admin",
            "--role",
            "admin",
            "--name",
            "管理员",
            "--password",
            DEMO_PASSWORD,
        ]
    )
    runtime(dev_app).db.dispose()
    assert made.exit_code == 0, made.output
    with pytest.raises(SystemExit):
        create_app(make_settings(db_url, ZHIYONG_ENV="production", **STRONG), clock=clock)
    assert "a console account still has the demo password" in capsys.readouterr().err
