"""The user's pages: passkeys (list, rename, delete), MFA enrolment and the step after a
set-up, break-glass sign-in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import url_for_security
from flask_security.proxies import _security

from ..core.forms import ConfirmForm
from ..core.freshness import fresh_required, user_window
from ..core.guards import login_redirect
from ..core.htmx import is_htmx, render_page_or_fragment
from . import flows
from .factors import asked_as_second_factor
from .forms import BreakGlassSigninForm, RenameKeyForm
from .policy import requires_mfa


def _me() -> Any:
    """The signed-in user itself (not the proxy), safe to keep beyond the request."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


bp = Blueprint("mfa", __name__)


def _signed_in(view: Any) -> Any:
    from functools import wraps

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_redirect()
        return view(*args, **kwargs)

    return wrapper


def _passkeys_url(**_: Any) -> str:
    return url_for("mfa.passkeys")


def _key_or_404(key_id: int) -> Any:
    key = flows.own_key(_me(), key_id)
    if key is None:
        abort(404)
    return key


@bp.get("/account/passkeys")
@_signed_in
def passkeys() -> Any:
    """The user's passkeys and security keys, and the form to register another."""
    state = flows.mfa_state(_me())
    return render_template("mfa/passkeys.html", keys=state.keys, state=state)


@bp.route("/account/passkeys/<int:key_id>/rename", methods=["GET", "POST"])
@_signed_in
@fresh_required(user_window, next_url=_passkeys_url)
def passkey_rename(key_id: int) -> Any:
    """Rename a key: inline with htmx, or as a small page without JavaScript."""
    key = _key_or_404(key_id)
    form = RenameKeyForm(name=key.name)
    if request.method == "POST" and form.validate_on_submit():
        try:
            flows.rename_key(_me(), key, form.name.data)
        except flows.MfaError as error:
            form.name.errors = [str(error)]
        else:
            if is_htmx():
                return render_page_or_fragment(
                    "mfa/passkeys.html",
                    "mfa/_passkey_row.html",
                    key=key,
                    announce=_("Renamed to %(name)s.", name=key.name),
                )
            flash(_("Renamed to %(name)s.", name=key.name), "success")
            return redirect(url_for("mfa.passkeys"))
    if request.method == "GET" and is_htmx() and request.args.get("cancel"):
        return render_page_or_fragment("mfa/passkeys.html", "mfa/_passkey_row.html", key=key)
    status = 422 if form.errors else 200
    response = render_page_or_fragment(
        "mfa/rename.html", "mfa/_rename_form.html", key=key, form=form
    )
    response.status_code = status if not is_htmx() else 200
    return response


@bp.route("/account/passkeys/<int:key_id>/delete", methods=["GET", "POST"])
@_signed_in
@fresh_required(user_window, next_url=_passkeys_url)
def passkey_delete(key_id: int) -> Any:
    """Delete a key after a confirmation step that works without JavaScript."""
    key = _key_or_404(key_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        name = key.name
        flows.delete_key(_me(), key)
        flash(_("The key “%(name)s” was removed.", name=name), "success")
        return redirect(url_for("mfa.passkeys"))
    state = flows.mfa_state(_me())
    # The only second factor left: deleting it lets the password sign in alone.
    last_factor = asked_as_second_factor(key.usage) and state.second_factor_keys == 1
    last_factor = last_factor and set(state.second_factors) == {"security_key"}
    return render_template("mfa/delete.html", key=key, form=form, last_factor=last_factor)


@bp.get("/account/mfa-required")
@_signed_in
def enrol() -> Any:
    """Where a member of a require-MFA role lands until a second factor is set up."""
    return render_template(
        "mfa/enrol.html",
        required=requires_mfa(current_user),
        enrolled=flows.has_second_factor(current_user),
        tf_setup_url=url_for_security("two_factor_setup"),
    )


@bp.get("/account/second-factor-added")
@_signed_in
def factor_added() -> Any:
    """Where Flask-Security sends the user after a two-factor change: a first factor
    should come with recovery codes, so that is the next step."""
    user = _me()
    if flows.has_second_factor(user) and not _security.mf_recovery_codes_util.remaining(user):
        flash(_("Now generate recovery codes, in case you lose your second factor."), "info")
        return redirect(url_for_security("mf_recovery_codes"))
    return redirect(url_for("account.security"))


@bp.route("/mfa/break-glass", methods=["GET", "POST"])
def break_glass() -> Any:
    """Complete a sign-in's second step with a code an operator issued."""
    from flask_security.utils import _get_post_login_redirect

    user = flows.second_step_user()
    if user is None:
        flash(_("Sign in with your password first, then enter the code."), "info")
        return redirect(url_for_security("login"))
    form = BreakGlassSigninForm()
    if request.method == "POST" and form.validate_on_submit():
        outcome = flows.sign_in_with_break_glass(user, form.code.data)
        if outcome == "signed_in":
            flash(_("Signed in. Set up a new second factor now."), "warning")
            return redirect(_get_post_login_redirect())
        if outcome == "too_many":
            flash(_("Too many wrong codes. Sign in again."), "error")
            return redirect(url_for_security("login"))
        form.code.errors = [_("That code is not valid, has expired or was already used.")]
    status = 400 if form.errors else 200
    return render_template("mfa/break_glass_signin.html", form=form), status
