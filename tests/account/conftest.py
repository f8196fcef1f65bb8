"""Fixtures for the account pages and the second-factor tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.account.helpers import PASSWORD
from tests.conftest import login


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Argon2 at its cheapest (these tests sign in often; the hash's cost is not their
    subject); a settings marker still wins."""
    return {
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
            "argon2__rounds": 1,
            "argon2__memory_cost": 256,
            "argon2__parallelism": 1,
        },
        **app_config,
    }


@pytest.fixture
def member(make_user: Callable[..., Any]) -> Any:
    """An account with no permissions: what every end user is."""
    return make_user("member@example.com", password=PASSWORD, name="Mia Member")


@pytest.fixture
def member_client(client: FlaskClient, member: Any) -> FlaskClient:
    """A test client signed in (freshly) as `member`."""
    response = login(client, member.email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def events(app: Flask) -> Iterator[list[dict[str, Any]]]:
    """The console events emitted during the test: dicts of action, actor, subject, details."""
    from console.core.signals import console_event

    seen: list[dict[str, Any]] = []

    def record(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    console_event.connect(record, sender=app)
    yield seen
    console_event.disconnect(record, sender=app)


def actions(events: list[dict[str, Any]]) -> list[str]:
    return [event["action"] for event in events]
