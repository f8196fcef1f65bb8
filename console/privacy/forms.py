"""The forms of leaving: they validate, never change data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length


class ExportForm(FlaskForm):
    """The download button: only the CSRF token (the file is made for the signed-in account)."""


class DeleteAccountForm(FlaskForm):
    """The typed confirmation: the account's own email address (checked by the flow)."""

    confirmation = StringField(
        _l("Your email address"),
        validators=[
            InputRequired(message=_l("Type your email address to confirm.")),
            Length(max=320),
        ],
    )
