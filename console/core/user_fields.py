"""Profile columns of the host's own user model that operators edit in the console.

A host that brings its own user model often has columns of its own (`first_name`,
`last_name`, `department`). Declared with `declare_user_fields`, they appear on the user's
page and edit form, in the API's `host_fields`, and go through the same flow as the
console's own profile fields (permission, who may act on whom, version, audit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from ..mixins import ConsoleUserMixin

# Columns no operator edits as free text: Flask-Security's credentials and identifiers, and
# the console's own (edited through their own forms and flows, or never).
_FLASK_SECURITY_COLUMNS = frozenset(
    {
        "id",
        "email",
        "username",
        "password",
        "active",
        "fs_uniquifier",
        "fs_webauthn_user_handle",
        "confirmed_at",
        "last_login_at",
        "current_login_at",
        "last_login_ip",
        "current_login_ip",
        "login_count",
        "tf_primary_method",
        "tf_totp_secret",
        "tf_phone_number",
        "mf_recovery_codes",
        "us_phone_number",
        "us_totp_secrets",
        "create_datetime",
        "update_datetime",
        "roles",
        "webauthn",
    }
)


@dataclass(frozen=True)
class HostUserField:
    """A text column of the host's user model that operators may edit.

    `label` names it on the pages (a lazy translation); `max_length` defaults to the
    column's own length (255 for an unbounded text column).
    """

    name: str
    label: Any
    max_length: int | None = None
    help: Any = None


def declare_user_fields(app: Flask, fields: Iterable[HostUserField]) -> None:
    """Let operators edit these columns of the host's user model (after init_app).

    A name that is not a text column of the user model, or one that Flask-Security or the
    console own (credentials, counters, the console's profile), is a programming error.
    """
    state = app.extensions.get("console")
    if state is None:
        raise RuntimeError("declare_user_fields() needs the console: call init_app first")
    user_model = state.models.User
    columns = sa.inspect(user_model).columns
    for field in fields:
        name = field.name
        if name in _FLASK_SECURITY_COLUMNS or hasattr(ConsoleUserMixin, name):
            raise ValueError(f"{name} belongs to Flask-Security or the console, not the host")
        column = columns.get(name)
        if column is None or not isinstance(column.type, sa.String):
            raise ValueError(f"{user_model.__name__}.{name} is not a text column")
        length = column.type.length or 255
        if field.max_length is not None and field.max_length > length:
            raise ValueError(f"{name} holds at most {length} characters")
        known = state.user_fields.get(name)
        if known is not None and known != field:
            raise ValueError(f"user field {name} is declared twice")
        state.user_fields[name] = field
        state.user_field_lengths[name] = field.max_length or length


def host_user_fields() -> dict[str, HostUserField]:
    """The fields the current application declared, in declaration order."""
    if not has_app_context():
        return {}
    return current_app.extensions["console"].user_fields


def max_length(name: str) -> int:
    """The longest value the declared field `name` takes."""
    return current_app.extensions["console"].user_field_lengths[name]


def values_of(user: Any) -> dict[str, str | None]:
    """The user's value of every declared field."""
    return {name: getattr(user, name) for name in host_user_fields()}
