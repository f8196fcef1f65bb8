"""Fixtures for background jobs: accounts to act on, operators of different rank, and the
audit trail read back from the database (one event per account is a property of the
stored trail, not of the signals)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

USERS = "/admin/users/"
JOBS = "/admin/jobs/"


@pytest.fixture
def team(make_user: Callable[..., Any]) -> list[Any]:
    """Six plain accounts whose addresses start with "team" (no password: hashing is slow)."""
    return [make_user(f"team{i}@example.com", password=None) for i in range(6)]


@pytest.fixture
def outsider(make_user: Callable[..., Any]) -> Any:
    """An account no "team" search matches."""
    return make_user("outsider@example.com", password=None)


@pytest.fixture
def auditors(make_user: Callable[..., Any]) -> list[Any]:
    """Two "team" accounts holding audit:read, which the helpdesk operator lacks."""
    return [
        make_user(
            f"team-auditor{i}@example.com",
            password=None,
            roles=["Auditor"],
            permissions=["audit:read"],
        )
        for i in range(2)
    ]


@pytest.fixture
def stored_events(app: Any) -> Callable[[str], Counter[int]]:
    """stored_events("admin.user.deactivated") -> {subject id: events in the audit table}."""
    from console.audit.models import AuditEvent
    from console.extensions import db

    def read(action: str) -> Counter[int]:
        db.session.expire_all()
        rows = db.session.scalars(
            sa.select(AuditEvent.subject_id).where(AuditEvent.action == action)
        )
        return Counter(rows)

    return read


def fresh(model: Any, ident: int) -> Any:
    """The row as the database has it now (another session may have changed it)."""
    from console.extensions import db

    db.session.expire_all()
    return db.session.get(model, ident)


def through_the_queue(config: dict[str, Any], folder: Path) -> dict[str, Any]:
    """`config` with jobs and background work going through the queue, stored in a SQLite
    file of the test's own (as a deployment with workers runs them)."""
    return {
        **config,
        "CONSOLE_JOBS_IMMEDIATE": False,
        "CONSOLE_JOBS_SQLITE_PATH": str(folder / "queue.db"),
    }


@pytest.fixture
def consumer(app: Any) -> Iterator[Any]:
    """Huey's consumer with two worker threads, as `flask console worker` runs it (for the
    tests whose app_config goes through the queue)."""
    from console.jobs.queue import queue

    running = queue().consumer(2, embedded=True)
    running.start()
    yield running
    running.stop(graceful=True)
