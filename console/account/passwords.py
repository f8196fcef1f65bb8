"""The one check of every new password against the breached-password list, and the password
validation Flask-Security runs for registration, reset, change and invitations.

Only the first 5 characters of the password's SHA-1 leave the server (k-anonymity, the
Pwned Passwords range API); the answer lists every known suffix with that prefix and how
often it appeared in breaches, and the match is made here. Flask-Security's own check
(SECURITY_PASSWORD_CHECK_BREACHED) cannot be pointed at another server nor given a timeout,
so the console's replaces it, keeping its count (SECURITY_PASSWORD_BREACHED_COUNT) and its
messages (SECURITY_MSG_PASSWORD_BREACHED, SECURITY_MSG_PASSWORD_BREACHED_SITE_ERROR).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import requests
from flask import Flask, current_app
from flask_security import PasswordUtil
from flask_security.utils import (
    get_message,
    password_complexity_validator,
    password_length_validator,
)

from ..config import ConfigError
from ..settings import setting

log = logging.getLogger(__name__)

FAIL_MODES = ("open", "closed")
PREFIX_LENGTH = 5


class BreachCheckUnavailable(RuntimeError):
    """The range API did not answer (network, timeout, an error status)."""


def check_settings(app: Flask) -> None:
    """Refuse to start with a failure mode that is neither "open" nor "closed"."""
    mode = setting("CONSOLE_BREACHED_PASSWORDS_FAIL", app.config)
    if mode not in FAIL_MODES:
        raise ConfigError(
            f"CONSOLE_BREACHED_PASSWORDS_FAIL must be 'open' or 'closed', not {mode!r}"
        )


def enabled() -> bool:
    """On when CONSOLE_BREACHED_PASSWORDS says so; unset, in production only."""
    choice = setting("CONSOLE_BREACHED_PASSWORDS")
    if choice is None:
        return setting("CONSOLE_ENV") == "production"
    return bool(choice)


def breach_count(password: str) -> int:
    """How often `password` appears in known breaches (0: never); raises
    BreachCheckUnavailable. Only the hash's 5-character prefix is sent."""
    digest = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
    prefix, suffix = digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]
    url = setting("CONSOLE_BREACHED_PASSWORDS_URL").rstrip("/") + "/" + prefix
    try:
        response = requests.get(
            url,
            # Padding makes every answer about the same size, so that its length on the
            # wire says nothing about the prefix.
            headers={"Add-Padding": "true", "User-Agent": "Security Console"},
            timeout=setting("CONSOLE_BREACHED_PASSWORDS_TIMEOUT"),
        )
        response.raise_for_status()
    except requests.RequestException as error:
        raise BreachCheckUnavailable(str(error)) from error
    for line in response.text.splitlines():
        found, _, count = line.strip().partition(":")
        if found.upper() == suffix:
            try:
                return int(count)
            except ValueError:
                raise BreachCheckUnavailable(f"unreadable answer line {line!r}") from None
    return 0


def refusal(password: str) -> str | None:
    """Why `password` may not be used because of the breached list, or None.

    When the API cannot be reached, CONSOLE_BREACHED_PASSWORDS_FAIL decides: "open" lets the
    password through (logged), "closed" refuses it with a message saying to try again.
    """
    if not enabled():
        return None
    try:
        count = breach_count(password)
    except BreachCheckUnavailable as error:
        log.warning("the breached-password check could not be made: %s", error)
        if setting("CONSOLE_BREACHED_PASSWORDS_FAIL") == "closed":
            return str(get_message("PASSWORD_BREACHED_SITE_ERROR")[0])
        return None
    if count and count >= current_app.config["SECURITY_PASSWORD_BREACHED_COUNT"]:
        return str(get_message("PASSWORD_BREACHED")[0])
    return None


class ConsolePasswordUtil(PasswordUtil):
    """Flask-Security's validation (normalization, length, zxcvbn strength) with the
    console's breached-password check; every form that sets a password runs it."""

    def validate(self, password: str, is_register: bool, **kwargs: Any) -> tuple[list | None, str]:
        normalized = self.normalize(password)
        problems = password_length_validator(normalized)
        if problems:
            return problems, normalized
        # Strength first: a weak password gets its feedback without asking the API.
        problems = password_complexity_validator(normalized, is_register, **kwargs)
        if problems:
            return problems, normalized
        message = refusal(normalized)
        return ([message] if message else None), normalized
