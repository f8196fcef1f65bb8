"""The operator API: every console action as JSON under {prefix}/api/v1/, described by an
OpenAPI 3.1 document, answered with problem details, reached with personal access tokens or
the browser session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, request
from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from .. import ConsoleState

API_PATH = "/api/v1"


def init_app(app: Flask, state: ConsoleState) -> None:
    """The resources, their document, token authentication and the token pages."""
    from ..core import actions, gates, problems, sections
    from ..extensions import csrf
    from ..settings import setting
    from . import (  # noqa: F401 - models
        auth,
        dashboard,
        identities,
        limits,
        me,
        models,
        operations,
        pages,
        refresh_tokens,
        roles,
        users,
        views,
    )
    from .events import ACTIONS
    from .spec import make_api

    limits.check_rate(app)
    actions.declare(ACTIONS)
    base = f"{state.url_prefix}{API_PATH}"
    problems.register_path(app, base)
    api = make_api(app, f"{setting('CONSOLE_SITE_NAME', app.config)} API")
    app.extensions["console.api"] = api
    resources = (
        users.blp,
        roles.blp,
        operations.blp,
        identities.blp,
        refresh_tokens.blp,
        dashboard.blp,
        me.blp,
    )
    for blp in resources:
        # Token requests carry no CSRF token; auth.authenticate checks it for the session.
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix=base)
    names = frozenset(blp.name for blp in resources)

    @app.before_request
    def _authenticate_api() -> None:
        if request.blueprint in names:
            auth.authenticate()

    # Every response of a request whose budget was counted, errors included.
    app.after_request(limits.add_fields)

    app.register_blueprint(views.bp, url_prefix=base)
    pages.init_app(app, state)
    # Creating and revoking one's own personal access tokens is the account holder's alone.
    gates.sensitive(app, ("api_tokens.new", "api_tokens.revoke", "api_me.Token"))
    sections.register(
        app,
        "account",
        sections.Section(
            key="api_tokens",
            title=_l("API tokens"),
            template="api/_account_tokens.html",
            context=pages.account_section_context,
            order=60,
        ),
    )
    sections.register(
        app,
        "user",
        sections.Section(
            key="api_tokens",
            title=_l("API tokens"),
            template="api/_user_tokens.html",
            context=pages.user_section_context,
            permission="sessions:read",
            order=60,
        ),
    )
