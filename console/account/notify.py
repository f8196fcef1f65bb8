"""Notification mail to the account holder after a change to their account's security."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_security import naive_utcnow
from flask_security.proxies import _security

log = logging.getLogger(__name__)

# One table of what each notice says: (subject, message). Keys are the audit actions.
NOTICES: dict[str, tuple[Any, Any]] = {
    "account.profile.updated": (
        _l("Your profile was updated"),
        _l("The display name, language or time zone of your account was changed."),
    ),
    "account.email.changed": (
        _l("The email address of your account was changed"),
        _l("Your account now uses a different email address: %(new_email)s."),
    ),
    "mfa.totp.enabled": (
        _l("An authenticator app was set up"),
        _l("Codes from an authenticator app are now your second factor for signing in."),
    ),
    "mfa.totp.disabled": (
        _l("Your authenticator app was removed"),
        _l("Codes from your authenticator app no longer sign you in."),
    ),
    "mfa.email.enabled": (
        _l("Email codes were set up"),
        _l("Codes sent to this address are now your second factor for signing in."),
    ),
    "mfa.email.disabled": (
        _l("Email codes were turned off"),
        _l("Codes sent by email are no longer your second factor."),
    ),
    "mfa.recovery_codes.generated": (
        _l("New recovery codes were generated"),
        _l("%(count)s new recovery codes were made. Any codes you had before no longer work."),
    ),
    "mfa.recovery_code.used": (
        _l("A recovery code was used to sign in"),
        _l("Someone signed in to your account with a recovery code. %(remaining)s codes remain."),
    ),
}


def send_notice(user: Any, action: str, recipient: str | None = None, **values: Any) -> None:
    """Mail `user` (or `recipient`) the notice for `action`; a mail failure never undoes it."""
    subject, message = NOTICES[action]
    language = user.locale if user.locale in current_app.config["CONSOLE_LANGUAGES"] else None
    try:
        with force_locale(language or current_app.config["CONSOLE_LANGUAGES"][0]):
            context = {
                "user": user,
                "subject": str(subject),
                "message": str(message) % values if values else str(message),
                "when": naive_utcnow().strftime("%Y-%m-%d %H:%M UTC"),
                "center_url": url_for("account.security", _external=True),
                "site_name": current_app.config["CONSOLE_SITE_NAME"],
            }
            _security._mail_util.send_mail(
                "account/notice",
                context["subject"],
                recipient or user.email,
                current_app.config["SECURITY_EMAIL_SENDER"],
                render_template("email/account/notice.txt", **context),
                render_template("email/account/notice.html", **context),
                user=user,
            )
    except Exception:
        # The change itself is done; a mail server outage must not turn it into an error.
        log.exception("could not send the %s notice to user %s", action, user.id)
