"""Forms several features share: they validate input and never change data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

# The longest reason an operator may give; the flows that take one refuse a longer one.
REASON_MAX_LENGTH = 500


class ConfirmForm(FlaskForm):
    """A confirmation step: only the CSRF token."""


class ReasonForm(FlaskForm):
    """An operator's reason for an action on an account; the user reads it in a mail."""

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
