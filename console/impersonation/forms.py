"""Impersonation forms: they validate input and never change data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .flows import REASON_MAX_LENGTH


class StartForm(FlaskForm):
    """Why the operator signs in as the account; the account holder reads it in a mail."""

    reason = TextAreaField(
        _l("Reason (sent to the user)"),
        validators=[
            DataRequired(message=_l("Give a reason: the user will read it.")),
            Length(
                max=REASON_MAX_LENGTH,
                # Already formatted: WTForms' own "%" finds nothing left to fill in.
                message=lazy_ngettext(
                    "Keep the reason under %(num)d character.",
                    "Keep the reason under %(num)d characters.",
                    REASON_MAX_LENGTH,
                ),
            ),
        ],
    )
