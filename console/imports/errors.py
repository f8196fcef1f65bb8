"""What the CSV import says about a file or a row: one table of messages by code."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

MESSAGES: dict[str, Any] = {
    # The file as a whole: nothing is stored.
    "no_file": _l("Choose a CSV file to upload."),
    "empty": _l("The file is empty."),
    "not_utf8": _l("The file is not UTF-8 text. Save it as CSV UTF-8 and upload it again."),
    "no_header": _l(
        "The first line must name the columns (email, name, username, roles, language, "
        "time zone); %(cell)s is not a column name."
    ),
    "unknown_column": _l(
        "Unknown column %(column)s. The columns are email, name, username, roles, language "
        "and time zone."
    ),
    "duplicate_column": _l("The column %(column)s is named twice in the header."),
    "no_email_column": _l("The header has no email column; every row needs an address."),
    "too_large": _l("The file is larger than %(size)s; split it into smaller files."),
    "too_many_rows": lambda num: lazy_ngettext(
        "The file has more than %(num)d row; split it into smaller files.",
        "The file has more than %(num)d rows; split it into smaller files.",
        num,
    ),
    "malformed": _l("The file cannot be read as CSV near row %(row)s: %(reason)s"),
    "no_rows": _l("The file has a header but no rows."),
    # One row: it is skipped and listed.
    "cells": _l("This row has %(found)s cells; the header names %(expected)s columns."),
    "email_missing": _l("The email address is missing."),
    "email_invalid": _l("%(email)s is not a valid email address."),
    "too_long": _l("%(field)s is longer than %(num)s characters."),
    "username_invalid": _l(
        "The username %(username)s may only contain letters, digits and - . _ characters."
    ),
    "language": _l("%(value)s is not one of the console's languages (%(languages)s)."),
    "timezone": _l("%(value)s is not a time zone; use a name such as Europe/Paris."),
    "role_unknown": _l("There is no role named %(role)s."),
    "duplicate": _l("The address is already in row %(row)s of the file."),
    "lookalike_row": _l("The address looks the same as %(other)s in row %(row)s of the file."),
    "username_duplicate": _l("The username is already in row %(row)s of the file."),
    "lookalike_account": _l(
        "The address looks the same as the existing account %(other)s; use that address to "
        "change that account."
    ),
    "username_taken": _l("Another account already uses the username %(username)s."),
    # The job.
    "upload_gone": _l("The uploaded file is no longer stored; upload it again."),
    "applied": _l("This file has already been applied."),
    "checking": _l("The file is still being checked; apply it when the check is done."),
}


def text(code: str, **params: Any) -> str:
    """The message `code` in the current language, with its values."""
    message = MESSAGES[code]
    if callable(message):
        return str(message(**params))
    return str(message % params) if params else str(message)


class UploadError(Exception):
    """A file refused as a whole (nothing was stored); the message says why."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(text(code, **params))
