"""The audit actions SCIM adds to the operators' own: what a provider keeps about an account
or a role beyond their columns, and an account a provider deleted while the console keeps it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "scim.user.updated",
        _l("Provisioning details changed"),
        _l("An identity provider changed its id for an account or the parts of its name."),
        "admin",
    ),
    Action(
        "scim.group.updated",
        _l("Provisioning id of a role changed"),
        _l("An identity provider changed its id for a role."),
        "admin",
    ),
    Action(
        "scim.user.deprovisioned",
        _l("Deleted by the identity provider"),
        _l(
            "An identity provider deleted an account; the console keeps it deactivated and "
            "no longer shows it to the provider."
        ),
        "admin",
    ),
)
