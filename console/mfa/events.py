"""The audit actions of second factors: the account holder's own set-ups and removals,
recovery codes, passkey changes, operator resets and break-glass codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "mfa.totp.enabled",
        _l("Authenticator app set up"),
        _l("Codes from an authenticator app became the second factor."),
        "mfa",
        notice=_l("Codes from an authenticator app are now your second factor for signing in."),
        notice_subject=_l("An authenticator app was set up"),
    ),
    Action(
        "mfa.totp.disabled",
        _l("Authenticator app removed"),
        _l("Codes from the authenticator app no longer sign the account holder in."),
        "mfa",
        notice=_l("Codes from your authenticator app no longer sign you in."),
        notice_subject=_l("Your authenticator app was removed"),
    ),
    Action(
        "mfa.email.enabled",
        _l("Email codes set up"),
        _l("Codes sent by email became the second factor."),
        "mfa",
        notice=_l("Codes sent to this address are now your second factor for signing in."),
        notice_subject=_l("Email codes were set up"),
    ),
    Action(
        "mfa.email.disabled",
        _l("Email codes turned off"),
        _l("Codes sent by email are no longer the second factor."),
        "mfa",
        notice=_l("Codes sent by email are no longer your second factor."),
        notice_subject=_l("Email codes were turned off"),
    ),
    Action(
        "mfa.two_factor.enabled",
        _l("Two-factor method set up"),
        _l("A second factor of another kind was set up."),
        "mfa",
    ),
    Action(
        "mfa.two_factor.disabled",
        _l("Two-factor authentication turned off"),
        _l("The second factor was turned off."),
        "mfa",
    ),
    Action(
        "mfa.recovery_codes.generated",
        _l("Recovery codes generated"),
        _l("New recovery codes replaced the old ones."),
        "mfa",
        notice=_l(
            "%(count)s new recovery codes were made. Any codes you had before no longer work."
        ),
        notice_subject=_l("New recovery codes were generated"),
    ),
    Action(
        "mfa.recovery_code.used",
        _l("Recovery code used"),
        _l("A recovery code completed a sign-in."),
        "sign_in",
        notice=_l(
            "Someone signed in to your account with a recovery code. %(remaining)s codes remain."
        ),
        notice_subject=_l("A recovery code was used to sign in"),
    ),
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
