"""How sessions are described to people: sign-in methods, second factors, browsers."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from ua_parser import parse

# Codes stored in SessionRecord.auth_method.
METHODS = {
    "password": _l("Password"),
    "passkey": _l("Passkey"),
    "email_code": _l("Code by email"),
    "authenticator_code": _l("Authenticator app code"),
    "sms_code": _l("Code by SMS"),
    "email_link": _l("Sign-in link by email"),
    "password_reset": _l("Password reset"),
    "confirmation": _l("Email confirmation"),
    "registration": _l("Registration"),
    "oauth": _l("External identity provider"),
    "impersonation": _l("Operator signed in as this user"),
    "other": _l("Other"),
}

# Codes stored in SessionRecord.second_factor.
SECOND_FACTORS = {
    "authenticator": _l("authenticator app"),
    "email": _l("code by email"),
    "sms": _l("code by SMS"),
    "webauthn": _l("security key"),
    "recovery_code": _l("recovery code"),
}

REASONS = {
    "signed_out": _l("signed out"),
    "revoked": _l("ended"),
    "ended_others": _l("ended from another session"),
    "replaced": _l("replaced by a new sign-in"),
    "idle": _l("inactive for too long"),
    "absolute": _l("reached its maximum lifetime"),
    "deactivated": _l("account deactivated"),
    "credentials_changed": _l("credentials changed"),
    "password_changed": _l("password changed"),
    "password_reset": _l("password reset"),
    "email_changed": _l("email address changed"),
    "mfa_changed": _l("second factors changed"),
    "mfa_reset": _l("second factors reset by an operator"),
}

# What the person whose session ended reads on the sign-in page.
ENDED_MESSAGES = {
    "idle": _l("You were signed out after a period of inactivity. Please sign in again."),
    "absolute": _l("Your session reached its maximum length. Please sign in again."),
}
ENDED_DEFAULT = _l("Your session has ended. Please sign in again.")


def method_label(code: str | None, second_factor: str | None = None) -> str:
    """'Password + authenticator app', 'Passkey', ..."""
    label = str(METHODS.get(code or "other", code or METHODS["other"]))
    if second_factor:
        label = f"{label} + {SECOND_FACTORS.get(second_factor, second_factor)}"
    return label


@lru_cache(maxsize=512)
def _parts(user_agent: str) -> tuple[str, str]:
    """(browser with its major version, system with its version); "" for what is unknown."""
    result = parse(user_agent)
    browser = system = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        agent = result.user_agent
        browser = " ".join(part for part in (agent.family, agent.major) if part)
    if result.os is not None and result.os.family != "Other":
        os_ = result.os
        version = ".".join(v for v in (os_.major, os_.minor, os_.patch) if v)
        system = " ".join(part for part in (os_.family, version) if part)
    return browser, system


def device_label(user_agent: str | None) -> str:
    """'Firefox 128 on Windows 10', or 'Unknown device' when the parser recognises nothing."""
    if not user_agent:
        return str(_l("Unknown device"))
    browser, system = _parts(user_agent)
    if not browser and not system:
        return str(_l("Unknown device"))
    if not system:
        return browser
    if not browser:
        return system
    return str(_l("%(browser)s on %(system)s", browser=browser, system=system))
