"""Fixtures: the console embedded in a host app (extension) or mounted under one (mount)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify
from werkzeug.test import Client

PREFIX = "/console"
MODES = ("extension", "mount")


def make_host(config: dict[str, Any], *, embed: bool, root_path: str | None = None) -> Flask:
    """A host application with pages of its own; with `embed`, the console inside it."""
    from flask_security import auth_required, current_user, permissions_required

    from console import SecurityConsole

    host = Flask("embedding_host", root_path=root_path)
    host.config.update(config)

    @host.get("/")
    def public() -> Any:
        return "<p>Welcome to the host</p>"

    if embed:

        @host.get("/reports")
        @auth_required()
        def reports() -> Any:
            return jsonify({"reports_for": current_user.email})

        @host.get("/team")
        @permissions_required("users:read")
        def team() -> Any:
            return jsonify({"team_for": current_user.email})

        SecurityConsole().init_app(host, url_prefix=PREFIX)
    return host


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(mode: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The Flask app that holds the console: the host (extension) or the console (mount)."""
    from console.deploy import console_for_prefix
    from console.extensions import db

    if mode == "extension":
        holder = make_host(app_config, embed=True)
    else:
        holder = console_for_prefix(PREFIX, app_config)
    with holder.app_context():
        yield holder
        db.session.remove()
        db.engine.dispose()


class OwnContext:
    """Run each request in a context of its own, as a server does.

    The `app` fixture keeps an application context open for make_user() and outbox();
    Flask would reuse it (and its `g`, where Flask-Login and Flask-Security keep the
    request's user) for every request of the test.
    """

    def __init__(self, application: Any) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return contextvars.Context().run(self.application, environ, start_response)


@pytest.fixture
def client(mode: str, app: Flask, app_config: dict[str, Any]) -> Client:
    """A cookie-keeping client for the whole site (host pages and console pages)."""
    from console.deploy import mount

    if mode == "extension":
        return Client(OwnContext(app))
    proxies = app_config.get("CONSOLE_PROXY_FIX", 0)
    site = mount(make_host(app_config, embed=False), PREFIX, console=app, proxy_fix=proxies)
    return Client(OwnContext(site))


def sign_in(client: Client, email: str, password: str, **extra: Any) -> Any:
    """Sign in through the console's form under the prefix."""
    return client.post(f"{PREFIX}/login", data={"email": email, "password": password, **extra})


@pytest.fixture
def signed_in_operator(client: Client, operator: Any) -> Client:
    response = sign_in(client, operator.email, "operator password 1")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
