"""Checks the console adds to Flask-Security's WebAuthn response forms (as mixins).

They are mixed into whichever form class the application already uses for each form
(another feature may have extended Flask-Security's), see `extend_security_forms`.
"""

from __future__ import annotations

from typing import Any

from flask import g, session
from flask_security import FormInfo
from flask_security.utils import get_message

from .providers import normalize_aaguid


class CaptureAaguid:
    """Keeps the verified registration's AAGUID for the wan_registered receiver."""

    def validate(self, **kwargs: Any) -> bool:
        if not super().validate(**kwargs):  # type: ignore[misc]
            return False
        verification = getattr(self, "registration_verification", None)
        g.console_wan_aaguid = normalize_aaguid(getattr(verification, "aaguid", None))
        return True


class SecondFactorOwner:
    """A second-factor assertion must come from a key of the user who gave the password.

    Flask-Security signs in the owner of whichever credential answered, so without this
    check someone who knows one account's password could complete the second step with
    a key belonging to another account and be signed in as that account.
    """

    def validate(self, **kwargs: Any) -> bool:
        if not super().validate(**kwargs):  # type: ignore[misc]
            return False
        user = getattr(self, "user", None)
        secondary = getattr(self, "is_secondary", False)
        if secondary and user is not None and user.fs_uniquifier != session.get("tf_user_id"):
            message = get_message("WEBAUTHN_MISMATCH_USER_HANDLE")[0]
            self.credential.errors = [*self.credential.errors, message]  # type: ignore[attr-defined]
            self.user = None
            return False
        return True


MIXINS = {
    "wan_register_response_form": CaptureAaguid,
    "wan_signin_response_form": SecondFactorOwner,
}


def extend_security_forms(security: Any) -> None:
    """Mix the checks into the form classes this app's Security object instantiates."""
    for name, mixin in MIXINS.items():
        info = security.forms[name]
        base = info.cls
        if base is None or issubclass(base, mixin):
            continue
        cls = type(f"{mixin.__name__}{base.__name__}", (mixin, base), {})
        security.set_form_info(name, FormInfo(instantiator=info.instantiator, cls=cls))
