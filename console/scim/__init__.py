"""SCIM 2.0 (RFC 7643/7644) under {prefix}/scim/v2/: identity providers provision accounts
(Users) and roles (Groups) with a service account's personal access token, through the same
flows as operators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """The endpoints, their error format, the audit actions and `flask console scim-token`."""
    from ..cli import console_cli
    from ..core import actions, problems
    from ..extensions import csrf
    from . import errors, models  # noqa: F401 - models: the scim_user table
    from .cli import scim_token_command
    from .events import ACTIONS
    from .views import SCIM_PATH, bp

    actions.declare(ACTIONS)
    base = f"{state.url_prefix}{SCIM_PATH}"
    # Errors under the path (a 404, a 405, a rate limit) are SCIM Error messages too.
    problems.register_path(app, base, errors.render_problem)
    # Bearer tokens only: no cookie rides on a provisioning request.
    csrf.exempt(bp)
    app.register_blueprint(bp, url_prefix=base)
    console_cli.add_command(scim_token_command)
