"""A local OpenID Connect provider for tests, built on authlib's server components (the
authorization code grant with OpenID Connect's ID token and PKCE): served on localhost in a
thread, with people the tests describe; nothing leaves the machine.

Its sign-in page is a form with one field, the person's `sub`: a browser test fills it in,
and `LocalProvider.authorize` posts it for the tests that drive the console's test client.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo
from flask import Flask, abort, jsonify, request
from joserfc.jwk import KeySet, RSAKey
from markupsafe import escape
from werkzeug.serving import make_server

from .browser import free_port

CLIENT_ID = "security-console"
CLIENT_SECRET = "console-client-secret"
SCOPES = ("openid", "email", "profile")
# The claims each scope releases (OpenID Connect Core, 5.4).
SCOPE_CLAIMS = {"email": ("email", "email_verified"), "profile": ("name",)}


class Client(ClientMixin):
    """The console, registered with any redirect URI on this machine."""

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return urlsplit(redirect_uri).hostname in ("localhost", "127.0.0.1")

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    redirect_uri: str
    scope: str
    sub: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class LocalProvider:
    """The provider at `url`: `person(sub, ...)` says who a `sub` is, `authorize(url, sub)`
    answers an authorization request as that person would by signing in there."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.discovery_url = f"{self.url}/.well-known/openid-configuration"
        self.people: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, tuple[str, str]] = {}
        self.key = RSAKey.generate_key(2048, parameters={"kid": "local-1", "use": "sig"})
        self.app = self._app()
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ------------------------------------------------------------ for the tests

    def config(self, name: str = "corp", label: str = "Corp ID", **policy: Any) -> dict[str, Any]:
        """An entry of CONSOLE_OIDC_PROVIDERS for this provider."""
        return {
            "name": name,
            "label": label,
            "discovery_url": self.discovery_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            **policy,
        }

    def person(
        self, sub: str, email: str | None = None, verified: bool | None = True, **claims: Any
    ) -> str:
        """Make `sub` a person at the provider with `email` (verified or not, or with no
        `email_verified` claim at all for None); returns `sub`."""
        values: dict[str, Any] = {"sub": sub, **claims}
        if email is not None:
            values.update(email=email)
            if verified is not None:
                values.update(email_verified=verified)
        self.people[sub] = values
        return sub

    def authorize(self, authorization_url: str, sub: str) -> str:
        """Sign in as `sub` at the provider; returns where it sends the browser back to."""
        assert authorization_url.startswith(self.url), authorization_url
        response = requests.post(
            authorization_url, data={"sub": sub}, allow_redirects=False, timeout=5
        )
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def start(self) -> LocalProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------ the provider

    def _app(self) -> Flask:
        provider = self
        app = Flask("local_oidc_provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 3600}

        class CodeGrant(grants.AuthorizationCodeGrant):
            def save_authorization_code(self, code: str, request: Any) -> None:
                data = request.payload.data
                provider.codes[code] = Code(
                    code=code,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.scope,
                    sub=request.user["sub"],
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code: str, client: Any) -> Code | None:
                return provider.codes.get(code)

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> dict[str, Any] | None:
                return provider.people.get(authorization_code.sub)

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce: str, request: Any) -> bool:
                return any(code.nonce == nonce for code in provider.codes.values())

            def resolve_client_private_key(self, client: Any) -> Any:
                return provider.key

            def get_client_algorithm(self, client: Any) -> str:
                return "RS256"

            def get_encode_header(self, client: Any) -> dict[str, str]:
                return {"alg": "RS256", "kid": "local-1"}

            def get_client_claims(self, client: Any) -> dict[str, Any]:
                now = int(time.time())
                return {"iss": provider.url, "aud": [CLIENT_ID], "iat": now, "exp": now + 600}

            def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
                return UserInfo(provider.released(user, scope))

        def save_token(token: dict[str, Any], request: Any) -> None:
            provider.tokens[token["access_token"]] = (request.user["sub"], token["scope"])

        server = AuthorizationServer(app, query_client=lambda _id: Client(), save_token=save_token)
        server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge()])

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(
                issuer=provider.url,
                authorization_endpoint=f"{provider.url}/authorize",
                token_endpoint=f"{provider.url}/token",
                userinfo_endpoint=f"{provider.url}/userinfo",
                jwks_uri=f"{provider.url}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                scopes_supported=list(SCOPES),
                code_challenge_methods_supported=["S256"],
            )

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            try:
                grant = server.get_consent_grant(end_user=None)
            except OAuth2Error as error:
                return f"<p>{escape(error.description or error.error)}</p>", 400
            if request.method == "POST":
                sub = request.form.get("sub", "").strip()
                person = provider.people.setdefault(sub, {"sub": sub}) if sub else None
                return server.create_authorization_response(grant_user=person, grant=grant)
            return (
                '<!DOCTYPE html><html lang="en"><head><title>Local provider</title></head>'
                '<body><main><h1>Sign in to the local provider</h1><form method="post">'
                '<label for="sub">Subject</label> <input id="sub" name="sub" required>'
                ' <button type="submit">Sign in</button></form></main></body></html>'
            )

        @app.post("/token")
        def token() -> Any:
            return server.create_token_response()

        @app.get("/userinfo")
        def userinfo() -> Any:
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            found = provider.tokens.get(bearer)
            if found is None:
                abort(401)
            sub, scope = found
            return jsonify(provider.released(provider.people[sub], scope))

        return app

    def released(self, person: dict[str, Any], scope: str) -> dict[str, Any]:
        """What `person`'s claims the provider releases for `scope`."""
        allowed = {"sub"} | {c for s in scope.split() for c in SCOPE_CLAIMS.get(s, ())}
        return {key: value for key, value in person.items() if key in allowed}


@contextmanager
def local_provider() -> Iterator[LocalProvider]:
    """A provider on a free port of localhost until the block ends."""
    provider = LocalProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


def path_of(url: str) -> str:
    """The path and query of `url`, for Flask's test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
