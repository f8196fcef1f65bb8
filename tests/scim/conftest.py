"""Fixtures for SCIM: a provider's service account and its token, and a client that speaks
application/scim+json with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

BASE = "/scim/v2"
MEDIA_TYPE = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
# What `flask console scim-token` gives a provider's service account.
PROVIDER_PERMISSIONS = ["users:read", "users:write", "roles:read", "roles:write", "scim:provision"]


class Scim:
    """A test client whose requests carry the provider's token and SCIM's media type."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(BASE + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def _send(self, method: str, path: str, body: Any, **kw: Any) -> Any:
        import json

        return self.client.open(
            BASE + path,
            method=method,
            data=json.dumps(body),
            content_type=MEDIA_TYPE,
            headers=self._headers(kw.pop("headers", None)),
            **kw,
        )

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self._send("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> Any:
        return self._send("PUT", path, body, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> Any:
        return self._send("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(BASE + path, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def provider(make_user: Callable[..., Any]) -> Any:
    """The identity provider's service account (no password: it never signs in)."""
    return make_user(
        "scim@example.com",
        password=None,
        roles=["SCIM provisioning"],
        permissions=PROVIDER_PERMISSIONS,
        name="Entra ID",
    )


@pytest.fixture
def token_of(app: Any) -> Callable[..., str]:
    """token_of(user, scopes, name="Entra ID"): a new token's secret, made by the token flow
    (outside a request its freshness check has no session to doubt)."""
    from datetime import timedelta

    from flask_security import naive_utcnow

    from console.api import tokens

    def factory(user: Any, scopes: list[str], name: str = "Entra ID") -> str:
        created = tokens.create_token(
            user, name=name, scopes=scopes, expires_at=naive_utcnow() + timedelta(days=30)
        )
        return created.secret

    return factory


@pytest.fixture
def provider_token(provider: Any, token_of: Callable[..., str]) -> str:
    """A token of the service account with every permission its role gives."""
    return token_of(provider, PROVIDER_PERMISSIONS)


@pytest.fixture
def scim(app: Any, provider_token: str) -> Scim:
    """The provider's client."""
    return Scim(app.test_client(), provider_token)


def scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """Assert `response` is a SCIM Error with `status` (and `scim_type`); returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == MEDIA_TYPE, response.mimetype
    body = response.get_json()
    assert body["schemas"] == [ERROR_SCHEMA], body
    assert body["status"] == str(status), body
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    assert body.get("detail"), body
    return body


def new_user(email: str, **extra: Any) -> dict[str, Any]:
    """A User as providers POST it."""
    return {"schemas": [USER_SCHEMA], "userName": email, "active": True, **extra}
