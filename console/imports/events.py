"""The audit action of a CSV import (each account it creates or changes gets its own event
from the users' flows, as when the change is made by hand)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "admin.users.imported",
        _l("Users imported from CSV"),
        _l(
            "An operator applied a CSV file of user accounts; each account it changed "
            "has its own event."
        ),
        "admin",
    ),
)
