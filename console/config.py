"""Configuration read from the environment, with safe development defaults."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from .settings import DEFAULTS

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Marks `message` for the catalogue; it is translated where it is shown."""
    return message


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
        # The job queue too (CONSOLE_JOBS_REDIS_URL, read below, may name another one).
        cfg["CONSOLE_JOBS_REDIS_URL"] = env["REDIS_URL"]
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
    if env.get("APPLICATION_ROOT"):
        # The path a proxy serves the console under (with X-Forwarded-Prefix): cookies
        # are scoped to it.
        cfg["APPLICATION_ROOT"] = env["APPLICATION_ROOT"]
    cfg.update(settings_from(env))
    return cfg


# Variables with the console's prefix that are not settings: where to find things.
NOT_SETTINGS = frozenset({"CONSOLE_CONFIG_FILE", "CONSOLE_INSTANCE_PATH"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_ISO_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE,
)


def setting_default(name: str) -> tuple[bool, Any]:
    """(known, default) for a CONSOLE_* or SECURITY_* setting: the console's own defaults,
    then Flask-Security's."""
    if name in DEFAULTS:
        return True, DEFAULTS[name]
    if name.startswith("SECURITY_"):
        ours = security_defaults(DEV_SECRET, DEFAULTS["CONSOLE_SITE_NAME"])
        if name in ours:
            return True, ours[name]
        from flask_security.core import _default_config, _default_messages

        short = name.removeprefix("SECURITY_")
        if short in _default_config:
            return True, _default_config[short]
        if short.startswith("MSG_") and short.removeprefix("MSG_") in _default_messages:
            return True, _default_messages[short.removeprefix("MSG_")]
    return False, None


def settings_from(values: Mapping[str, Any], source: str = "environment") -> dict[str, Any]:
    """Every CONSOLE_* and SECURITY_* setting in `values`, converted to its default's type.

    A value that does not convert raises ConfigError naming the variable; a name that is no
    setting is logged and left out, so a typo is visible without stopping the console.
    """
    found: dict[str, Any] = {}
    for name, value in values.items():
        if not name.startswith(("CONSOLE_", "SECURITY_")) or name in NOT_SETTINGS:
            continue
        if name.startswith("CONSOLE_TEST_"):
            continue  # the test suite's own switches
        known, default = setting_default(name)
        if not known:
            log.warning("%s in the %s is not a console or Flask-Security setting", name, source)
            continue
        try:
            found[name] = convert(value, default, message=name.startswith("SECURITY_MSG_"))
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{name}={value!r} in the {source}: {error}") from None
    return found


def convert(value: Any, default: Any, *, message: bool = False) -> Any:
    """`value` (a string from the environment, or a value from a file) as `default`'s type."""
    if message:
        # Flask-Security's messages are (text, category): text alone keeps the category.
        if isinstance(value, str) and value.lstrip().startswith("["):
            value = json.loads(value)
        if isinstance(value, str):
            return (value, default[1])
        return tuple(_expect(value, (list, tuple), "a JSON array [text, category]"))
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError("expected a boolean (true/false, yes/no, on/off, 1/0)")
    if isinstance(default, timedelta):
        return _duration(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError("expected a whole number")
        try:
            return int(value)
        except ValueError:
            raise ValueError("expected a whole number") from None
    if isinstance(default, float):
        try:
            return float(value)
        except ValueError:
            raise ValueError("expected a number") from None
    if isinstance(default, list | tuple | set | frozenset):
        items = _list(value)
        return type(default)(items) if isinstance(default, tuple | set | frozenset) else items
    if isinstance(default, dict):
        if isinstance(value, str):
            value = _json(value)
        return _expect(value, dict, "a JSON object")
    if isinstance(default, str):
        return str(value)
    if default is None and isinstance(value, str):
        # No default to go by: JSON when it parses (true, 10, ["a"]), else the text itself.
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    text = str(value).strip()
    try:
        return timedelta(seconds=float(text))
    except ValueError:
        pass
    match = _ISO_DURATION.fullmatch(text)
    if match and text.upper() not in ("P", "PT") and not text.upper().endswith("T"):
        parts = {k: float(v) for k, v in match.groupdict().items() if v}
        return timedelta(**parts)
    raise ValueError("expected a duration in seconds (900) or ISO 8601 (PT15M, P1D)")


def _list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    text = str(value).strip()
    if text.startswith("["):
        return _expect(_json(text), list, "a JSON array")
    return [item.strip() for item in text.split(",") if item.strip()]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"not valid JSON ({error})") from None


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"expected {what}")
    return value


