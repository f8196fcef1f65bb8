"""Security suite fixtures: a cheap password hash, captured console events, lock helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Argon2 at its cheapest: these tests check many wrong passwords, not the hash's cost.
    A settings marker still wins."""
    return {
        "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
            "argon2__rounds": 1,
            "argon2__memory_cost": 256,
            "argon2__parallelism": 1,
        },
        **app_config,
    }


@pytest.fixture
def events(app: Any) -> Iterator[list[tuple[str, Any, Any, dict]]]:
    """Every console event emitted during the test, as (action, actor, subject, details)."""
    from console.core.signals import console_event

    seen: list[tuple[str, Any, Any, dict]] = []

    def record(sender: Any, action: str, actor: Any, subject: Any, details: dict) -> None:
        seen.append((action, actor, subject, details))

    console_event.connect(record, sender=app)
    yield seen
    console_event.disconnect(record, sender=app)


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Refusals of a locked account record their padding instead of sleeping."""
    from console.lockout import timing

    waits: list[float] = []
    monkeypatch.setattr(timing, "pad", lambda: waits.append(timing.hash_duration()))
    return waits


def lock_state(user_id: int) -> tuple[int, int, Any]:
    """(failed_login_count, lockout_count, locked_until) as stored."""
    import sqlalchemy as sa

    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    return db.session.execute(
        sa.select(User.failed_login_count, User.lockout_count, User.locked_until).where(
            User.id == user_id
        )
    ).one()
