"""Identity provider forms: they validate input and never change data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .flows import REASON_MAX_LENGTH


class ConfirmForm(FlaskForm):
    """A confirmation step: only the CSRF token."""


class ReasonForm(FlaskForm):
    """An operator's reason for removing a link; the user reads it in a mail."""

    reason = TextAreaField(
        _l("Reason (sent to the user)"),
        validators=[
            DataRequired(message=_l("Give a reason: the user will read it.")),
            Length(
                max=REASON_MAX_LENGTH,
                message=lazy_ngettext(
                    "Keep the reason under %(num)d character.",
                    "Keep the reason under %(num)d characters.",
                    REASON_MAX_LENGTH,
                ),
            ),
        ],
    )