def configure(app: Flask, env: Mapping[str, str] | None = None) -> None:
    """The standalone console's configuration: the file CONSOLE_CONFIG_FILE names (Python or
    TOML), then the environment, whose variables win."""
    env = os.environ if env is None else env
    path = env.get("CONSOLE_CONFIG_FILE")
    if path:
        app.config.update(from_file(path))
    app.config.update(from_environment(dict(env)))


def from_file(path: str) -> dict[str, Any]:
    """The settings in a Python (.py) or TOML (.toml) configuration file."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"CONSOLE_CONFIG_FILE={path!r}: no such file")
    if source.suffix == ".toml":
        try:
            with source.open("rb") as f:
                values = tomllib.load(f)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"CONSOLE_CONFIG_FILE={path!r}: {error}") from None
    else:
        from flask import Config

        config = Config(str(source.parent))
        config.from_pyfile(str(source.resolve()))
        values = dict(config)
    values = {key: value for key, value in values.items() if key.isupper()}
    values.update(settings_from(values, source=str(source)))
    return values


# Defaults of security_defaults() that a host bringing its own models does not get: its
# accounts were made under Flask-Security's own defaults, and these would lock them out.
# A host that sets them itself keeps its values, as with every other setting.
KEPT_FOR_HOST_MODELS = (
    # Accounts created without a confirmed address (Flask-Security's default) could no
    # longer sign in.
    "SECURITY_CONFIRMABLE",
)


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
        # An internal tool: accounts are created by operators or invitations. Set
        # SECURITY_REGISTERABLE=true to let anyone sign up.
        "SECURITY_REGISTERABLE": False,
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
        **{f"SECURITY_MSG_{key}": value for key, value in MESSAGES.items()},
    }


def _reset_message(invitation: str, reset: str) -> str:
    """The invitation's wording when this request accepts one (see users.invitations)."""
    from flask import g, has_request_context
    from flask_babel import gettext

    accepted = has_request_context() and g.get("console_invitation") is not None
    return gettext(invitation if accepted else reset)


# Flask-Security's messages that people read on the console's pages, in the console's
# voice (keyed as SECURITY_MSG_<KEY>; a deployment may still override any of them).
MESSAGES: dict[str, tuple[Any, str]] = {
    "REAUTHENTICATION_REQUIRED": (_l("For your security, confirm it is you to continue."), "info"),
    "REFRESH": (_l("For your security, confirm it is you to continue."), "info"),
    "REAUTHENTICATION_SUCCESSFUL": (_l("Thank you, you can continue."), "success"),
    "LOGIN": (_l("Sign in to see this page."), "info"),
    "ANONYMOUS_USER_REQUIRED": (_l("You are already signed in."), "info"),
    # The breached-password check (console.account.passwords).
    "PASSWORD_BREACHED": (
        _l(
            "This password appears in known data breaches, so others may try it. "
            "Choose a different one."
        ),
        "error",
    ),
    "PASSWORD_BREACHED_SITE_ERROR": (
        _l(
            "The password could not be checked against the list of breached passwords just "
            "now. Try again in a few minutes."
        ),
        "error",
    ),
    "PASSWORD_RESET": (
        LazyString(
            _reset_message,
            N_("Your account is ready and you are signed in."),
            N_("Your password has been changed and you are signed in."),
        ),
        "success",
    ),
    "PASSWORD_RESET_NO_LOGIN": (
        LazyString(
            _reset_message,
            N_("Your account is ready. Sign in with your new password."),
            N_("Your password has been changed. Sign in with your new password."),
        ),
        "success",
    ),
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
