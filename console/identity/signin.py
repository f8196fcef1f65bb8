"""Flask-Security's OAuth support in the console's terms: each configured provider is one of
its providers, whose callback finds the account through the identity flows (by the
provider's `sub`), and whose refusals are sentences on the sign-in or re-authentication page.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import url_for_security
from flask_security.oauth_provider import FsOAuthProvider

from . import flows, providers
from .config import Provider, parse

log = logging.getLogger(__name__)

# Flask-Security's endpoint of the re-authentication callback; any other is a sign-in.
VERIFY_RESPONSE = "security.oauth_verify_response"


class Refused(providers.OAuthError):
    """An identity flow refused the provider's answer; Flask-Security's callbacks catch
    OAuthError and hand it to oauth_response_failure."""

    def __init__(self, refusal: flows.IdentityError) -> None:
        super().__init__(error=refusal.code, description=str(refusal))
        self.refusal = refusal


class ConsoleProvider(FsOAuthProvider):
    """A configured provider as Flask-Security registers it."""

    def __init__(self, config: Provider) -> None:
        super().__init__(config.name)
        self.config = config
        # The sign-in page's button names it.
        self.label = config.label

    def authlib_config(self) -> dict[str, Any]:
        return providers.registration(self.config)

    def fetch_identity_cb(self, oauth: Any, token: Any) -> tuple[str, Any]:
        """The account of the provider's answer, as Flask-Security looks accounts up."""
        claims = providers.claims(
            getattr(oauth, self.name),
            token,
            self.config.kind,
            trust_email=self.config.trust_email,
        )
        try:
            if request.endpoint == VERIFY_RESPONSE:
                user = flows.confirm_identity(_me(), self.config, claims)
            else:
                user = flows.sign_in(self.config, claims)
        except flows.IdentityError as refusal:
            raise Refused(refusal) from refusal
        return "email", user.email

    def oauth_response_failure(self, error_view: str, e: Any) -> Any:
        """A refusal or a failed exchange: say so on the page the person came from."""
        if isinstance(e, Refused):
            message = e.description
        else:
            log.warning("sign-in with %s failed: %s %s", self.name, e.error, e.description)
            message = _(
                "Signing in with %(provider)s did not work. Try again, or sign in another way.",
                provider=self.config.label,
            )
        flash(message, "error")
        if error_view == "VERIFY_ERROR_VIEW":
            return redirect(url_for_security(verify_view()))
        return redirect(url_for_security("login"))


def _me() -> Any:
    """The signed-in User itself (not Flask-Login's proxy)."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def verify_view() -> str:
    """Flask-Security's re-authentication page for users' own changes."""
    return "us_verify" if current_app.config["SECURITY_UNIFIED_SIGNIN"] else "verify"


def reauth_providers() -> dict[str, Any]:
    """For the re-authentication pages: the configured providers linked to the signed-in
    account, as (name, label)."""
    if not current_user.is_authenticated:
        return {"reauth_providers": []}
    choices = [
        (item.identity.provider, item.label) for item in flows.linked(_me()) if item.configured
    ]
    return {"reauth_providers": choices}


def register(app: Flask, security: Any) -> None:
    """Register every configured provider with Flask-Security, and give the
    re-authentication pages the signed-in account's providers."""
    glue = security.oauthglue
    if glue is None:
        return
    for config in parse(app.config).values():
        if config.name not in glue.providers:
            glue.register_provider_ext(ConsoleProvider(config))
    security.verify_context_processor(reauth_providers)
    security.us_verify_context_processor(reauth_providers)
