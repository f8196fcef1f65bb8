"""Operators' MFA pages: every key and factor, and the reset, remove and break-glass actions."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..core import links, policy
from ..core.forms import ReasonForm
from ..core.freshness import fresh_required, operator_window
from ..core.guards import permission_required
from ..core.htmx import render_page_or_fragment
from ..core.models import models
from ..core.redirects import safe_url
from ..extensions import db
from ..mixins import ConsoleUserMixin, ConsoleWebAuthnMixin
from ..settings import setting
from . import flows, query
from .forms import KEY_METHODS, METHODS, MfaFilterForm


def _me() -> Any:
    """The signed-in user itself (not the proxy), safe to keep beyond the request."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


bp = Blueprint("mfa_admin", __name__)


def _page_size() -> int:
    return int(setting("CONSOLE_PAGE_SIZE"))


@bp.get("/")
@permission_required("mfa:read")
def index() -> Any:
    """Every passkey and security key, or the users holding one kind of factor."""
    form = MfaFilterForm(request.args)
    before = request.args.get("before", type=int)
    if not form.validate():
        # A bad filter is shown with its error and left out of the query.
        for field in (form.method, form.user, form.unused):
            if field.errors:
                field.data = "" if field is form.method else None
    is_keys = (form.method.data or "") in KEY_METHODS
    page = query.key_page if is_keys else query.user_page
    rows, more = page(
        method=form.method.data or "",
        user_prefix=(form.user.data or "").strip(),
        unused_days=form.unused.data,
        before=before,
        size=_page_size(),
    )
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    response = render_page_or_fragment(
        "mfa/admin/index.html",
        "mfa/admin/_rows.html",
        form=form,
        methods=METHODS,
        is_keys=is_keys,
        rows=rows,
        more=more,
        more_url=url_for("mfa_admin.index", before=more, **args) if more else None,
        states={user.id: flows.mfa_state(user) for user in rows} if not is_keys else {},
        resettable=_resettable(rows, is_keys),
    )
    return response


def _resettable(rows: list[Any], is_keys: bool) -> set[int]:
    """Ids of the listed users the signed-in operator may reset (one query for the page)."""
    me = _me()
    if not me.has_permission("mfa:reset"):
        return set()
    ids = {row[1].id for row in rows} if is_keys else {user.id for user in rows}
    return ids - {me.id} - policy.outranking_ids(me, ids)


def _user_or_404(user_id: int) -> ConsoleUserMixin:
    User = models().User
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _key_or_404(key_id: int) -> ConsoleWebAuthnMixin:
    WebAuthn = models().WebAuthn
    key = db.session.get(WebAuthn, key_id)
    if key is None:
        abort(404)
    return key


def _refusal(user: ConsoleUserMixin) -> Exception | None:
    """Why the operator flows would refuse the signed-in operator acting on `user`, if so."""
    try:
        flows.assert_may_reset(_me(), user)
    except (flows.MfaError, policy.PolicyError) as error:
        return error
    return None


def _action_page(**context: Any) -> Any:
    refused = _refusal(context["user"])
    if refused is not None:
        # Say why instead of offering a form that cannot succeed.
        context["form"].reason.errors = [*context["form"].reason.errors, str(refused)]
        context["blocked"] = True
    status = 400 if context["form"].errors else 200
    return render_template("mfa/admin/action.html", **context), status


def _back(user: ConsoleUserMixin) -> str:
    """The operator's page of the user when a feature provides one, else the MFA list."""
    return safe_url(links.url_for_user(user) or url_for("mfa_admin.index", user=user.email))


def _run(form: ReasonForm, action: Any) -> str | None:
    """Validate and run `action(reason)`; an error message is returned, nothing changed."""
    if not form.validate_on_submit():
        return None
    try:
        action(form.reason.data)
    except (flows.MfaError, policy.PolicyError) as error:
        form.reason.errors = [*form.reason.errors, str(error)]
        return None
    return "done"


@bp.route("/keys/<int:key_id>/remove", methods=["GET", "POST"])
@permission_required("mfa:reset")
@fresh_required(
    operator_window, next_url=lambda key_id: url_for("mfa_admin.remove_key", key_id=key_id)
)
def remove_key(key_id: int) -> Any:
    """Remove one key from a user's account."""
    key = _key_or_404(key_id)
    user = _user_or_404(key.user_id)
    form = ReasonForm()
    if request.method == "POST":
        name = key.name
        if _run(form, lambda reason: flows.remove_key(_me(), key, reason)):
            flash(_("Removed “%(name)s” from %(user)s.", name=name, user=user.email), "success")
            return redirect(_back(user))
    return _action_page(
        form=form,
        user=user,
        key=key,
        title=_("Remove a key"),
        action=url_for("mfa_admin.remove_key", key_id=key.id),
        explanation=_(
            "The key “%(name)s” will no longer sign in to %(user)s.", name=key.name, user=user.email
        ),
        submit=_("Remove the key"),
        back=_back(user),
    )


