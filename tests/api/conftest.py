"""Fixtures for the API: tokens made through the token flow, and requests that carry them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

BASE = "/api/v1"


@pytest.fixture
def make_token(app: Any) -> Callable[..., str]:
    """make_token(user, scopes=None, days=30): a token's secret; scopes default to all the
    user holds. Outside a request the flow's freshness check has no session to doubt."""
    from flask_security import naive_utcnow

    from console.api import tokens
    from console.core.policy import permissions_of

    def factory(user: Any, scopes: list[str] | None = None, days: int = 30, name: str = "t") -> str:
        wanted = sorted(permissions_of(user)) if scopes is None else scopes
        created = tokens.create_token(
            user, name=name, scopes=wanted, expires_at=naive_utcnow() + timedelta(days=days)
        )
        return created.secret

    return factory


class Api:
    """A test client whose requests carry `Authorization: Bearer <token>` and JSON."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        given = dict(headers or {})
        if self.token:
            given.setdefault("Authorization", f"Bearer {self.token}")
        return given

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(BASE + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        headers = self._headers(kw.pop("headers", None))
        return self.client.post(
            BASE + path, json=json if json is not None else {}, headers=headers, **kw
        )

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        headers = self._headers(kw.pop("headers", None))
        return self.client.patch(BASE + path, json=json or {}, headers=headers, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        headers = self._headers(kw.pop("headers", None))
        return self.client.put(BASE + path, json=json or {}, headers=headers, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(BASE + path, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def api_as(app: Any, make_token: Callable[..., str]) -> Callable[..., Api]:
    """api_as(user, scopes=None): a fresh client (no cookie) carrying a new token of `user`."""

    def build(user: Any, scopes: list[str] | None = None) -> Api:
        return Api(app.test_client(), make_token(user, scopes))

    return build


@pytest.fixture
def operator_api(api_as: Callable[..., Api], operator: Any) -> Api:
    """The full administrator's token with every permission they hold."""
    return api_as(operator)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert `response` is the problem+json `code` with `status`; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json", response.mimetype
    body = response.get_json()
    assert body["code"] == code, body
    assert body["status"] == status and body["title"] and body["type"].endswith(code)
    return body
