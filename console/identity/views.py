"""The account holder's links to identity providers: link (after a recent sign-in, through
the provider), unlink (after a confirmation). Parse, call one flow, render."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security.proxies import _security

from ..core.forms import ConfirmForm
from ..core.freshness import fresh_required, user_window
from ..core.guards import login_redirect, signed_in
from . import flows, providers

bp = Blueprint("identity", __name__)

# Session key: the link this browser started (provider, account, when), which only the
# provider's answer to it completes.
LINK_STARTED = "console_identity_link"


def _me() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _center() -> Any:
    return redirect(url_for("account.security"))


def _client(name: str) -> Any:
    glue = _security.oauthglue
    client = glue.authlib_provider(name) if glue is not None else None
    if client is None:
        abort(404)
    return client


def _failed(found: flows.Provider) -> Any:
    flash(
        _(
            "Signing in with %(provider)s did not work. Try again, or sign in another way.",
            provider=found.label,
        ),
        "error",
    )
    return _center()


@bp.route("/<name>/link", methods=["GET", "POST"])
@signed_in
@fresh_required(user_window, next_url=lambda name: url_for("identity.link", name=name))
def link(name: str) -> Any:
    """Explain, then send the account holder to the provider to link their account there."""
    user = _me()
    form = ConfirmForm()
    try:
        found = flows.start_link(user, name)
    except flows.IdentityError as refusal:
        flash(str(refusal), "error")
        return _center()
    if request.method == "POST" and form.validate_on_submit():
        client = _client(found.name)
        session[LINK_STARTED] = {"provider": found.name, "user": user.id, "at": time.time()}
        try:
            return client.authorize_redirect(
                url_for("identity.linked", name=found.name, _external=True)
            )
        except providers.ProviderError:
            return _failed(found)
    return render_template("identity/link.html", provider=found, form=form)


@bp.get("/<name>/linked")
def linked(name: str) -> Any:
    """The provider's answer to a link started here."""
    if not current_user.is_authenticated:
        return login_redirect()
    user = _me()
    started = session.pop(LINK_STARTED, None) or {}
    ours = started.get("provider") == name and started.get("user") == user.id
    try:
        found = flows.provider(name)
    except flows.IdentityError:
        abort(404)
    client = _client(found.name)
    try:
        token = client.authorize_access_token()
        claims = providers.claims(client, token, found.kind)
    except providers.OAuthError:
        return _failed(found)
    try:
        added = flows.complete_link(user, found, claims, started.get("at") if ours else None)
    except flows.IdentityError as refusal:
        flash(str(refusal), "error")
        return _center()
    if added:
        flash(
            _("You can now sign in to your account with %(provider)s.", provider=found.label),
            "success",
        )
    else:
        flash(_("Your account was already linked to %(provider)s.", provider=found.label), "info")
    return _center()


@bp.route("/<int:identity_id>/unlink", methods=["GET", "POST"])
@signed_in
@fresh_required(
    user_window, next_url=lambda identity_id: url_for("identity.unlink", identity_id=identity_id)
)
def unlink(identity_id: int) -> Any:
    """Unlink a provider after a confirmation that works without JavaScript; the last way
    to sign in is refused with the reason."""
    user = _me()
    identity = flows.own_identity(user, identity_id)
    if identity is None:
        abort(404)
    label = flows.label(identity.provider)
    form = ConfirmForm()
    refusal = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            flows.unlink(user, identity)
        except flows.IdentityError as error:
            refusal = str(error)
        else:
            flash(
                _("%(provider)s can no longer be used to sign in to your account.", provider=label),
                "success",
            )
            return _center()
    last = flows.is_last_way_in(user, identity)
    response = render_template(
        "identity/unlink.html",
        identity=identity,
        label=label,
        last=last,
        refusal=refusal,
        form=form,
    )
    return response, 400 if refusal else 200
