"""Flask-Security's sign-in and re-authentication pages in the console's terms: one
identifier field to sign in, and exactly the methods a user has to confirm it is them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_login import current_user
from flask_security.proxies import _datastore

from ..lockout.forms import LockoutLoginForm

if TYPE_CHECKING:
    from flask import Flask

    from .. import ConsoleState


class ConsoleLoginForm(LockoutLoginForm):
    """The sign-in form with one identifier field, posted as `email`: an entry without
    "@" is a username when usernames identify accounts."""

    def validate(self, **kwargs: Any) -> bool:
        entry = (self.email.data or "").strip() if self.email else ""
        username = getattr(self, "username", None)
        if entry and "@" not in entry and username is not None and not username.data:
            username.data, username.raw_data = entry, [entry]
            # Empty as if never posted, so the address field's Optional() skips it.
            self.email.data, self.email.raw_data = "", []
        return super().validate(**kwargs)


# Passed to Security(...) after the lockout forms, which this one builds on.
FORMS: dict[str, type] = {"login_form": ConsoleLoginForm}


def reauth_methods(user: Any, unified: bool) -> list[str]:
    """The ways `user` can confirm it is them on this page: "password", "authenticator",
    "email", in that order; only what they have set up and the page accepts."""
    methods = ["password"] if user.password else []
    if unified:
        enabled = set(current_app.config["SECURITY_US_ENABLED_METHODS"])
        set_up = set(_datastore.us_get_totp_secrets(user).keys())
        methods += [m for m in ("authenticator", "email") if m in enabled and m in set_up]
    return methods


def init_app(app: Flask, state: ConsoleState) -> None:
    """Give the re-authentication pages the user's methods."""
    security = state.security
    security.verify_context_processor(
        lambda: {"reauth_methods": reauth_methods(current_user, unified=False)}
    )
    security.us_verify_context_processor(
        lambda: {"reauth_methods": reauth_methods(current_user, unified=True)}
    )
