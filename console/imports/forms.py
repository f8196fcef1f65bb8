"""The upload form of a CSV import: it validates input and never changes data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FileField, Form


class UploadForm(Form):
    """The CSV file, and whether the accounts it creates are invited."""

    file = FileField(_l("CSV file"))
    invite = BooleanField(_l("Send invitations to the accounts created"))
