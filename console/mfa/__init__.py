"""Second factors: authenticator apps, passkeys, recovery codes and the operator's MFA console."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from ..core import links, ratelimit, sections
from ..core.nav import NavItem, register
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState


def _on_wan_registered(sender: Flask, user: Any, name: str, **_: Any) -> None:
    """Flask-Security stored a new key: keep its AAGUID, tell the user, audit it."""
    state = sender.extensions.get("console")
    if state is None or "console.mfa" not in state.features:
        return
    from .flows import record_registration

    # Flask-Security sends the current_user proxy; audit receivers keep the user itself.
    unwrap = getattr(user, "_get_current_object", None)
    record_registration(unwrap() if unwrap else user, name)


def _passkeys_section(user: Any) -> dict[str, Any]:
    from .flows import mfa_state

    return {"mfa": mfa_state(user)}


def init_app(app: Flask, state: ConsoleState) -> None:
    """Passkey pages, the operator's MFA pages and actions, and the require-MFA policy."""
    from flask_security.signals import wan_registered

    from ..core import actions
    from . import admin, demo, factors, models, policy, views  # noqa: F401 - models: the table
    from .events import ACTIONS
    from .webauthn.forms import extend_security_forms
    from .webauthn.providers import provider_name

    actions.declare(ACTIONS)

    prefix = state.url_prefix
    factors.init_app(app)
    extend_security_forms(state.security)
    # After registering a key through Flask-Security, come back to the console's list.
    if app.config.get("SECURITY_WAN_POST_REGISTER_VIEW") == ".wan_register":
        app.config["SECURITY_WAN_POST_REGISTER_VIEW"] = "mfa.passkeys"
    wan_registered.connect(_on_wan_registered)

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
    state.demo_seeders.append(demo.seed)


def _rate_limits(app: Flask) -> None:
    """The break-glass code is a credential; operator actions send mail."""
    ratelimit.limit(app, "mfa.break_glass", "credentials")
    for endpoint in ("remove_key", "reset_totp", "reset_all", "break_glass"):
        ratelimit.limit(app, f"mfa_admin.{endpoint}", "operator_mail")
