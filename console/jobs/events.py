"""The audit actions of operators' background jobs (each account a job changes gets its own
event from the feature's flow, as when the change is made by hand)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "admin.job.started",
        _l("Background job started"),
        _l("An operator started a job over many accounts (a bulk action, an import)."),
        "admin",
    ),
    Action(
        "admin.job.cancelled",
        _l("Background job stopped"),
        _l("An operator stopped a job; what it had done stays."),
        "admin",
    ),
    Action(
        "admin.job.resumed",
        _l("Background job resumed"),
        _l("An operator resumed a job after its last completed batch."),
        "admin",
    ),
)
