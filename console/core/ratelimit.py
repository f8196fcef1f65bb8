"""Rate limits (Flask-Limiter): features declare the endpoints that check a credential or
send mail, and one before-request check counts them per client address and per account;
`spend` counts a budget a feature keys itself (the API's, per token)."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request, session
from flask_limiter import Limiter
from flask_login import current_user
from limits import parse
from werkzeug.exceptions import TooManyRequests

from ..settings import setting

log = logging.getLogger(__name__)

EXTENSION_KEY = "console.ratelimit"

# Each kind of limit and the setting that holds its rate.
KINDS = {
    "credentials": "CONSOLE_RATELIMIT_CREDENTIALS",
    "mail": "CONSOLE_RATELIMIT_MAIL",
    "operator_mail": "CONSOLE_RATELIMIT_OPERATOR_MAIL",
}
# Form or JSON fields that name the account a request is about.
IDENTITY_FIELDS = ("email", "username", "identity")


class RateLimited(TooManyRequests):
    """A 429 that carries its Retry-After (rendered by console.core.errors)."""


def limit(app: Flask, endpoint: str, kind: str = "credentials", on_get: bool = False) -> None:
    """Count POSTs to `endpoint` against the `kind` limit ("credentials", "mail" or
    "operator_mail"); `on_get` counts GETs too (a link that checks a token)."""
    if kind not in KINDS:
        raise ValueError(f"unknown rate limit kind {kind!r}")
    app.extensions["console"].rate_limits[endpoint] = (kind, on_get)


def limited(app: Flask) -> dict[str, str]:
    """Every rate-limited endpoint of `app` and its kind of limit."""
    return {endpoint: kind for endpoint, (kind, _) in app.extensions["console"].rate_limits.items()}


def limiter(app: Flask) -> Limiter:
    """`app`'s Limiter (its counters: reset() clears them)."""
    return app.extensions[EXTENSION_KEY]


def client_address() -> str:
    """The client's address (ProxyFix, when configured, has already applied X-Forwarded-For)."""
    return f"ip:{request.remote_addr or 'unknown'}"


def account() -> str | None:
    """The account the request names, hashed (no address ever lands in the counter store)."""
    identity = None
    data = request.get_json(silent=True) if request.is_json else request.form
    if isinstance(data, dict) or hasattr(data, "get"):
        for name in IDENTITY_FIELDS:
            value = data.get(name)
            if isinstance(value, str) and value.strip():
                identity = f"id:{value.strip().casefold()}"
                break
    if identity is None and session.get("tf_user_id") is not None:
        # The second step of a two-factor sign-in: the account is in the session.
        identity = f"tf:{session['tf_user_id']}"
    if identity is None and current_user.is_authenticated:
        identity = f"user:{current_user.fs_uniquifier}"
    if identity is None:
        return None
    return "acct:" + hashlib.sha256(identity.encode()).hexdigest()[:32]


def _check() -> None:
    own: Limiter | None = current_app.extensions.get(EXTENSION_KEY)
    if own is None or not own.enabled or request.method not in ("POST", "GET"):
        return
    declared = current_app.extensions["console"].rate_limits.get(request.endpoint)
    if declared is None:
        return
    kind, on_get = declared
    if request.method == "GET" and not on_get:
        return
    item = parse(setting(KINDS[kind]))
    subjects = [client_address(), account()]
    try:
        for subject in filter(None, subjects):
            if not own.limiter.hit(item, kind, subject):
                reset_at = own.limiter.get_window_stats(item, kind, subject).reset_time
                retry = max(1, math.ceil(reset_at - time.time()))
                log.info("rate limit reached endpoint=%s kind=%s", request.endpoint, kind)
                raise RateLimited(retry_after=retry)
    except RateLimited:
        raise
    except Exception:  # noqa: BLE001
        # A counter store that is down must not lock everyone out; the lockout still holds.
        log.exception("rate limit store unavailable; request allowed")


@dataclass(frozen=True)
class Budget:
    """What one subject has left under a rate after a request (for RateLimit headers)."""

    quota: int
    window: int  # seconds
    remaining: int
    reset: int  # seconds until a spent request is given back (at least 1)
    allowed: bool


def spend(rate: str, scope: str, subject: str) -> Budget | None:
    """Count one request of `subject` against `rate` ("600 per minute"), kept apart from other
    limits by `scope`, in the limiter's store (Redis: shared by every worker and host).

    None when the limiter is switched off, or its store is down (the request is allowed then).
    A refused request is not counted: a client that waits gets its budget back.
    """
    own: Limiter | None = current_app.extensions.get(EXTENSION_KEY)
    if own is None or not own.enabled:
        return None
    item = parse(rate)
    try:
        allowed = own.limiter.hit(item, scope, subject)
        reset_at, remaining = own.limiter.get_window_stats(item, scope, subject)
    except Exception:  # noqa: BLE001
        log.exception("rate limit store unavailable; request allowed")
        return None
    return Budget(
        quota=item.amount,
        window=item.get_expiry(),
        remaining=max(0, remaining),
        reset=max(1, math.ceil(reset_at - time.time())),
        allowed=allowed,
    )


def init_app(app: Flask) -> None:
    """A Limiter of this app's own (tests build many apps), with counters in
    RATELIMIT_STORAGE_URI (Redis, shared by every worker) or in memory."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "console")
    own = Limiter(key_func=client_address, default_limits=[])
    own.init_app(app)
    app.extensions[EXTENSION_KEY] = own
    app.before_request(_check)
