"""Rate limits (Flask-Limiter) on every endpoint that checks a credential or sends mail."""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import parse
from werkzeug.exceptions import TooManyRequests

from ..settings import setting
from . import keys

if TYPE_CHECKING:
    from .. import ConsoleState

log = logging.getLogger(__name__)

EXTENSION_KEY = "console.ratelimit"

# Endpoints that check a credential, and endpoints that send mail; POST only (a GET shows a
# form). Features add their own with protect().
CREDENTIAL_ENDPOINTS = (
    "security.login",
    "security.verify",
    "security.two_factor_token_validation",
    "security.mf_recovery",
    "security.us_signin",
    "security.us_verify",
    "security.wan_signin",
    "security.wan_signin_response",
    "security.wan_verify",
    "security.wan_verify_response",
    "security.reset_password",
    "security.confirm_email",
    "security.us_verify_link",
    "security.two_factor_setup_validate",
    "security.us_setup_validate",
)
MAIL_ENDPOINTS = (
    "security.forgot_password",
    "security.send_confirmation",
    "security.register",
    "security.change_email",
    "security.recover_username",
    "security.two_factor_rescue",
    "security.us_signin_send_code",
    "security.us_verify_send_code",
    "security.two_factor_setup",
    "security.us_setup",
)
# Operator actions of other features that send mail; absent features are simply not matched.
OPERATOR_MAIL_ENDPOINTS = ("users.new_view", "users.invite_view", "users.run_action_view")
# Links that check a token or code on GET (Flask-Security's e-mail links).
GET_ENDPOINTS = frozenset({"security.us_verify_link", "security.confirm_email"})
LIMIT_SETTINGS = {
    "credentials": "RATELIMIT_CREDENTIALS",
    "mail": "RATELIMIT_MAIL",
    "operator_mail": "RATELIMIT_OPERATOR_MAIL",
}


class RateLimited(TooManyRequests):
    """A 429 that carries its Retry-After (rendered by console.core.errors)."""


def protect(app: Flask, endpoint: str, kind: str = "credentials") -> None:
    """Rate-limit POSTs to `endpoint` like the sign-in ("credentials"), mail ("mail") or
    operator mail ("operator_mail") ones.

    Other features call this from their init_app for their own actions that send mail or
    check a secret (an invitation, an operator's password reset).
    """
    if kind not in LIMIT_SETTINGS:
        raise ValueError(f"unknown rate limit kind {kind!r}")
    app.extensions.setdefault(EXTENSION_KEY + ".endpoints", {})[endpoint] = kind


def _check() -> None:
    limiter: Limiter | None = current_app.extensions.get(EXTENSION_KEY)
    if limiter is None or not limiter.enabled:
        return
    if request.method != "POST" and not (
        request.method == "GET" and request.endpoint in GET_ENDPOINTS
    ):
        return
    kind = current_app.extensions.get(EXTENSION_KEY + ".endpoints", {}).get(request.endpoint)
    if kind is None:
        return
    item = parse(setting(LIMIT_SETTINGS[kind]))
    subjects = [keys.client_address(), keys.account()]
    try:
        for subject in filter(None, subjects):
            if not limiter.limiter.hit(item, kind, subject):
                reset_at = limiter.limiter.get_window_stats(item, kind, subject).reset_time
                retry = max(1, math.ceil(reset_at - time.time()))
                log.info("rate limit reached endpoint=%s kind=%s", request.endpoint, kind)
                raise RateLimited(retry_after=retry)
    except RateLimited:
        raise
    except Exception:  # noqa: BLE001
        # A counter store that is down must not lock everyone out; the lockout still holds.
        log.exception("rate limit store unavailable; request allowed")


def init_app(app: Flask, state: ConsoleState) -> None:
    """A Limiter of this app's own (tests build many apps), with counters in
    RATELIMIT_STORAGE_URI (Redis, shared by every worker) or in memory."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "console")
    limiter = Limiter(key_func=keys.client_address, default_limits=[])
    limiter.init_app(app)
    app.extensions[EXTENSION_KEY] = limiter
    for endpoint in CREDENTIAL_ENDPOINTS:
        protect(app, endpoint, "credentials")
    for endpoint in MAIL_ENDPOINTS:
        protect(app, endpoint, "mail")
    for endpoint in OPERATOR_MAIL_ENDPOINTS:
        protect(app, endpoint, "operator_mail")
    app.before_request(_check)
