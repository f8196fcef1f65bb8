"""Session fixtures: a controllable clock, signed-in clients, captured console events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login

PASSWORD = "session password 123"
# These tests are about sessions, not hashing: a fast scheme keeps sign-ins cheap.
FAST_HASHING = pytest.mark.settings(SECURITY_PASSWORD_HASH="plaintext")


class Clock:
    """The registry's clock, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from console.sessions import store

    controlled = Clock(store.now())
    monkeypatch.setattr(store, "now", controlled)
    return controlled


@pytest.fixture
def member(make_user: Callable[..., Any]) -> Any:
    return make_user("member@example.com", password=PASSWORD, name="Mia Member")


@pytest.fixture
def browser_of(app: Flask) -> Callable[..., FlaskClient]:
    """A new test client ("browser") signed in as `user`."""

    def sign_in(user: Any, password: str = PASSWORD, **extra: Any) -> FlaskClient:
        client = app.test_client()
        response = login(client, user.email, password, **extra)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def events(app: Flask) -> Iterator[list[tuple[str, dict]]]:
    """Every console event sent during the test: (action, details)."""
    from console.core.signals import console_event

    seen: list[tuple[str, dict]] = []

    def record(sender: Any, action: str, actor: Any, subject: Any, details: dict) -> None:
        seen.append((action, {"actor": actor, "subject": subject, **details}))

    console_event.connect(record, sender=app)
    yield seen
    console_event.disconnect(record, sender=app)


def records_of(user: Any) -> list[Any]:
    """Every registry record of `user`, oldest first, fresh from the database."""
    from sqlalchemy import select

    from console.extensions import db
    from console.sessions.models import SessionRecord

    db.session.expire_all()
    return list(
        db.session.scalars(
            select(SessionRecord).where(SessionRecord.user_id == user.id).order_by(SessionRecord.id)
        )
    )


def session_id_of(client: FlaskClient) -> str:
    with client.session_transaction() as sess:
        return sess["_sid"]
