"""The OAuth and OpenID Connect side of an identity provider, on authlib: how each kind is
registered, and who the provider says signed in (its `sub`, address and name). No request,
flash or template here; a provider that cannot be reached or answers wrongly is one
exception, ProviderError."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth, OAuthError
from flask import current_app
from flask_security.oauth_provider import GitHubFsOauthProvider
from joserfc.errors import JoseError

from ..core.headers import allow_form_target
from ..core.redirects import choose_offsite
from .config import Provider

log = logging.getLogger(__name__)

# Seconds one request to a provider (discovery, token, keys, user info) may take.
TIMEOUT = 10


class ProviderError(OAuthError):
    """The provider could not be reached, or its answer did not hold (a bad signature, a
    wrong issuer or nonce, no subject); Flask-Security's callbacks catch OAuthError."""

    def __init__(self, description: str) -> None:
        super().__init__(error="provider_error", description=description)


def _guarded(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except OAuthError:
        raise
    except (requests.RequestException, AuthlibBaseError, JoseError, ValueError, KeyError) as error:
        log.warning("identity provider: %s: %s", type(error).__name__, error)
        raise ProviderError(f"{type(error).__name__}: {error}") from error


class GuardedOAuth2App(FlaskOAuth2App):
    """authlib's Flask client whose every exchange with the provider fails as ProviderError,
    and whose redirect to the provider's sign-in page the console lets through."""

    def load_server_metadata(self) -> Any:
        metadata = _guarded(super().load_server_metadata)
        endpoint = metadata.get("authorization_endpoint")
        if endpoint:
            # The sign-in forms lead there (through Flask-Security's redirect).
            allow_form_target(current_app, endpoint)
        return metadata

    def authorize_redirect(self, redirect_uri: Any = None, **kwargs: Any) -> Any:
        response = _guarded(super().authorize_redirect, redirect_uri, **kwargs)
        choose_offsite(response.headers["Location"])
        return response

    def authorize_access_token(self, **kwargs: Any) -> Any:
        return _guarded(super().authorize_access_token, **kwargs)

    def userinfo(self, **kwargs: Any) -> Any:
        return _guarded(super().userinfo, **kwargs)

    def request(self, method: str, url: str, token: Any = None, **kwargs: Any) -> Any:
        return _guarded(super().request, method, url, token=token, **kwargs)


class ConsoleOAuth(OAuth):
    """The OAuth registry Flask-Security's OAuth support is given (Security(oauth=...))."""

    oauth2_client_cls = GuardedOAuth2App


def sign_in_origin(provider: Provider) -> str:
    """Where the provider's sign-in page most likely is, before its discovery document is
    read: the document's own origin (GitHub's: github.com)."""
    if provider.kind == "github":
        return str(GitHubFsOauthProvider(provider.name).authlib_config()["authorize_url"])
    return str(provider.discovery_url)


def registration(provider: Provider) -> dict[str, Any]:
    """The keyword arguments authlib registers `provider` with."""
    if provider.kind == "github":
        # Flask-Security's GitHub shape (endpoints, scope), with this provider's client.
        shape = GitHubFsOauthProvider(provider.name).authlib_config()
        client_kwargs = dict(shape.pop("client_kwargs") or {})
    else:
        shape = {"server_metadata_url": provider.discovery_url}
        client_kwargs = {"code_challenge_method": "S256"}
    if provider.scopes:
        client_kwargs["scope"] = provider.scopes
    client_kwargs["default_timeout"] = TIMEOUT
    return {
        **shape,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "client_kwargs": client_kwargs,
    }


@dataclass(frozen=True)
class Claims:
    """Who the provider says signed in: `sub` is its stable identifier of the person."""

    sub: str
    email: str | None
    email_verified: bool
    name: str | None


def _verified(value: Any, trust_unstated: bool = False) -> bool:
    if value is None:
        return trust_unstated
    # Some providers send the claim as a string.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def claims(client: Any, token: Any, kind: str, *, trust_email: bool = False) -> Claims:
    """Who signed in, from the token (the validated ID token's claims) or the provider's API;
    raises ProviderError when the provider names nobody. With `trust_email`, an address the
    answer says nothing about (no `email_verified`) counts as verified."""
    if kind == "github":
        return _github_claims(client, token)
    found = dict(token.get("userinfo") or {})
    if not found.get("email") and client.load_server_metadata().get("userinfo_endpoint"):
        # Some providers keep the address out of the ID token: their user info endpoint has
        # it, for the same subject.
        extra = dict(client.userinfo(token=token))
        if not found.get("sub") or str(extra.get("sub")) == str(found["sub"]):
            for key in ("sub", "email", "email_verified", "name"):
                if found.get(key) is None:
                    found[key] = extra.get(key)
    sub = str(found.get("sub") or "")
    if not sub or len(sub) > 255:
        raise ProviderError("the provider's answer names no subject")
    email = found.get("email") or None
    stated = found.get("email_verified")
    return Claims(
        sub=sub,
        email=str(email) if email else None,
        email_verified=bool(email) and _verified(stated, trust_email),
        name=found.get("name") or None,
    )


def _github_claims(client: Any, token: Any) -> Claims:
    profile = client.get("user", token=token).json()
    sub = str(profile.get("id") or "")
    if not sub:
        raise ProviderError("GitHub's answer names no account")
    # GitHub's profile shows a public address it does not vouch for; its list of addresses
    # says which one is the primary and whether it was verified.
    addresses = client.get("user/emails", token=token).json()
    primary = next((a for a in addresses if isinstance(a, dict) and a.get("primary")), {})
    return Claims(
        sub=sub,
        email=primary.get("email"),
        email_verified=bool(primary.get("email")) and primary.get("verified") is True,
        name=profile.get("name") or profile.get("login"),
    )
