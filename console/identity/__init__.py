"""Sign-in with identity providers (any OpenID Connect provider, Google, GitHub) through
Flask-Security's OAuth support, and the identities linked to accounts: the account holder
links and unlinks them on the security page, operators see and remove them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core import sections
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState


def _account_section(user: object) -> dict[str, object]:
    from . import flows

    linked = flows.linked(user)
    return {
        "linked": linked,
        "configured": list(flows.providers().values()),
        # Links the account holder cannot remove: each is their only way to sign in.
        "last_way_in": {
            item.identity.id for item in linked if flows.is_last_way_in(user, item.identity)
        },
    }


def init_app(app: Flask, state: ConsoleState) -> None:
    """Register the configured providers with Flask-Security, the pages, the sections of the
    security page and the user's page, and the audit actions."""
    from ..core import actions, gates, headers, ratelimit
    from ..core.personal_data import register_personal_data
    from ..users.cli import users_cli
    from . import admin, cli, flows, models, providers, signin, views  # noqa: F401 - models
    from .config import parse
    from .events import ACTIONS

    actions.declare(ACTIONS)
    # In a person's export and forgotten with their account, even once no provider is left.
    register_personal_data(
        app,
        "linked_identities",
        flows.personal_data,
        label=_l("Linked sign-in providers: which, the address they gave, when"),
        erase=flows.erase_personal_data,
        permission="users:read",
        order=35,
    )
    app.register_blueprint(views.bp, url_prefix=f"{state.url_prefix}/account/identities")
    # Which providers sign in to an account is the holder's alone, never an impersonator's.
    gates.sensitive(app, ("identity.link", "identity.linked", "identity.unlink"))
    app.register_blueprint(admin.bp, url_prefix=admin_path(app, "/identities"))
    # Links outlive their provider's configuration; operators remove them either way.
    users_cli.add_command(cli.remove_identity_command)
    configured = parse(app.config)
    if not configured or state.security.oauthglue is None:
        return
    signin.register(app, state.security)
    for provider in configured.values():
        headers.allow_form_target(app, providers.sign_in_origin(provider))
    # A provider's answer is a credential.
    for endpoint in ("security.oauthresponse", "security.oauth_verify_response", "identity.linked"):
        ratelimit.limit(app, endpoint, "credentials", on_get=True)
    sections.register(
        app,
        "account",
        sections.Section(
            key="identities",
            title=_l("Linked sign-in providers"),
            template="identity/_account_section.html",
            context=_account_section,
            order=40,
        ),
    )
    sections.register(
        app,
        "user",
        sections.Section(
            key="identities",
            title=_l("Linked sign-in providers"),
            template="identity/_user_section.html",
            context=admin.user_section_context,
            permission="users:read",
            order=35,
        ),
    )
