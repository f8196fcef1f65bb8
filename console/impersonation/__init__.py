"""Impersonation: an operator signs in as another account for a few minutes, with a reason,
a fresh sign-in and a banner on every page; audited under both names, told to the account
holder by mail, never on the account's own security settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, url_for

if TYPE_CHECKING:
    from .. import ConsoleState


def _start_url(user: Any) -> str | None:
    """The confirmation page of impersonating `user`, when the signed-in operator may."""
    from flask_login import current_user

    from . import flows

    if not current_user.is_authenticated or not flows.may_impersonate(
        current_user._get_current_object(), user
    ):
        return None
    return url_for("impersonation.start", user_id=user.id)


def init_app(app: Flask, state: ConsoleState) -> None:
    """The request hooks, the pages, the link from a user's page and the audit actions."""
    from ..core import actions, links, ratelimit
    from . import flows, guard, views
    from .events import ACTIONS

    actions.declare(ACTIONS)
    guard.init_app(app)
    app.register_blueprint(views.bp, url_prefix=state.url_prefix or None)
    app.add_template_global(flows.current, "impersonation")
    links.register(app, "user.impersonate", _start_url)
    # Starting one mails the account holder.
    ratelimit.limit(app, "impersonation.start", "operator_mail")
