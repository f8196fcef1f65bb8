"""Mount mode: the standalone console served under a prefix of any WSGI host."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from flask import Flask


def _normalize(prefix: str) -> str:
    prefix = "/" + prefix.strip("/")
    if prefix == "/":
        raise ValueError("A mounted console needs a prefix such as /console.")
    return prefix


def console_for_prefix(prefix: str, config: dict[str, Any] | None = None) -> Flask:
    """A standalone console that will be served under `prefix` (its routes stay at "/").

    The host's dispatcher sets SCRIPT_NAME, so links and redirects carry the prefix; the
    settings here keep the console's cookies under the prefix and apart from the host's.
    """
    from .. import create_app

    prefix = _normalize(prefix)
    settings: dict[str, Any] = {
        "APPLICATION_ROOT": prefix,
        "SESSION_COOKIE_PATH": prefix,
        # A host that is itself a Flask app has a "session" cookie on "/"; two cookies of
        # one name would reach the console, so the console's has a name of its own.
        "SESSION_COOKIE_NAME": "console_session",
        "REMEMBER_COOKIE_NAME": "console_remember",
        **(config or {}),
        # Proxy headers are trusted once, around the whole host (see mount()).
        "CONSOLE_PROXY_FIX": 0,
    }
    return create_app(settings)


def mount(
    host: WSGIApplication,
    prefix: str = "/console",
    config: dict[str, Any] | None = None,
    *,
    console: Flask | None = None,
    proxy_fix: int | None = None,
) -> WSGIApplication:
    """`host` with the console under `prefix`; wrap in ProxyFix for `proxy_fix` proxies.

    proxy_fix defaults to config["CONSOLE_PROXY_FIX"], then to the CONSOLE_PROXY_FIX
    environment variable. X-Forwarded-Prefix is honoured, so a proxy may add a prefix of
    its own in front of the host's.
    """
    prefix = _normalize(prefix)
    if proxy_fix is None:
        proxy_fix = int(
            (config or {}).get("CONSOLE_PROXY_FIX") or os.environ.get("CONSOLE_PROXY_FIX") or 0
        )
    if console is None:
        console = console_for_prefix(prefix, config)
    application: WSGIApplication = DispatcherMiddleware(host, {prefix: console})
    if proxy_fix:
        application = ProxyFix(
            application,
            x_for=proxy_fix,
            x_proto=proxy_fix,
            x_host=proxy_fix,
            x_port=proxy_fix,
            x_prefix=proxy_fix,
        )
    return application
