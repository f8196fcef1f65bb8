"""Configuration read from the environment, with safe development defaults."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from .settings import DEFAULTS

DEV_SECRET = DEFAULTS["CONSOLE_DEV_SECRET"]


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the console refuses to start."""


def _derive(secret: str, purpose: str) -> str:
    """A stable per-purpose key derived from the secret key, so one secret configures all."""
    return hashlib.sha256(f"{purpose}:{secret}".encode()).hexdigest()


def _fernet_key(secret: str) -> bytes:
    digest = hashlib.sha256(f"recovery-codes:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


def default_database_url() -> str:
    instance = Path(os.environ.get("CONSOLE_INSTANCE_PATH", Path.cwd() / "instance"))
    return f"sqlite:///{instance.resolve() / 'console.db'}"


def from_environment(env: dict[str, str] | None = None) -> dict[str, Any]:
    """Flask configuration built from environment variables."""
    env = dict(os.environ if env is None else env)
    cfg: dict[str, Any] = {}
    cfg["CONSOLE_ENV"] = env.get("CONSOLE_ENV", "development")
    cfg["SECRET_KEY"] = env.get("SECRET_KEY", DEV_SECRET)
    cfg["SQLALCHEMY_DATABASE_URI"] = env.get("DATABASE_URL") or default_database_url()
    if env.get("REDIS_URL"):
        cfg["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
    if env.get("MAIL_SERVER"):
        cfg["CONSOLE_MAIL_OUTBOX"] = False
        cfg["MAIL_SERVER"] = env["MAIL_SERVER"]
        cfg["MAIL_PORT"] = int(env.get("MAIL_PORT", "587"))
        cfg["MAIL_USERNAME"] = env.get("MAIL_USERNAME")
        cfg["MAIL_PASSWORD"] = env.get("MAIL_PASSWORD")
        cfg["MAIL_USE_TLS"] = env.get("MAIL_USE_TLS", "true").lower() in ("1", "true", "yes")
        cfg["MAIL_USE_SSL"] = env.get("MAIL_USE_SSL", "false").lower() in ("1", "true", "yes")
    if env.get("MAIL_DEFAULT_SENDER"):
        cfg["MAIL_DEFAULT_SENDER"] = env["MAIL_DEFAULT_SENDER"]
    if env.get("CONSOLE_PROXY_FIX"):
        cfg["CONSOLE_PROXY_FIX"] = int(env["CONSOLE_PROXY_FIX"])
    for key in (
        "CONSOLE_DB_POOL_SIZE",
        "CONSOLE_DB_MAX_OVERFLOW",
        "CONSOLE_DB_POOL_TIMEOUT",
        "CONSOLE_DB_STATEMENT_TIMEOUT_MS",
    ):
        if env.get(key):
            cfg[key] = int(env[key])
    if env.get("APPLICATION_ROOT"):
        # The path a proxy serves the console under (with X-Forwarded-Prefix): cookies
        # are scoped to it.
        cfg["APPLICATION_ROOT"] = env["APPLICATION_ROOT"]
    if env.get("CONSOLE_SITE_NAME"):
        cfg["CONSOLE_SITE_NAME"] = env["CONSOLE_SITE_NAME"]
    return cfg


def security_defaults(secret: str, site_name: str) -> dict[str, Any]:
    """Flask-Security settings the console is built around; the host may override any."""
    return {
        "SECURITY_PASSWORD_HASH": "argon2",
        "SECURITY_PASSWORD_SALT": _derive(secret, "password-salt"),
        "SECURITY_TOTP_SECRETS": {"1": _derive(secret, "totp")},
        "SECURITY_TOTP_ISSUER": site_name,
        "SECURITY_PASSWORD_COMPLEXITY_CHECKER": "zxcvbn",
        "SECURITY_ZXCVBN_MINIMUM_SCORE": 2,
        "SECURITY_CONFIRMABLE": True,
        "SECURITY_REGISTERABLE": True,
        "SECURITY_RECOVERABLE": True,
        "SECURITY_CHANGEABLE": True,
        "SECURITY_CHANGE_EMAIL": True,
        "SECURITY_USERNAME_ENABLE": True,
        "SECURITY_USERNAME_RECOVERY": True,
        "SECURITY_TRACKABLE": True,
        "SECURITY_TWO_FACTOR": True,
        "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["authenticator", "email"],
        "SECURITY_TWO_FACTOR_RESCUE_MAIL": "security@localhost",
        "SECURITY_UNIFIED_SIGNIN": True,
        "SECURITY_US_ENABLED_METHODS": ["password", "email", "authenticator"],
        "SECURITY_WEBAUTHN": True,
        "SECURITY_WAN_ALLOW_AS_FIRST_FACTOR": True,
        "SECURITY_WAN_ALLOW_AS_MULTI_FACTOR": True,
        "SECURITY_WAN_ALLOW_AS_VERIFY": ["first", "secondary"],
        "SECURITY_WAN_RP_NAME": site_name,
        "SECURITY_MULTI_FACTOR_RECOVERY_CODES": True,
        "SECURITY_MULTI_FACTOR_RECOVERY_CODES_N": 10,
        "SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS": [_fernet_key(secret)],
        "SECURITY_FRESHNESS": timedelta(minutes=15),
        "SECURITY_FRESHNESS_GRACE_PERIOD": timedelta(minutes=2),
        "SECURITY_RETURN_GENERIC_RESPONSES": True,
        "SECURITY_SCRIPT_NONCE_KEY": "csp_nonce",
        "SECURITY_POST_LOGIN_VIEW": "console.home",
        "SECURITY_POST_LOGOUT_VIEW": "security.login",
        "SECURITY_POST_REGISTER_VIEW": "security.login",
        "SECURITY_EMAIL_SENDER": "Security Console <no-reply@localhost>",
        "SECURITY_LOGOUT_METHODS": ["POST"],
        # Flask-Security's lookup joins every role membership; on SQLite that join is
        # materialized whole before the user is found. Roles load by the user's id instead.
        "SECURITY_JOIN_USER_ROLES": False,
        # Flask-Security's catalogues first, then the console's supplements for the
        # messages some of them leave untranslated.
        "SECURITY_I18N_DIRNAME": ["builtin", str(_translations_dir())],
        # Validate the address's form only: a DNS lookup would make sign-up depend on
        # the network and reveal nothing useful.
        "SECURITY_EMAIL_VALIDATOR_ARGS": {"check_deliverability": False},
    }


def _translations_dir() -> Path:
    from . import resource_dir

    return resource_dir("translations")


def check_production(config: dict[str, Any]) -> None:
    """Refuse to run in production with a development secret or an unsafe setting."""
    if config.get("CONSOLE_ENV") != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET or len(secret) < 32:
        raise ConfigError(
            "CONSOLE_ENV=production needs SECRET_KEY set to a random value of at least "
            "32 characters (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )
