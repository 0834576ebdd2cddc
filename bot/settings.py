"""Start-up configuration: `config.yaml` plus the environment, validated once into typed settings.

A mistake stops the start with a `ConfigError` that names the file or key and says what is wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Literal

import yaml
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator

from handlers.config import CityConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"


class ConfigError(RuntimeError):
    """Configuration that cannot run; the message names the file or key."""


def _clean(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _format_validation(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid configuration"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {loc}: {_clean(err['msg'])}")
    return "\n".join(lines)


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path or os.environ.get("ZHIYONG_CONFIG") or DEFAULT_CONFIG)


def load_city_config(path: str | os.PathLike[str] | None = None) -> CityConfig:
    """Read and validate the city's YAML (``ZHIYONG_CONFIG`` or the project's ``config.yaml``)."""
    p = config_path(path)
    try:
        raw: Any = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: configuration file not found (set ZHIYONG_CONFIG)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: the top level must be a mapping of keys")
    try:
        return CityConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation(str(p), exc)) from None


# --- secrets and deployment settings from the environment -------------------------------------------------

_ENV_KEYS = {
    "wechat_token": "WECHAT_TOKEN",
    "wechat_aes_key": "WECHAT_AES_KEY",
    "wechat_app_id": "WECHAT_APP_ID",
    "wechat_app_secret": "WECHAT_APP_SECRET",
    "secret_key": "SECRET_KEY",
    "pseudonym_key": "PSEUDONYM_KEY",
    "audit_key": "AUDIT_KEY",
    "audit_checkpoint_dir": "AUDIT_CHECKPOINT_DIR",
    "database_url": "DATABASE_URL",
    "wechat_api_base_url": "WECHAT_API_BASE_URL",
    "wechat_mode": "WECHAT_MODE",
    "allow_insecure_wechat_mode": "ALLOW_INSECURE_WECHAT_MODE",
    "redis_url": "REDIS_URL",
    "public_base_url": "PUBLIC_BASE_URL",
    "environment": "ZHIYONG_ENV",
    "trusted_proxies": "TRUSTED_PROXIES",
    "callback_ip_check": "WECHAT_CALLBACK_IP_CHECK",
    "ntp_servers": "NTP_SERVERS",
}
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEV_ENV_FILE = INSTANCE_DIR / "dev.env"


class EnvSettings(BaseModel):
    """Secrets and deployment knobs; each field's error names its environment variable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wechat_token: str = Field(pattern=r"^[A-Za-z0-9]{3,32}$")
    wechat_aes_key: str | None = None
    wechat_app_id: str = Field(pattern=r"^[A-Za-z0-9_\-]{4,64}$")
    wechat_app_secret: str = Field(min_length=8)
    secret_key: str = Field(min_length=16)
    pseudonym_key: str = Field(min_length=16)
    # Keys the audit chain (HMAC); lives outside the database so its owner cannot re-sign an edited timeline.
    audit_key: str | None = Field(default=None, min_length=16)
    # Where the signed daily checkpoints of the audit chain go: somewhere the database owner cannot rewrite.
    audit_checkpoint_dir: str | None = None
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'zhiyong.db'}"
    wechat_api_base_url: str = "https://api.weixin.qq.com"
    wechat_mode: Literal["safe", "compat", "plain"] | None = None
    allow_insecure_wechat_mode: bool = False
    redis_url: str | None = None
    public_base_url: str = "http://127.0.0.1:5000"
    environment: Literal["development", "production", "test"] = "production"
    trusted_proxies: int = Field(default=0, ge=0, le=3)  # reverse proxies in front (nginx = 1): X-Forwarded-*
    callback_ip_check: bool | None = None  # flag pushes from outside getcallbackip; default: on in production
    # SNTP references for the clock health check (bot.host_clock): "host[:port],…"; unset, empty or "off" = none.
    ntp_servers: tuple[tuple[str, int], ...] = ()

    @field_validator("wechat_api_base_url", "public_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("ntp_servers", mode="before")
    @classmethod
    def _ntp_servers(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if value.strip().lower() in ("", "off"):
            return ()
        servers = []
        for entry in (e.strip() for e in value.split(",")):
            match = re.fullmatch(r"(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.\-]+))(?::([0-9]{1,5}))?", entry)
            port = int(match.group(3) or 123) if match else 0
            if not match or not 1 <= port <= 65535:
                raise ValueError(f"{entry!r} is not host[:port] (comma-separated; 'off' for none)")
            servers.append((match.group(1) or match.group(2), port))
        return tuple(servers)

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9]{43}", value):
            raise ValueError(f"must be exactly 43 characters from A-Z, a-z, 0-9 (got {len(value)} characters)")
        return value

    @field_validator("secret_key", "pseudonym_key", "wechat_app_secret")
    @classmethod
    def _not_placeholder(cls, value: str) -> str:
        if value.lower() in PLACEHOLDERS:
            raise ValueError("is a placeholder, set a real secret")
        return value


PLACEHOLDERS = {"changethis", "changeme", "secret", "password", "xxxxxxxx", "example", "default", "test", "admin",
                "zhiyong", "123456", "12345678", "qwerty", "abcdefgh"}  # fmt: skip
# Secrets checked for strength outside tests: variable → the shortest length a real one has.
STRONG_SECRETS = {"SECRET_KEY": 16, "PSEUDONYM_KEY": 16, "WECHAT_APP_SECRET": 16, "WECHAT_AES_KEY": 43,
                  "AUDIT_KEY": 16}  # fmt: skip


def secret_weakness(value: str) -> str | None:
    """Why `value` is not a usable secret, or None: a placeholder (also repeated: changemechangeme), one short
    pattern repeated (aaaaaaaa…, abcabc…), too few different characters, or a plain run (0123456789abcdef…)."""
    low = re.sub(r"[^a-z0-9]", "", value.lower())  # changeme-changeme, Change_Me: the same placeholder
    for k in range(1, len(value) // 2 + 1):
        if len(value) % k == 0 and value[:k] * (len(value) // k) == value:
            return "is one short pattern repeated"
    for word in PLACEHOLDERS:
        if low and low.replace(word, "") == "":
            return "is a placeholder, set a real secret"
    if len(set(value)) < max(6, len(value) // 5):
        return f"has only {len(set(value))} different characters"
    steps = sum(1 for a, b in zip(value, value[1:], strict=False) if ord(b) - ord(a) == 1)
    if steps >= len(value) * 0.6:
        return "is a plain run of characters"
    return None


@dataclass(frozen=True)
class Settings:
    env: EnvSettings
    city: CityConfig
    config_file: Path

    @property
    def wechat_mode(self) -> str:
        return self.env.wechat_mode or self.city.wechat.mode

    @property
    def development(self) -> bool:
        return self.env.environment == "development"

    @property
    def audit_key(self) -> bytes:
        """AUDIT_KEY; outside production, when it is unset, a key derived from SECRET_KEY (never stored)."""
        if self.env.audit_key:
            return self.env.audit_key.encode("utf-8")
        return hmac.new(self.env.secret_key.encode("utf-8"), b"zhiyong audit chain", hashlib.sha256).digest()


def _check_secrets(env: EnvSettings) -> None:
    """Refuse weak or shared secrets outside tests, naming the variable (never printing the value)."""
    values = {"SECRET_KEY": env.secret_key, "PSEUDONYM_KEY": env.pseudonym_key,
              "WECHAT_APP_SECRET": env.wechat_app_secret, "WECHAT_AES_KEY": env.wechat_aes_key,
              "AUDIT_KEY": env.audit_key}  # fmt: skip
    problems = []
    for var, value in values.items():
        if value is None:
            continue
        if len(value) < STRONG_SECRETS[var]:
            problems.append(f"  {var}: is {len(value)} characters; a real one has at least {STRONG_SECRETS[var]}")
        elif (why := secret_weakness(value)) is not None:
            problems.append(f"  {var}: {why}")
    seen: dict[str, str] = {}
    for var, value in values.items():
        if value and value in seen:
            problems.append(f"  {var}: must differ from {seen[value]}")
        elif value:
            seen[value] = var
    if problems:
        raise ConfigError("weak secrets refused (ZHIYONG_ENV=" + env.environment + ")\n" + "\n".join(problems))


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def load_settings(environ: Mapping[str, str] | None = None, *, env_file: Path | None = DEV_ENV_FILE) -> Settings:
    """Validate the environment and `config.yaml` once; raise ConfigError naming the variable or key."""
    environ = dict(os.environ if environ is None else environ)
    if env_file is not None and environ.get("ZHIYONG_ENV") == "development" and env_file.exists():
        # Development secrets written by `make run`, read only when the real environment says development (make run
        # does): a production host that happens to have the file stays production. The environment always wins.
        for key, value in _read_env_file(env_file).items():
            if key != "ZHIYONG_ENV":
                environ.setdefault(key, value)
    raw: dict[str, Any] = {}
    for field_name, var in _ENV_KEYS.items():
        value = environ.get(var)
        if value is not None and value != "":
            raw[field_name] = value
    try:
        env = EnvSettings.model_validate(raw)
    except ValidationError as exc:
        lines = ["invalid environment"]
        for err in exc.errors():
            field_name = str(err["loc"][0]) if err["loc"] else ""
            var = _ENV_KEYS.get(field_name, field_name)
            msg = "is required but not set" if err["type"] == "missing" else _clean(err["msg"])
            lines.append(f"  {var}: {msg}")
        raise ConfigError("\n".join(lines)) from None
    city = load_city_config(environ.get("ZHIYONG_CONFIG"))
    settings = Settings(env=env, city=city, config_file=config_path(environ.get("ZHIYONG_CONFIG")))
    mode = settings.wechat_mode
    if mode != "safe" and not env.allow_insecure_wechat_mode:
        raise ConfigError(
            f"WECHAT_MODE / wechat.mode: {mode!r} mode does not authenticate message bodies; "
            "use safe mode, or set ALLOW_INSECURE_WECHAT_MODE=1 for tests only"
        )
    if mode != "safe" and env.environment != "test":
        raise ConfigError(
            f"WECHAT_MODE / wechat.mode: {mode!r} mode is refused outside tests (ZHIYONG_ENV={env.environment}); "
            "ALLOW_INSECURE_WECHAT_MODE only works with ZHIYONG_ENV=test"
        )
    if env.environment == "production" and not env.audit_key:
        raise ConfigError(
            "AUDIT_KEY: is required in production (it keys the audit chain; keep it off the database host)"
        )
    if env.environment != "test":
        _check_secrets(env)
    if mode in ("safe", "compat") and not env.wechat_aes_key:
        raise ConfigError(f"WECHAT_AES_KEY: is required in {mode} mode (43 characters from the account settings)")
    return settings
