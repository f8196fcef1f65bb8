"""The one safe-redirect check: every Location, HX-Redirect, HX-Location and back link."""

from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

from flask import g, has_request_context, request
from werkzeug.urls import iri_to_uri

from ..settings import setting

# Headers that send a browser (or htmx) somewhere else; each goes through is_safe_url.
REDIRECT_HEADERS = ("Location", "HX-Redirect", "HX-Location")

# `g` key: the one address off this site this response may send the browser to, chosen by the
# console itself and never read from the request (an identity provider's sign-in page).
_CHOSEN_OFFSITE = "console_chosen_offsite"

# Decoding stops here: a target still changing after this many rounds is refused anyway.
_MAX_DECODES = 4


def _decoded_forms(target: str) -> list[str]:
    """`target` and each percent-decoding of it, until it stops changing."""
    forms = [target]
    for _round in range(_MAX_DECODES):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            return forms
        forms.append(decoded)
    return []


def _harmless(text: str) -> bool:
    # Browsers drop tabs and newlines and read a backslash as a slash, so "/\t/evil" and
    # "/\\evil" are "//evil" to them: such a target is refused rather than parsed.
    return "\\" not in text and not any(ord(char) < 32 or ord(char) == 127 for char in text)


def is_safe_url(target: str | None, host: str | None = None) -> bool:
    """True for a path on this site, or an http(s) URL naming this host (`host`, else the
    request's own, which ProxyFix has already made the public one)."""
    if not target or not isinstance(target, str) or target != target.strip():
        return False
    if not _harmless(target):
        return False
    # Where the browser goes is decided before the query: that part must stay harmless
    # however often it is decoded ("/%09/evil", "/%2F/evil", "/%5Cevil"), while the query
    # may carry any encoded text as data (a search for "a\b", a `next` of its own).
    where = target.split("?", 1)[0].split("#", 1)[0]
    forms = _decoded_forms(where)
    if not forms or not all(_harmless(form) for form in forms):
        return False
    if any(form.startswith("//") for form in forms):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        if parts.path.startswith("//") or parts.username or parts.password:
            return False
        return parts.netloc.lower() == (host or request.host).lower()
    return target.startswith("/")


def choose_offsite(url: str) -> None:
    """This response's Location may be `url`, an address off this site that the console
    chose itself (an identity provider's authorization endpoint with its parameters)."""
    setattr(g, _CHOSEN_OFFSITE, url)


def is_chosen_offsite(name: str, value: str) -> bool:
    """Whether a Location header is the off-site address `choose_offsite` named."""
    return name == "Location" and has_request_context() and g.get(_CHOSEN_OFFSITE) == value


def home() -> str:
    """The console's home page, under the mount prefix (script_root) and the URL prefix."""
    return f"{request.script_root}{setting('CONSOLE_URL_PREFIX')}/"


def safe_url(target: str | None, default: str | None = None) -> str:
    """`target` when it stays on this site, else `default` (else the console's home)."""
    if is_safe_url(target):
        return iri_to_uri(target)  # type: ignore[arg-type]
    return default if default is not None else home()


def next_url(default: str | None = None) -> str:
    """The request's `next` (form, then query string) when safe, else `default`."""
    target = request.form.get("next") or request.args.get("next") or ""
    return safe_url(target, default)


def current_path() -> str:
    """This page's path and query as a `next` value: with the mount prefix, like url_for."""
    return request.script_root + request.full_path.rstrip("?")


def is_safe_header(name: str, value: str) -> bool:
    """Whether a redirecting header's value stays on this site (HX-Location may be JSON)."""
    if name.lower() == "hx-location" and value.lstrip().startswith("{"):
        try:
            path = json.loads(value).get("path")
        except (ValueError, AttributeError):
            return False
        return is_safe_url(path)
    return is_safe_url(value)
