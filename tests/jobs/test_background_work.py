"""Work beside the jobs moves onto the queue when workers run it: mail goes out from a
worker, a view's dashboard refresh is handed over, and the purges and the retry of kept
mail run on the workers' schedule."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from console.extensions import db
from console.jobs.queue import queue

from .conftest import through_the_queue

USERS = "/admin/users/"


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return through_the_queue(app_config, tmp_path)


def _eventually(found: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # the worker commits from its own session
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the worker did not do it in time")


def _mail_to(outbox: Callable[[], list[Any]], email: str) -> list[Any]:
    return [m for m in outbox() if email in m.recipient_list()]


def _reset(client: Any, user: Any) -> None:
    data = {"action": "send_password_reset", "rowid": [str(user.id)], "confirm": "yes"}
    assert client.post(f"{USERS}action/", data=data).status_code == 302


def test_mail_waits_on_the_queue_and_a_worker_sends_it(
    app: Any, signed_in_operator: Any, member: Any, outbox: Callable[[], list[Any]]
) -> None:
    _reset(signed_in_operator, member)

    # The request answered without talking to the mail server: the message is queued.
    assert _mail_to(outbox, member.email) == []
    assert queue().huey.pending_count() == 1

    running = queue().consumer(1, embedded=True)
    running.start()
    try:
        (mail,) = _eventually(lambda: _mail_to(outbox, member.email))
    finally:
        running.stop(graceful=True)
    assert "reset" in mail.subject.lower()


def test_mail_is_sent_in_the_request_when_the_queue_cannot_take_it(
    app: Any,
    signed_in_operator: Any,
    member: Any,
    outbox: Callable[[], list[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huey.api import Huey

    def storage_down(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk I/O error")

    monkeypatch.setattr(Huey, "enqueue", storage_down)
    _reset(signed_in_operator, member)
    assert len(_mail_to(outbox, member.email)) == 1


def test_a_stale_dashboard_is_refreshed_by_a_worker(
    app: Any, signed_in_operator: Any, consumer: Any
) -> None:
    from console.dashboard import snapshot
    from console.dashboard.models import DashboardSnapshot

    snapshot.refresh()
    old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
    db.session.execute(sa.update(DashboardSnapshot).values(computed_at=old))
    db.session.commit()

    assert signed_in_operator.get("/admin/dashboard/").status_code == 200
    _eventually(lambda: snapshot.load().computed_at > old)


@pytest.mark.parametrize(
    ("moment", "expected", "not_expected"),
    [
        (
            datetime(2026, 12, 3, 3, 25),
            {"check_jobs", "mail.retry", "dashboard.refresh", "sessions.purge"},
            {"audit.purge"},
        ),
        (
            datetime(2026, 12, 3, 3, 23),
            {"audit.purge"},
            {"check_jobs", "mail.retry", "dashboard.refresh", "sessions.purge"},
        ),
    ],
)
def test_purges_refresh_and_mail_retry_run_on_the_workers_schedule(
    app: Any, moment: datetime, expected: set[str], not_expected: set[str]
) -> None:
    due = {task.name for task in queue().huey.read_periodic(moment)}
    assert expected <= due
    assert not (not_expected & due)


def test_the_scheduled_work_does_what_the_commands_do(
    app: Any, make_user: Any, outbox: Callable[[], list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.audit import flows as audit_flows
    from console.audit.models import AuditEvent
    from console.core import notify
    from console.dashboard import snapshot
    from console.sessions import store
    from console.sessions.models import SessionRecord

    periodic = app.extensions["console"].periodic_jobs
    user = make_user("kept@example.com", password=None)

    # Mail kept after a failed send, whose wait is over, goes out.
    message = notify.Message(
        template="test",
        user_id=user.id,
        sender="console@example.com",
        recipient=user.email,
        subject="Kept",
        body_text="kept",
        body_html=None,
    )
    monkeypatch.setattr(notify.EmailMultiAlternatives, "send", _refuse)
    assert notify.deliver(message) is False
    monkeypatch.undo()
    db.session.execute(sa.update(notify.MailRetry).values(next_attempt_at=datetime(2000, 1, 1)))
    db.session.commit()
    periodic["mail.retry"].run()
    assert [m.subject for m in _mail_to(outbox, user.email)] == ["Kept"]

    # A session past its lifetime is deleted.
    store.create(
        user,
        auth_method="password",
        second_factor=None,
        ip=None,
        user_agent=None,
        lifetime=timedelta(hours=1),
    )
    long_ago = datetime(2000, 1, 1)
    db.session.commit()
    db.session.execute(
        sa.update(SessionRecord).values(
            created_at=long_ago, last_seen_at=long_ago, expires_at=long_ago
        )
    )
    db.session.commit()
    periodic["sessions.purge"].run()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionRecord)) == 0

    # Events older than the retention go; the purge is itself recorded.
    audit_flows.record("user.login", actor=user)
    db.session.commit()
    db.session.execute(sa.update(AuditEvent).values(created_at=datetime(2000, 1, 1)))
    db.session.commit()
    periodic["audit.purge"].run()
    actions = list(db.session.scalars(sa.select(AuditEvent.action)))
    assert actions == ["audit.purged"]

    # A missing dashboard snapshot is computed.
    assert snapshot.load() is None
    periodic["dashboard.refresh"].run()
    assert snapshot.load() is not None


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise OSError("mail server down")
