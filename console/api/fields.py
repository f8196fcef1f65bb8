"""Marshmallow fields and schemas the API's resources share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma

# The largest id a database integer holds; a larger one names nothing (and SQLite's driver
# could not even bind it).
MAX_ID = 2**63 - 1


def id_in_range(value: int) -> bool:
    """True for an id a row could have."""
    return 0 < value <= MAX_ID


class UtcDateTime(ma.fields.DateTime):
    """A stored naive-UTC time, sent as RFC 3339 with its offset (the database keeps UTC)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class RoleRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class PageSchema(ma.Schema):
    """A keyset page: `next` is the URL of the following page (also in the Link header)."""

    next = ma.fields.String(required=True, allow_none=True)


class ReasonSchema(ma.Schema):
    """An operator's reason, which the account holder reads."""

    reason = ma.fields.String(required=True, validate=ma.validate.Length(max=2000))
