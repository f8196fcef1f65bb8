"""Flask-Security's credential forms with the lock checked before any credential is.

A locked account is refused with the message an unknown account gets, before a password
hash or code is computed, and after the same wait (see timing.pad).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user
from flask_security import (
    LoginForm,
    MfRecoveryForm,
    TwoFactorVerifyCodeForm,
    UnifiedSigninForm,
    UnifiedVerifyForm,
    VerifyForm,
    WebAuthnSigninResponseForm,
)
from flask_security.forms import Form
from flask_security.proxies import _datastore
from flask_security.utils import get_identity_attribute, get_message, lookup_identity
from wtforms import Field

from ..core.emails import canonical_email
from . import checks, refusals, store, timing


def _refuse(field: Field, message_key: str, user: Any, auth_type: str) -> bool:
    checks.release_connection()
    timing.pad()
    refusals.refused(user, auth_type)
    field.errors = [*field.errors, get_message(message_key)[0]]
    return False


def _identity_key(value: str) -> str:
    # Every spelling that finds the same account waits in the same line.
    return canonical_email(value or "")


def _locked(user: Any) -> bool:
    return user is not None and user.id is not None and store.locked_until(user.id) is not None


class LockoutLoginForm(LoginForm):
    """Password sign-in: the account is looked up and its lock checked before the hash."""

    def validate(self, **kwargs: Any) -> bool:
        if not Form.validate(self, **kwargs):
            return False
        field, find = self._identity()
        if field is None:
            return self._check(**kwargs)
        with checks.one_at_a_time(("identity", _identity_key(field.data))):
            user = find()
            if _locked(user):
                return _refuse(field, "USER_DOES_NOT_EXIST", user, "password")
            # Looked up already: Flask-Security checks the password of this account.
            self.ifield, self.user = field, user
            checks.release_connection()
            return super().validate(**kwargs)

    def _check(self, **kwargs: Any) -> bool:
        # No identity field to look up: Flask-Security reports it as usual.
        self.ifield, self.user = None, None
        return super().validate(**kwargs)

    def _identity(self) -> tuple[Field | None, Callable[[], Any]]:
        """The identity field the user filled in, and how to find its account."""
        email_attr = get_identity_attribute("email")
        if email_attr and getattr(self, "email", None) and self.email.data:
            return self.email, lambda: _datastore.find_user(
                case_insensitive=email_attr.get("case_insensitive", False), email=self.email.data
            )
        username_attr = get_identity_attribute("username")
        if username_attr and getattr(self, "username", None) and self.username.data:
            return self.username, lambda: _datastore.find_user(
                case_insensitive=username_attr.get("case_insensitive", False),
                username=self.username.data,
            )
        return None, lambda: None


class LockoutVerifyForm(VerifyForm):
    """Re-authentication with the password."""

    def validate(self, **kwargs: Any) -> bool:
        if _locked(self.user):
            return Form.validate(self, **kwargs) and _refuse(
                self.password, "INVALID_PASSWORD", self.user, "password"
            )
        return super().validate(**kwargs)


class LockoutUnifiedSigninForm(UnifiedSigninForm):
    """Unified sign-in (password, emailed or authenticator code)."""

    def validate(self, **kwargs: Any) -> bool:
        if not (self.submit.data and Form.validate(self, **kwargs)):
            return super().validate(**kwargs)
        with checks.one_at_a_time(("identity", _identity_key(self.identity.data))):
            user = lookup_identity(self.identity.data)
            if _locked(user):
                return _refuse(self.passcode, "INVALID_PASSWORD_CODE", user, "passcode")
            checks.release_connection()
            return super().validate(**kwargs)


class LockoutUnifiedVerifyForm(UnifiedVerifyForm):
    """Unified re-authentication."""

    def validate(self, **kwargs: Any) -> bool:
        if self.submit.data and _locked(current_user) and Form.validate(self, **kwargs):
            return _refuse(self.passcode, "INVALID_PASSWORD_CODE", current_user, "passcode")
        return super().validate(**kwargs)


class LockoutTwoFactorVerifyCodeForm(TwoFactorVerifyCodeForm):
    """The second step of a two-factor sign-in (authenticator or emailed code)."""

    def validate(self, **kwargs: Any) -> bool:
        if not self.is_setup and _locked(self.user):
            return Form.validate(self, **kwargs) and _refuse(
                self.code, "TWO_FACTOR_INVALID_TOKEN", self.user, "code"
            )
        return super().validate(**kwargs)


class LockoutMfRecoveryForm(MfRecoveryForm):
    """A recovery code instead of the second factor; a wrong one counts as a failure."""

    def validate(self, **kwargs: Any) -> bool:
        if _locked(self.user):
            return Form.validate(self, **kwargs) and _refuse(
                self.code, "INVALID_RECOVERY_CODE", self.user, "recovery_code"
            )
        if super().validate(**kwargs):
            return True
        if self.user is not None and self.code.data:
            # Flask-Security does not report a wrong recovery code as a failed check.
            self.user.track_failed_authn("recovery_code", True)
        return False


class LockoutWebAuthnSigninResponseForm(WebAuthnSigninResponseForm):
    """A passkey sign-in: refused while the account is locked."""

    def validate(self, **kwargs: Any) -> bool:
        if not super().validate(**kwargs):
            return False
        if _locked(self.user):
            return _refuse(self.credential, "GENERIC_AUTHN_FAILED", self.user, "passkey")
        return True


# Passed to Security(...) by the application factory.
SECURITY_FORMS: dict[str, type] = {
    "login_form": LockoutLoginForm,
    "verify_form": LockoutVerifyForm,
    "us_signin_form": LockoutUnifiedSigninForm,
    "us_verify_form": LockoutUnifiedVerifyForm,
    "two_factor_verify_code_form": LockoutTwoFactorVerifyCodeForm,
    "mf_recovery_form": LockoutMfRecoveryForm,
    "wan_signin_response_form": LockoutWebAuthnSigninResponseForm,
}
