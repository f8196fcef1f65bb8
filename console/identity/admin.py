"""Operators' side of linked identities: the user page's section, and removing a link with
a reason (audited, the user told by mail)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..core import links, policy
from ..core.forms import ReasonForm
from ..core.guards import permission_required
from ..core.models import models
from ..core.redirects import safe_url
from ..extensions import db
from . import flows

bp = Blueprint("identity_admin", __name__)


def _me() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def user_section_context(user: Any) -> dict[str, Any]:
    """Context of the linked identities section on the operator's user page."""
    return {
        "identity_user": user,
        "identities": flows.linked(user),
        "can_remove": flows.may_remove(_me(), user),
    }


@bp.route("/<int:identity_id>/remove", methods=["GET", "POST"])
@permission_required("users:write")
def remove(identity_id: int) -> Any:
    """Remove one of a user's links, with a reason the user reads."""
    identity = flows.live_identity(identity_id)
    if identity is None:
        abort(404)
    user = db.session.get(models().User, identity.user_id)
    if user is None:
        abort(404)
    label = flows.label(identity.provider)
    back = safe_url(links.url_for_user(user))
    form = ReasonForm()
    refusal = policy.refusal(_me(), "users:write", target=user, allow_self=False)
    if refusal is None and request.method == "POST" and form.validate_on_submit():
        try:
            flows.remove(_me(), identity, form.reason.data)
        except (flows.IdentityError, policy.PolicyError) as error:
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            flash(
                _(
                    "%(provider)s will no longer sign in to %(user)s.",
                    provider=label,
                    user=user.email,
                ),
                "success",
            )
            return redirect(back)
    status = 400 if form.errors or refusal is not None else 200
    page = render_template(
        "identity/remove.html",
        identity=identity,
        label=label,
        user=user,
        form=form,
        refusal=refusal,
        last=flows.is_last_way_in(user, identity),
        back=back,
    )
    return page, status
