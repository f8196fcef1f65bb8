"""Fixtures for the users pages: an operator's client and some accounts to manage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import login

BASE = "/admin/users/"


@pytest.fixture
def reader(client, make_user) -> Any:
    """A client signed in as someone holding users:read only."""
    make_user("reader@example.com", password="reader password 1", permissions=["users:read"])
    assert login(client, "reader@example.com", "reader password 1").status_code == 302
    return client


@pytest.fixture
def nobody(client, make_user) -> Any:
    """A client signed in as someone with no console permission."""
    make_user("nobody@example.com", password="nobody password 1")
    assert login(client, "nobody@example.com", "nobody password 1").status_code == 302
    return client


@pytest.fixture
def confirm_action() -> Callable[..., Any]:
    """POST an action twice, as the pages do: once to see the confirmation, then confirmed."""

    def run(client: Any, action: str, ids: list[int], **extra: Any) -> Any:
        data = {"action": action, "rowid": [str(i) for i in ids], **extra}
        first = client.post(f"{BASE}action/", data=data)
        assert first.status_code == 200, first.get_data(as_text=True)
        return client.post(f"{BASE}action/", data={**data, "confirm": "yes"})

    return run


@pytest.fixture
def make_user(make_user: Callable[..., Any]) -> Callable[..., Any]:
    """Accounts without a password unless a test signs in with one (hashing is slow)."""

    def factory(*args: Any, password: str | None = None, **kwargs: Any) -> Any:
        return make_user(*args, password=password, **kwargs)

    return factory
