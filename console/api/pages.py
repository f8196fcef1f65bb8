"""The token pages: an account holder creates (sees once), lists and revokes their tokens;
an operator revokes anyone's from the user's page. Views parse, call a flow in
console.api.tokens, render."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_login import current_user
from flask_security import naive_utcnow
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..core import policy
from ..core.guards import signed_in
from ..core.models import models
from ..core.permissions import catalogue
from ..core.redirects import next_url
from ..extensions import db
from . import tokens

if TYPE_CHECKING:
    from .. import ConsoleState

bp = Blueprint("api_tokens", __name__)

# Lifetimes offered on the form, in days (bounded by CONSOLE_API_TOKEN_MAX_LIFETIME).
LIFETIMES = (1, 7, 30, 90, 365)


class ScopeChecklist(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(FlaskForm):
    """Name, lifetime and scopes of a new token; it validates, the flow decides."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=tokens.NAME_MAX_LENGTH)])
    lifetime = SelectField(_l("Expires after"), coerce=int)
    scopes = ScopeChecklist(_l("Permissions"))

    def __init__(self, *args: Any, held: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = tokens.max_lifetime().days
        self.lifetime.choices = [  # type: ignore[assignment]
            (days, lazy_ngettext("%(num)d day", "%(num)d days", days))
            for days in LIFETIMES
            if days <= limit
        ]
        described = catalogue()
        self.scopes.choices = [(name, described.get(name, name)) for name in held]  # type: ignore[assignment]


def _held(user: Any) -> list[str]:
    return sorted(policy.permissions_of(user))


@bp.route("/", methods=["GET", "POST"])
@signed_in
def new() -> Any:
    """The form; a valid POST creates the token and shows its secret, once."""
    user = current_user._get_current_object()
    form = TokenForm(held=_held(user))
    created = None
    if form.validate_on_submit():
        try:
            created = tokens.create_token(
                user,
                name=form.name.data,
                scopes=form.scopes.data or [],
                expires_at=naive_utcnow() + timedelta(days=form.lifetime.data),
            )
        except tokens.TokenError as error:
            flash(str(error), "error")
    response = render_template(
        "api/tokens.html",
        form=form,
        created=created,
        user=user,
        api_tokens=tokens.tokens_of(user),
    )
    status = 400 if request.method == "POST" and created is None else 200
    headers = {"Cache-Control": "no-store"} if created else {}
    return response, status, headers


@bp.post("/<key>/revoke")
@signed_in
def revoke(key: str) -> Any:
    """Revoke a token: one's own, or an operator's revocation of someone else's."""
    token = tokens.find(key[:16])
    if token is None:
        abort(404)
    back = next_url(url_for("account.security"))
    try:
        if tokens.revoke_token(current_user._get_current_object(), token):
            flash(_("The token “%(name)s” was revoked.", name=token.name), "success")
    except policy.PolicyError as error:
        flash(str(error), "error")
    return redirect(back)


def account_section_context(user: Any) -> dict[str, Any]:
    """The security center's list of the user's own tokens."""
    return {"api_tokens": tokens.tokens_of(user)}


def user_section_context(user: Any) -> dict[str, Any]:
    """The operator's view of a user's tokens."""
    owner = db.session.get(models().User, user.id)
    return {
        "api_tokens": tokens.tokens_of(owner),
        "api_tokens_can_revoke": tokens.may_manage(current_user._get_current_object(), owner),
    }


def init_app(app: Flask, state: ConsoleState) -> None:
    """The token pages live with the account's pages."""
    app.register_blueprint(bp, url_prefix=f"{state.url_prefix}/account/tokens")
