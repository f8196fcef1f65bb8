"""MFA forms: they validate input and never change data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

METHODS = [
    SelectChoice("", _l("All passkeys and security keys")),
    SelectChoice("first", _l("Passkeys (first factor)")),
    SelectChoice("secondary", _l("Security keys (second factor)")),
    SelectChoice("authenticator", _l("Authenticator app")),
    SelectChoice("email", _l("Email codes")),
    SelectChoice("recovery", _l("Recovery codes")),
]
KEY_METHODS = {"", "first", "secondary"}


class RenameKeyForm(FlaskForm):
    """A new name for a passkey or security key."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Enter a name for the key.")), Length(max=64)],
    )


class BreakGlassSigninForm(FlaskForm):
    """The one-time code an operator gave a locked-out user."""

    code = StringField(
        _l("Recovery code from your administrator"),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=64)],
    )


class MfaFilterForm(FlaskForm):
    """The operator list's filters (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    method = SelectField(_l("Method"), choices=METHODS, default="", validate_choice=True)
    user = StringField(_l("User email starts with"), validators=[Optional(), Length(max=255)])
    unused = IntegerField(
        _l("Unused for at least (days)"),
        validators=[Optional(), NumberRange(min=1, max=36500)],
    )
