"""Leaving's pages: "download my data", "delete my account", and the operators' copy of an
account's data. Parse, call one flow, respond."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import logout_user, url_for_security

from ..core import dates, downloads, links, personal_data, policy
from ..core.freshness import fresh_required, reauthenticate, user_window
from ..core.guards import permission_required, signed_in
from ..core.models import models
from ..core.paths import admin_route
from ..extensions import db
from . import flows
from .forms import DeleteAccountForm, ExportForm

# The data page and the operators' export; the deletion page is a blueprint of its own,
# registered only when CONSOLE_ACCOUNT_DELETION allows deleting one's account.
bp = Blueprint("privacy", __name__)
deletion_bp = Blueprint("privacy_deletion", __name__)


def _me() -> Any:
    """The signed-in user itself (not the proxy)."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _data_url(**_: Any) -> str:
    return url_for("privacy.data")


def _delete_url(**_: Any) -> str:
    return url_for("privacy_deletion.delete_account")


def _download(result: flows.Export) -> Any:
    return downloads.streamed(result.chunks, flows.EXPORT_MEDIA_TYPE, result.filename)


@bp.route("/account/data", methods=["GET", "POST"])
@signed_in
@fresh_required(user_window, next_url=_data_url)
def data() -> Any:
    """What the export holds, and the button that downloads it (after a recent sign-in)."""
    form = ExportForm()
    if form.validate_on_submit():
        try:
            return _download(flows.export_own(_me()))
        except policy.PolicyError as error:
            if error.code == "reauth":
                return reauthenticate(_data_url())
            raise
    return render_template(
        "privacy/data.html",
        form=form,
        sections=personal_data.registered(),
        deletion_url=_delete_url() if flows.mode() != flows.OFF else None,
    )


@deletion_bp.route("/account/delete", methods=["GET", "POST"])
@signed_in
@fresh_required(user_window, next_url=_delete_url)
def delete_account() -> Any:
    """The confirmation page: what happens, the typed confirmation, then the flow."""
    user = _me()
    form = DeleteAccountForm()
    problem = None
    if form.validate_on_submit():
        try:
            outcome = flows.delete_own_account(user, form.confirmation.data)
        except policy.PolicyError as error:
            if error.code == "reauth":
                return reauthenticate(_delete_url())
            raise
        except flows.PrivacyError as error:
            if error.code == "confirmation":
                form.confirmation.errors = [str(error)]
            else:
                problem = error
        else:
            # In the holder's language and zone, before this browser forgets its sign-in
            # (every session already ended with the request).
            message = _goodbye(outcome)
            logout_user()
            flash(message, "success")
            return redirect(url_for_security("login"))
    refused = problem or flows.refusal(user)
    status = 200
    if request.method == "POST":
        status = 403 if refused is not None else (422 if form.errors else 200)
    return (
        render_template(
            "privacy/delete.html",
            form=form,
            refused=refused,
            mode=flows.mode(),
            grace=flows.grace_period(),
            user=user,
        ),
        status,
    )


def _goodbye(outcome: flows.Outcome) -> str:
    if outcome.mode == flows.IMMEDIATE:
        return _("Your account was deleted. We sent a last mail to confirm it.")
    return _(
        "Your account will be deleted on %(when)s. Until then, signing in cancels the deletion.",
        when=dates.datetime_filter(outcome.due_at, "medium"),
    )


@admin_route(bp, "/users/<int:user_id>/personal-data", methods=["POST"])
@permission_required(flows.EXPORT_PERMISSION)
def user_export(user_id: int) -> Any:
    """An operator downloads a copy of an account's personal data (audited)."""
    user = db.session.get(models().User, user_id)
    if user is None:
        abort(404)
    try:
        return _download(flows.export_for(_me(), user))
    except policy.PolicyError as error:
        flash(str(error), "error")
        return redirect(links.url_for_user(user) or url_for("account.security"))


def account_section_context(user: Any) -> dict[str, Any]:
    """The security center's "Your data" section: the export, and deletion when offered."""
    return {
        "privacy_mode": flows.mode(),
        "privacy_grace": flows.grace_period(),
        "privacy_delete_url": _delete_url() if flows.mode() != flows.OFF else None,
    }


def user_section_context(user: Any) -> dict[str, Any]:
    """The operator's view: whether the holder asked for deletion, and the export button."""
    actor = _me()
    _included, omitted = flows.sections_for(actor)
    return {
        "privacy_deletion": flows.deletion_of(user),
        "privacy_may_export": policy.may(actor, flows.EXPORT_PERMISSION, target=user),
        "privacy_omitted": [e for e in personal_data.registered() if e.key in omitted],
    }
