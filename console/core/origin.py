"""Cross-site refusal: a state-changing request sent by another site's page is refused."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from flask_babel import lazy_gettext as _l

from ..settings import setting
from .errors import render_error
from .paths import under_prefix

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalize_origin(value: str) -> str | None:
    """`scheme://host[:port]` in lower case without a default port; None if not an origin."""
    parts = urlsplit(value.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    if port is not None and str(port) != DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def allowed_origins() -> set[str]:
    """This request's own origin (ProxyFix has made it the public one) and the trusted."""
    trusted = setting("CONSOLE_TRUSTED_ORIGINS") or ()
    if isinstance(trusted, str):
        trusted = trusted.replace(",", " ").split()
    origins = {normalize_origin(request.host_url)}
    origins.update(normalize_origin(str(origin)) for origin in trusted)
    origins.discard(None)
    return origins  # type: ignore[return-value]


def is_cross_site() -> bool:
    """True when the browser says another site sent this request.

    Origin decides when present ("null", sent by sandboxed frames and some redirects,
    counts as another site); without it, Sec-Fetch-Site does. A request with neither
    header (an old browser, a script) is left to the CSRF token.
    """
    origin = request.headers.get("Origin")
    if origin is not None:
        return normalize_origin(origin) not in allowed_origins()
    return request.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site"


def _token_only() -> bool:
    # An API client authenticating with Flask-Security's token header and no cookie cannot
    # be a victim's browser riding on its cookies.
    header = current_app.config.get("SECURITY_TOKEN_AUTHENTICATION_HEADER", "")
    return bool(header and request.headers.get(header)) and not request.cookies


def init_app(app: Flask, prefix: str) -> None:
    """Refuse cross-site state changes on the console's paths (the host keeps its own)."""

    @app.before_request
    def _refuse_cross_site() -> Response | None:
        if request.method in SAFE_METHODS or not under_prefix(prefix):
            return None
        if _token_only() or not is_cross_site():
            return None
        log.warning(
            "cross-site %s %s refused (Origin %r, Sec-Fetch-Site %r)",
            request.method,
            request.path,
            request.headers.get("Origin"),
            request.headers.get("Sec-Fetch-Site"),
        )
        return render_error(
            403, message=_l("This request came from another site, so it was not carried out.")
        )
