"""Security headers (a strict CSP with a per-request nonce, and friends), cookie names and
the last line of defence against redirects off the site."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from ..settings import setting
from .paths import under_prefix
from .redirects import REDIRECT_HEADERS, home, is_chosen_offsite, is_safe_header

log = logging.getLogger(__name__)

HOST_PREFIX = "__Host-"
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# app.extensions key: origins besides this one that the console's forms may lead to, through
# a redirect of the console's own (an identity provider's sign-in page after the sign-in
# form posts to the console): browsers hold such redirects to the form-action directive.
FORM_TARGETS = "console.form_targets"


def _nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def allow_form_target(app: Flask, url: str) -> None:
    """Let the console's forms lead, through a redirect of its own, to `url`'s origin."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        app.extensions.setdefault(FORM_TARGETS, set()).add(f"{parts.scheme}://{parts.netloc}")


def content_security_policy(nonce: str, form_targets: Iterable[str] = ()) -> str:
    """No inline script or style: scripts load from this origin or carry the nonce."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            " ".join(["form-action 'self'", *sorted(form_targets)]),
            "frame-ancestors 'none'",
        ]
    )


def use_host_prefix(config: dict) -> bool:
    """Whether cookie names get the __Host- prefix (CONSOLE_COOKIE_HOST_PREFIX, or automatic)."""
    choice = setting("CONSOLE_COOKIE_HOST_PREFIX", config)
    if choice is not None:
        return bool(choice)
    return setting("CONSOLE_ENV", config) == "production" and not config.get(
        "SESSION_COOKIE_DOMAIN"
    )


def _configure_cookies(app: Flask) -> None:
    if not use_host_prefix(app.config):
        return
    # __Host- cookies are refused by browsers unless Secure, host-only and Path=/.
    for kind, default in (("SESSION", "session"), ("REMEMBER", "remember_token")):
        name = app.config.get(f"{kind}_COOKIE_NAME") or default
        if not name.startswith(HOST_PREFIX):
            app.config[f"{kind}_COOKIE_NAME"] = HOST_PREFIX + name
        app.config[f"{kind}_COOKIE_SECURE"] = True
        app.config[f"{kind}_COOKIE_PATH"] = "/"
        app.config[f"{kind}_COOKIE_DOMAIN"] = None


def init_app(app: Flask, prefix: str) -> None:
    """Add the headers to every console response (in extension mode, only under `prefix`)."""
    _configure_cookies(app)

    @app.before_request
    def _make_nonce() -> None:
        _nonce()

    @app.context_processor
    def _nonce_in_templates() -> dict:
        return {"csp_nonce": _nonce}

    @app.after_request
    def _security_headers(response: Response) -> Response:
        if not under_prefix(prefix):
            return response
        headers = response.headers
        for name in REDIRECT_HEADERS:
            value = headers.get(name)
            if name == "Location" and response.status_code not in REDIRECT_CODES:
                continue
            if value is None or is_chosen_offsite(name, value):
                continue
            if not is_safe_header(name, value):
                log.warning("redirect off the site refused: %s %r", name, value)
                headers[name] = home()
        headers.setdefault(
            "Content-Security-Policy",
            content_security_policy(_nonce(), app.extensions.get(FORM_TARGETS, ())),
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        )
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
