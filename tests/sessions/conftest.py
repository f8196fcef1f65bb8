"""Session fixtures: a controllable clock, signed-in clients, captured console events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import MEMBER_PASSWORD, login

PASSWORD = MEMBER_PASSWORD
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
def browser_of(app: Flask) -> Callable[..., FlaskClient]:
    """A new test client ("browser") signed in as `user`."""

    def sign_in(user: Any, password: str = PASSWORD, **extra: Any) -> FlaskClient:
        client = app.test_client()
        response = login(client, user.email, password, **extra)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


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
