"""CSV export of the filtered user list: streamed, no secret column, no formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from ..core import dates
from ..core.spreadsheet import neutralize
from .query import ListParams, iterate_filtered

HEADER = (
    "id",
    "email",
    "username",
    "name",
    "active",
    "confirmed_at",
    "mfa_methods",
    "roles",
    "last_sign_in",
    "created",
    "invited_at",
)


def _stamp(value: Any) -> str:
    return dates.iso_utc(value)


def csv_lines(params: ListParams) -> Iterator[str]:
    """The header, then the matching users a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(HEADER)
    yield flush()
    for users, mfa in iterate_filtered(params):
        for user in users:
            writer.writerow(
                [
                    neutralize(cell)
                    for cell in (
                        user.id,
                        user.email,
                        user.username,
                        user.name,
                        "yes" if user.active else "no",
                        _stamp(user.confirmed_at),
                        " ".join(factor.key for factor in mfa.get(user.id, [])),
                        " ".join(sorted(role.name for role in user.roles)),
                        _stamp(user.current_login_at),
                        _stamp(user.create_datetime),
                        _stamp(user.invited_at),
                    )
                ]
            )
        yield flush()