@bp.route("/users/<int:user_id>/reset-totp", methods=["GET", "POST"])
@permission_required("mfa:reset")
@fresh_required(
    operator_window, next_url=lambda user_id: url_for("mfa_admin.reset_totp", user_id=user_id)
)
def reset_totp(user_id: int) -> Any:
    """Reset a user's authenticator app."""
    user = _user_or_404(user_id)
    form = ReasonForm()
    if request.method == "POST" and _run(
        form, lambda reason: flows.reset_totp(_me(), user, reason)
    ):
        flash(_("The authenticator app of %(user)s was reset.", user=user.email), "success")
        return redirect(_back(user))
    return _action_page(
        form=form,
        user=user,
        title=_("Reset the authenticator app"),
        action=url_for("mfa_admin.reset_totp", user_id=user.id),
        explanation=_(
            "%(user)s will no longer be asked for codes from their current authenticator app "
            "and can set up a new one.",
            user=user.email,
        ),
        submit=_("Reset the authenticator app"),
        back=_back(user),
    )


@bp.route("/users/<int:user_id>/reset", methods=["GET", "POST"])
@permission_required("mfa:reset")
@fresh_required(
    operator_window, next_url=lambda user_id: url_for("mfa_admin.reset_all", user_id=user_id)
)
def reset_all(user_id: int) -> Any:
    """Reset every second factor of a user."""
    user = _user_or_404(user_id)
    form = ReasonForm()
    if request.method == "POST" and _run(form, lambda reason: flows.reset_all(_me(), user, reason)):
        flash(_("Every second factor of %(user)s was removed.", user=user.email), "success")
        return redirect(_back(user))
    return _action_page(
        form=form,
        user=user,
        title=_("Reset all multi-factor authentication"),
        action=url_for("mfa_admin.reset_all", user_id=user.id),
        explanation=_(
            "The authenticator app, email codes, every passkey and security key and all "
            "recovery codes of %(user)s will be removed, and their sessions ended.",
            user=user.email,
        ),
        submit=_("Reset all factors"),
        back=_back(user),
    )


@bp.route("/users/<int:user_id>/break-glass", methods=["GET", "POST"])
@permission_required("mfa:reset")
@fresh_required(
    operator_window, next_url=lambda user_id: url_for("mfa_admin.break_glass", user_id=user_id)
)
def break_glass(user_id: int) -> Any:
    """Issue one short-lived recovery code, shown once to the operator."""
    user = _user_or_404(user_id)
    form = ReasonForm()
    if request.method == "POST":
        issued: dict[str, Any] = {}

        def issue(reason: str) -> None:
            issued["code"], issued["expires_at"] = flows.issue_break_glass(_me(), user, reason)

        if _run(form, issue):
            response = make_response(
                render_template(
                    "mfa/admin/break_glass_issued.html",
                    user=user,
                    code=issued["code"],
                    expires_at=issued["expires_at"],
                    signin_url=url_for("mfa.break_glass", _external=True),
                    back=_back(user),
                )
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    ttl = setting("CONSOLE_MFA_BREAKGLASS_TTL")
    return _action_page(
        form=form,
        user=user,
        title=_("Issue a one-time recovery code"),
        action=url_for("mfa_admin.break_glass", user_id=user.id),
        explanation=ngettext(
            "For a user who lost every second factor: the code completes one sign-in of "
            "%(user)s after their password and stops working after %(num)d minute. "
            "It is shown to you once.",
            "For a user who lost every second factor: the code completes one sign-in of "
            "%(user)s after their password and stops working after %(num)d minutes. "
            "It is shown to you once.",
            int(ttl.total_seconds() // 60),
            user=user.email,
        ),
        submit=_("Issue the code"),
        back=_back(user),
    )


def user_section_context(user: ConsoleUserMixin) -> dict[str, Any]:
    """Context of the MFA section on the operator's user detail page."""
    return {
        "mfa_user": user,
        "mfa": flows.mfa_state(user),
        "can_reset": flows.may_reset(_me(), user),
    }
