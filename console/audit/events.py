"""The audit actions recorded from Flask-Security's ceremonies and by the audit trail itself."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "user.login",
        _l("Signed in"),
        _l("The account holder signed in."),
        "sign_in",
    ),
    Action(
        "user.session_renewed",
        _l("Session renewed"),
        _l("The browser was signed in again with the new password after a password change."),
        "sign_in",
    ),
    Action(
        "user.logout",
        _l("Signed out"),
        _l("The account holder signed out."),
        "sign_in",
    ),
    Action(
        "user.login_failed",
        _l("Failed sign-in"),
        _l("A sign-in was attempted with a wrong password or code, or for an unknown account."),
        "failure",
    ),
    Action(
        "access.unauthenticated",
        _l("Protected page requested without signing in"),
        _l("A visitor who had not signed in asked for a page that needs a sign-in."),
        "failure",
    ),
    Action(
        "user.register_existing",
        _l("Sign-up with an address in use"),
        _l("Someone tried to register with an email address or username already taken."),
        "failure",
    ),
    Action(
        "user.registered",
        _l("Registered"),
        _l("A new account was registered."),
        "account",
    ),
    Action(
        "user.confirmed",
        _l("Email address confirmed"),
        _l("The account holder confirmed their email address with the mailed link."),
        "account",
    ),
    Action(
        "user.confirm_instructions_sent",
        _l("Confirmation mail sent"),
        _l("A link to confirm the email address was mailed."),
        "account",
    ),
    Action(
        "user.login_link_sent",
        _l("Sign-in link sent"),
        _l("A link that signs the account holder in was mailed."),
        "sign_in",
    ),
    Action(
        "user.password_changed",
        _l("Password changed"),
        _l("The password was changed by someone who knew the current one."),
        "account",
    ),
    Action(
        "user.password_reset",
        _l("Password reset"),
        _l("A new password was set through a reset link."),
        "account",
    ),
    Action(
        "user.password_reset_requested",
        _l("Password reset requested"),
        _l("A password reset link was mailed."),
        "account",
    ),
    Action(
        "user.email_change_requested",
        _l("Email change requested"),
        _l("A link to confirm a new email address was mailed to that address."),
        "account",
    ),
    Action(
        "user.email_changed",
        _l("Email address changed"),
        _l("The account moved to a new, confirmed email address."),
        "account",
        notice=_l("Your account now uses a different email address: %(new_email)s."),
        notice_subject=_l("The email address of your account was changed"),
    ),
    Action(
        "user.username_changed",
        _l("Username changed"),
        _l("The account's username was changed."),
        "account",
    ),
    Action(
        "user.username_recovery_requested",
        _l("Username reminder sent"),
        _l("The account's username was mailed to its address."),
        "account",
    ),
    Action(
        "api.refresh_token.created",
        _l("API refresh token issued"),
        _l("A program signed in to the API and received a refresh token."),
        "session",
    ),
    Action(
        "api.refresh_token.revoked",
        _l("API refresh token revoked"),
        _l("An API refresh token stopped working."),
        "session",
    ),
    Action(
        "mfa.two_factor.confirmed",
        _l("Second factor confirmed"),
        _l("A code from a second factor was accepted."),
        "mfa",
    ),
    Action(
        "mfa.two_factor.code_sent",
        _l("Two-factor code sent"),
        _l("A second-factor code was sent by email or SMS."),
        "mfa",
    ),
    Action(
        "mfa.unified.changed",
        _l("Sign-in methods changed"),
        _l("A method of signing in with a code was set up or removed."),
        "mfa",
    ),
    Action(
        "mfa.unified.code_sent",
        _l("Sign-in code sent"),
        _l("A one-time sign-in code was sent."),
        "mfa",
    ),
    Action(
        "mfa.webauthn.registered",
        _l("Security key or passkey added"),
        _l("A passkey or security key was registered for the account."),
        "mfa",
        notice=_l("A passkey or security key “%(name)s” was added to your account."),
    ),
    Action(
        "mfa.webauthn.removed",
        _l("Security key or passkey removed"),
        _l("A passkey or security key was removed from the account."),
        "mfa",
        notice=_l("The passkey or security key “%(name)s” was removed from your account."),
    ),
    Action(
        "audit.exported",
        _l("Audit trail exported"),
        _l("An operator downloaded the audit trail."),
        "system",
    ),
    Action(
        "audit.purged",
        _l("Old audit events purged"),
        _l("Events older than the retention period were deleted."),
        "system",
    ),
)
