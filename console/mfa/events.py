"""The audit actions of passkey changes, operator resets and break-glass codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "mfa.webauthn.renamed",
        _l("Security key or passkey renamed"),
        _l("The account holder gave one of their keys a new name."),
        "mfa",
        notice=_l("Your passkey or security key “%(old)s” was renamed to “%(name)s”."),
    ),
    Action(
        "mfa.totp.reset",
        _l("Authenticator app reset by an operator"),
        _l("An operator removed the account's authenticator app."),
        "admin",
        notice=_l("The authenticator app of your account was reset."),
    ),
    Action(
        "mfa.reset",
        _l("Second factors reset"),
        _l("An operator removed every second factor of the account."),
        "admin",
        notice=_l(
            "Every second factor of your account was reset: authenticator app, email codes, "
            "passkeys and recovery codes."
        ),
    ),
    Action(
        "mfa.breakglass.issued",
        _l("One-time recovery code issued"),
        _l("An operator issued a short-lived code that replaces the second factor once."),
        "admin",
        notice=_l("A one-time recovery code was issued for your account."),
    ),
    Action(
        "mfa.breakglass.used",
        _l("One-time recovery code used"),
        _l("A recovery code issued by an operator completed a sign-in."),
        "sign_in",
        notice=_l("A one-time recovery code issued by an operator was used to sign in."),
    ),
)
