"""Operators' MFA pages: every key and factor, and the reset, remove and break-glass actions."""

from __future__ import annotations

from datetime import timedelta
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
from flask_login import current_user
from flask_security import naive_utcnow
from sqlalchemy import Text, and_, func, literal_column, or_, select

from ..core import policy
from ..core.htmx import render_page_or_fragment
from ..core.permissions import permission_required
from ..core.redirects import safe_url
from ..extensions import db
from ..models import User, WebAuthn
from ..settings import setting
from . import flows
from .forms import KEY_METHODS, METHODS, MfaFilterForm, ReasonForm
from .freshness import fresh_required, operator_window


def _me() -> Any:
    """The signed-in user itself (not the proxy), safe to keep beyond the request."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


bp = Blueprint("mfa_admin", __name__)

TOTP_STEP_SECONDS = 30


def _page_size() -> int:
    return int(setting("CONSOLE_PAGE_SIZE"))


def _keys(form: MfaFilterForm, before: int | None) -> tuple[list[Any], int | None]:
    """(key, user) pairs, newest key first, keyset-paged on the key's id."""
    size = _page_size()
    stmt = (
        select(WebAuthn, User)
        .join(User, User.id == WebAuthn.user_id)
        .order_by(WebAuthn.id.desc())
        .limit(size + 1)
    )
    if form.method.data in ("first", "secondary"):
        stmt = stmt.where(WebAuthn.usage == form.method.data)
    if form.user.data:
        stmt = stmt.where(
            func.lower(User.email).startswith(form.user.data.strip().lower(), autoescape=True)
        )
    if form.unused.data:
        stmt = stmt.where(
            WebAuthn.lastuse_datetime < naive_utcnow() - timedelta(days=form.unused.data)
        )
    if before:
        stmt = stmt.where(WebAuthn.id < before)
    rows = [tuple(row) for row in db.session.execute(stmt)]
    more = rows[size - 1][0].id if len(rows) > size else None
    return rows[:size], more


def _users(form: MfaFilterForm, before: int | None) -> tuple[list[User], int | None]:
    """Users holding the chosen method, newest first, keyset-paged on id."""
    size = _page_size()
    stmt = select(User).order_by(User.id.desc()).limit(size + 1)
    method = form.method.data
    if method == "authenticator":
        stmt = stmt.where(
            or_(
                User.tf_primary_method == "authenticator",
                User.us_totp_secrets.like('%"authenticator"%'),
            )
        )
    elif method == "email":
        stmt = stmt.where(User.tf_primary_method == "email")
    elif method == "recovery":
        # Seen as plain text: Flask-Security's list type cannot take part in cached SQL.
        codes = literal_column('"user".mf_recovery_codes', Text)
        stmt = stmt.where(and_(codes.isnot(None), func.length(codes) > 0))
    if form.user.data:
        stmt = stmt.where(
            func.lower(User.email).startswith(form.user.data.strip().lower(), autoescape=True)
        )
    if form.unused.data:
        cutoff = naive_utcnow() - timedelta(days=form.unused.data)
        if method == "authenticator":
            step = int(cutoff.timestamp()) // TOTP_STEP_SECONDS
            stmt = stmt.where(or_(User.totp_last_counter.is_(None), User.totp_last_counter < step))
        else:
            stmt = stmt.where(or_(User.current_login_at.is_(None), User.current_login_at < cutoff))
    if before:
        stmt = stmt.where(User.id < before)
    rows = list(db.session.scalars(stmt))
    more = rows[size - 1].id if len(rows) > size else None
    return rows[:size], more


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
    if is_keys:
        rows, more = _keys(form, before)
    else:
        rows, more = _users(form, before)
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


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _key_or_404(key_id: int) -> WebAuthn:
    key = db.session.get(WebAuthn, key_id)
    if key is None:
        abort(404)
    return key


def _refusal(user: User) -> Exception | None:
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


def _back(user: User) -> str:
    """The operator's user detail page when the users feature provides one, else the list."""
    from flask import current_app

    if "users.user_view" in current_app.view_functions:
        return safe_url(url_for("users.user_view", user_id=user.id))
    return safe_url(url_for("mfa_admin.index", user=user.email))


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
        explanation=_(
            "For a user who lost every second factor: the code completes one sign-in of "
            "%(user)s after their password and stops working after %(minutes)d minutes. "
            "It is shown to you once.",
            user=user.email,
            minutes=int(ttl.total_seconds() // 60),
        ),
        submit=_("Issue the code"),
        back=_back(user),
    )


def user_section_context(user: User) -> dict[str, Any]:
    """Context of the MFA section on the operator's user detail page."""
    return {
        "mfa_user": user,
        "mfa": flows.mfa_state(user),
        "can_reset": flows.may_reset(_me(), user),
    }
