"""Words for a job's state on the pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from .models import CANCELLED, DONE, FAILED, QUEUED, RUNNING

STATES: dict[str, Any] = {
    QUEUED: _l("Waiting"),
    RUNNING: _l("Running"),
    DONE: _l("Done"),
    FAILED: _l("Failed"),
    CANCELLED: _l("Stopped"),
}
# Bootstrap's colour of each state's badge.
BADGES = {
    QUEUED: "secondary",
    RUNNING: "primary",
    DONE: "success",
    FAILED: "danger",
    CANCELLED: "warning",
}


def state_label(state: str) -> Any:
    return STATES.get(state, state)


def state_badge(state: str) -> str:
    return BADGES.get(state, "secondary")
