"""Second factors: authenticator apps, email codes, passkeys and recovery codes, as the account
holder sets them up and as the operator's MFA console resets them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from ..core import gates, links, ratelimit, sections
from ..core.nav import NavItem, register
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState

# Flask-Security's default destination after a two-factor change is its setup page again.
_FS_POST_SETUP_DEFAULT = ".two_factor_setup"


def _factors_section(user: Any) -> dict[str, Any]:
    from .summary import summarize

    return {"summary": summarize(user)}


def _factor_alerts(user: Any) -> list[Any]:
    from .summary import alerts

    return alerts(user)


def _passkeys_section(user: Any) -> dict[str, Any]:
    from .flows import mfa_state

    return {"mfa": mfa_state(user)}


def init_app(app: Flask, state: ConsoleState) -> None:
    """The account holder's factor pages, signals and security center sections, the
    operator's MFA pages and actions, and the require-MFA policy."""
    from ..core import actions
    from . import admin, demo, factors, models, policy, receivers, views  # noqa: F401 - models
    from .events import ACTIONS
    from .recovery import pages as recovery_pages
    from .webauthn.forms import extend_security_forms
    from .webauthn.providers import provider_name

    actions.declare(ACTIONS)

    prefix = state.url_prefix
    factors.init_app(app)
    extend_security_forms(state.security)
    # After registering a key through Flask-Security, come back to the console's list.
    if app.config.get("SECURITY_WAN_POST_REGISTER_VIEW") == ".wan_register":
        app.config["SECURITY_WAN_POST_REGISTER_VIEW"] = "mfa.passkeys"
    # After setting up a two-factor method, on to recovery codes (views.factor_added).
    if app.config.get("SECURITY_TWO_FACTOR_POST_SETUP_VIEW") == _FS_POST_SETUP_DEFAULT:
        app.config["SECURITY_TWO_FACTOR_POST_SETUP_VIEW"] = "mfa.factor_added"
    receivers.connect(app, state.models.User)
    recovery_pages.init_app(app)

    app.register_blueprint(views.bp, url_prefix=prefix or None)
    app.register_blueprint(admin.bp, url_prefix=admin_path(app, "/mfa"))
    app.add_template_filter(provider_name, "passkey_provider")

    register(app, NavItem("account", "mfa.passkeys", _l("Passkeys"), None, order=20))
    links.register(app, "account.passkeys", lambda: url_for("mfa.passkeys"))
    register(
        app, NavItem("admin", "mfa_admin.index", _l("MFA"), "mfa:read", order=40, group="security")
    )
    sections.register(
        app,
        "account",
        sections.Section(
            key="second_factors",
            title=_l("Second factors"),
            template="mfa/_account_factors.html",
            context=_factors_section,
            order=10,
            alerts=_factor_alerts,
        ),
    )
    sections.register(
        app,
        "account",
        sections.Section(
            key="passkeys",
            title=_l("Passkeys and security keys"),
            template="mfa/_account_section.html",
            context=_passkeys_section,
            order=30,
        ),
    )
    sections.register(
        app,
        "user",
        sections.Section(
            key="mfa",
            title=_l("Multi-factor authentication"),
            template="mfa/admin/_user_section.html",
            context=admin.user_section_context,
            permission="mfa:read",
            order=30,
        ),
    )
    policy.init_app(app)
    _rate_limits(app)
    # The account holder's own keys, and the break-glass sign-in, are theirs alone (the
    # set-up pages of the other factors are Flask-Security's, sensitive as a whole).
    gates.sensitive(app, ("mfa.passkey_rename", "mfa.passkey_delete", "mfa.break_glass"))
    state.demo_seeders.append(demo.seed)


def _rate_limits(app: Flask) -> None:
    """The break-glass code is a credential; operator actions send mail."""
    ratelimit.limit(app, "mfa.break_glass", "credentials")
    for endpoint in ("remove_key", "reset_totp", "reset_all", "break_glass"):
        ratelimit.limit(app, f"mfa_admin.{endpoint}", "operator_mail")
