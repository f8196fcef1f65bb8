"""The audit actions of personal access tokens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "api.token.created",
        _l("API token created"),
        _l("A personal access token was created for the API."),
        "session",
        notice=_l("A personal access token named “%(name)s” was created for your account."),
    ),
    Action(
        "api.token.used_new_address",
        _l("API token used from a new address"),
        _l("A personal access token was used from an address it was not last used from."),
        "session",
    ),
    Action(
        "api.token.revoked",
        _l("API token revoked"),
        _l("A personal access token was revoked by its owner or an operator."),
        "session",
        notice=_l("The personal access token named “%(name)s” of your account was revoked."),
    ),
)
