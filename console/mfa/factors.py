"""The MFA feature's factors, as registered in console.core.factors: each declared once."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_security import naive_utcnow
from sqlalchemy import Text, and_, exists, func, literal_column, select

from ..core import factor_flag
from ..core.factors import Alert, Factor, has_second_factor, register
from ..core.models import models
from ..extensions import db
from .models import BreakGlassCode

# WebAuthn usages as Flask-Security stores them.
FIRST = "first"
SECONDARY = "secondary"
# Passkeys and security keys are one table: their audit actions are shared.
KEY_ACTIONS = (
    "mfa.webauthn.registered",
    "mfa.webauthn.renamed",
    "mfa.webauthn.deleted",
    "mfa.webauthn.removed",
)


def asked_as_second_factor(usage: str | None) -> bool:
    """Whether a passkey or security key of this usage is a second factor.

    Only a key registered for "secondary" use is. After a password (or an email or
    authenticator sign-in code), Flask-Security asks for the keys its WebAuthn two-factor
    plugin lists, and that plugin lists only "secondary" keys (`has_webauthn(user,
    "secondary")`); the second step of a sign-in offers those keys alone. A passkey
    registered for "first" (passwordless) use signs in *instead of* the password: with
    SECURITY_WAN_ALLOW_AS_MULTI_FACTOR and user verification that sign-in is multi-factor
    by itself, but the password still signs in alone. Counting it would report an account
    as protected while its password is all an attacker needs, so it never counts.
    """
    return usage == SECONDARY


def _keys(user: Any, usage: str) -> list[Any]:
    return [key for key in getattr(user, "webauthn", None) or () if key.usage == usage]


def _two_factor_columns() -> tuple[Any, ...]:
    User = models().User
    return (User.tf_primary_method, User.tf_totp_secret)


def _key_owner() -> tuple[Any, ...]:
    return (models().WebAuthn.user_id,)


def _key_condition(usage: str) -> Any:
    # Served by ix_webauthn_user_id: a correlated probe per user row, never a scan.
    User = models().User
    WebAuthn = models().WebAuthn
    return exists().where(WebAuthn.user_id == User.id, WebAuthn.usage == usage)


def _delete_keys(user: Any, usage: str) -> None:
    from flask_security.proxies import _datastore

    # Through the user's collection: a later save of the user must not bring a key back.
    for key in _keys(user, usage):
        user.webauthn.remove(key)
        _datastore.delete_webauthn(key)


# ---------------------------------------------------------------- two-factor codes


def _two_factor(user: Any, method: str) -> bool:
    # Flask-Security's is_tf_setup: a method without its secret asks for nothing.
    return user.tf_primary_method == method and bool(user.tf_totp_secret)


def _two_factor_condition(method: str) -> Any:
    User = models().User
    return and_(User.tf_primary_method == method, User.tf_totp_secret.is_not(None))


def _reset_two_factor(user: Any, method: str) -> None:
    from flask_security.proxies import _datastore

    if user.tf_primary_method == method:
        _datastore.tf_reset(user)
    if method == "authenticator":
        user.totp_last_counter = None


# ---------------------------------------------------------------- unified sign-in app


def _signin_app(user: Any) -> bool:
    from flask_security.proxies import _datastore

    return "authenticator" in _datastore.us_get_totp_secrets(user)


def _signin_app_condition() -> Any:
    # Flask-Security keeps unified sign-in secrets as a JSON object keyed by method.
    User = models().User
    return User.us_totp_secrets.like('%"authenticator"%')


def _reset_signin_app(user: Any) -> None:
    from flask_security.proxies import _datastore

    if _signin_app(user):
        _datastore.us_reset(user, "authenticator")
    user.totp_last_counter = None


# ---------------------------------------------------------------- fallbacks


def _recovery_codes(user: Any) -> bool:
    from flask_security.proxies import _datastore

    return bool(_datastore.mf_get_recovery_codes(user))


def _recovery_codes_condition() -> Any:
    # Seen as plain text: Flask-Security's list type cannot take part in cached SQL.
    User = models().User
    codes = literal_column(f'"{User.__tablename__}".mf_recovery_codes', Text)
    return and_(codes.is_not(None), func.length(codes) > 0)


def _reset_recovery_codes(user: Any) -> None:
    from flask_security.proxies import _datastore

    _datastore.mf_set_recovery_codes(user, None)


# Few enough that the account holder should make new ones before they run out.
FEW_RECOVERY_CODES = 2
NO_RECOVERY_CODES_ALERT = Alert(
    "no_recovery_codes",
    "warning",
    _l("You have no recovery codes. Generate them and keep them somewhere safe."),
)
FEW_RECOVERY_CODES_ALERT = Alert(
    "few_recovery_codes",
    "warning",
    _l("You are running out of recovery codes. Generate new ones."),
)


def _recovery_code_alerts(user: Any) -> list[Alert]:
    from flask_security.proxies import _security

    remaining = _security.mf_recovery_codes_util.remaining(user)
    if remaining == 0:
        # Without a second factor there is nothing for a code to stand in for.
        return [NO_RECOVERY_CODES_ALERT] if has_second_factor(user) else []
    return [FEW_RECOVERY_CODES_ALERT] if remaining <= FEW_RECOVERY_CODES else []


def _active_break_glass(now: Any) -> Any:
    return and_(BreakGlassCode.used_at.is_(None), BreakGlassCode.expires_at > now)


def _break_glass(user: Any) -> bool:
    found = db.session.scalar(
        select(BreakGlassCode.id)
        .where(BreakGlassCode.user_id == user.id, _active_break_glass(naive_utcnow()))
        .limit(1)
    )
    return found is not None


def _break_glass_condition() -> Any:
    # Served by ix_mfa_break_glass_code_user_id.
    User = models().User
    return exists().where(BreakGlassCode.user_id == User.id, _active_break_glass(naive_utcnow()))


def _reset_break_glass(user: Any) -> None:
    from .flows import _expire_break_glass

    _expire_break_glass(user)


FACTORS: tuple[Factor, ...] = (
    Factor(
        key="authenticator",
        label=_l("Authenticator app"),
        is_set_up=lambda user: _two_factor(user, "authenticator"),
        condition=lambda: _two_factor_condition("authenticator"),
        second_factor=True,
        reset=lambda user: _reset_two_factor(user, "authenticator"),
        actions=("mfa.totp.enabled", "mfa.totp.disabled", "mfa.totp.reset"),
        order=10,
        watches=_two_factor_columns,
    ),
    Factor(
        key="email",
        label=_l("Email codes"),
        is_set_up=lambda user: _two_factor(user, "email"),
        condition=lambda: _two_factor_condition("email"),
        second_factor=True,
        reset=lambda user: _reset_two_factor(user, "email"),
        actions=("mfa.email.enabled", "mfa.email.disabled"),
        order=20,
        watches=_two_factor_columns,
    ),
    Factor(
        key="security_key",
        label=_l("Security key"),
        is_set_up=lambda user: bool(_keys(user, SECONDARY)),
        condition=lambda: _key_condition(SECONDARY),
        second_factor=asked_as_second_factor(SECONDARY),
        reset=lambda user: _delete_keys(user, SECONDARY),
        actions=KEY_ACTIONS,
        order=30,
        watches=_key_owner,
    ),
    Factor(
        key="passkey",
        label=_l("Passkey (instead of a password)"),
        is_set_up=lambda user: bool(_keys(user, FIRST)),
        condition=lambda: _key_condition(FIRST),
        second_factor=asked_as_second_factor(FIRST),
        reset=lambda user: _delete_keys(user, FIRST),
        actions=KEY_ACTIONS,
        order=40,
        watches=_key_owner,
    ),
    Factor(
        key="authenticator_signin",
        label=_l("Authenticator app (instead of a password)"),
        is_set_up=_signin_app,
        condition=_signin_app_condition,
        # Unified sign-in codes replace the password; a password sign-in never asks for them.
        second_factor=False,
        reset=_reset_signin_app,
        actions=("mfa.totp.reset",),
        order=50,
        watches=lambda: (models().User.us_totp_secrets,),
    ),
    Factor(
        key="recovery_codes",
        label=_l("Recovery codes"),
        is_set_up=_recovery_codes,
        condition=_recovery_codes_condition,
        second_factor=False,
        reset=_reset_recovery_codes,
        actions=("mfa.recovery_codes.generated", "mfa.recovery_code.used"),
        order=60,
        alerts=_recovery_code_alerts,
        watches=lambda: (models().User.mf_recovery_codes,),
    ),
    Factor(
        key="break_glass",
        label=_l("One-time code from an operator"),
        is_set_up=_break_glass,
        condition=_break_glass_condition,
        second_factor=False,
        reset=_reset_break_glass,
        actions=("mfa.breakglass.issued", "mfa.breakglass.used"),
        order=70,
        watches=lambda: (BreakGlassCode.user_id,),
    ),
)

# The operator's "reset the authenticator app" covers both places an app secret lives.
APP_FACTORS = ("authenticator", "authenticator_signin")


def init_app(app: Flask) -> None:
    """Register every factor of this feature with the app's registry, and keep each
    account's has_second_factor flag in step with them."""
    for factor in FACTORS:
        register(app, factor)
    factor_flag.install()
