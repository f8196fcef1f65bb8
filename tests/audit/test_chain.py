"""Tamper evidence: `audit verify` finds the first broken link; purges and concurrent
writers leave a chain that verifies (tests/audit/test_keyed_chain.py: the keys, the
switch point and checkpoints)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_security import naive_utcnow


def _record(count: int, action: str = "user.login", **kwargs) -> None:
    from console.audit import flows
    from console.extensions import db

    for index in range(count):
        flows.record(action, details={"n": index}, **kwargs)
    db.session.commit()


def test_an_intact_chain_verifies(app, stored_events, audit_cli):
    _record(5)
    result = audit_cli("verify")
    assert result.exit_code == 0, result.output
    assert "5 events verified" in result.output
    stored = stored_events()
    assert stored[0].prev_hash == "0" * 64
    assert [e.prev_hash for e in stored[1:]] == [e.hash for e in stored[:-1]]


def test_altering_one_event_breaks_verification_at_that_event(app, stored_events, audit_cli):
    from console.extensions import db

    _record(6)
    target = stored_events()[3]
    db.session.execute(
        sa.text("UPDATE audit_event SET details = :d WHERE id = :id"),
        {"d": '{"n":99}', "id": target.id},
    )
    db.session.commit()
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert f"event {target.id}:" in result.stderr
    assert "content does not match" in result.stderr


def test_rehashing_an_altered_event_breaks_the_next_link(app, stored_events, audit_cli):
    # Even a writer who holds the audit key and relinks one event breaks the next link.
    from console.audit import chain, keys
    from console.extensions import db

    _record(4)
    stored = stored_events()
    target = stored[1]
    target.actor_email = "someone.else@example.com"
    target.hash = chain.keyed_hash(
        keys.keyring(), target.key_id, target.prev_hash, chain.content_of(target)
    )
    db.session.commit()
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert f"event {stored[2].id}:" in result.stderr


def test_deleting_the_newest_event_is_detected(app, stored_events, audit_cli):
    from console.extensions import db

    _record(3)
    db.session.execute(
        sa.text("DELETE FROM audit_event WHERE id = :id"), {"id": stored_events()[-1].id}
    )
    db.session.commit()
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert "chain head" in result.stderr


def test_purge_keeps_the_remaining_chain_verifiable(app, stored_events, audit_cli):
    from console.audit import flows
    from console.audit.models import AuditChainHead
    from console.extensions import db

    old = naive_utcnow() - timedelta(days=400)
    for index in range(7):
        flows.record("user.login", created_at=old + timedelta(minutes=index))
    db.session.commit()
    _record(3, "user.logout")
    result = audit_cli("purge", "--batch", "3")
    assert result.exit_code == 0, result.output
    assert "Deleted 7 events" in result.output
    remaining = stored_events()
    assert [e.action for e in remaining] == ["user.logout"] * 3 + ["audit.purged"]
    head = db.session.get(AuditChainHead, 1)
    assert head.anchor_hash == remaining[0].prev_hash
    verified = audit_cli("verify")
    assert verified.exit_code == 0, verified.stderr
    again = audit_cli("purge")
    assert "Deleted 0 events" in again.output


def test_purge_keeps_the_daily_counters(app, stored_events):
    from console.audit import flows
    from console.audit.models import AuditDailyCount
    from console.extensions import db

    old = naive_utcnow() - timedelta(days=400)
    flows.record("user.login", created_at=old)
    db.session.commit()
    assert flows.purge() == 1
    counted = db.session.scalar(
        sa.select(AuditDailyCount.count).where(AuditDailyCount.day == old.date())
    )
    assert counted == 1


@pytest.mark.settings(CONSOLE_AUDIT_RETENTION=timedelta(days=1))
def test_purge_uses_the_retention_setting(app, stored_events):
    from console.audit import flows
    from console.extensions import db

    flows.record("user.login", created_at=naive_utcnow() - timedelta(days=2))
    flows.record("user.login")
    db.session.commit()
    assert flows.purge() == 1


def test_fifty_concurrent_writers_never_fork_the_chain(
    app, backend, database_url, stored_events, audit_cli
):
    if backend != "postgresql":
        pytest.skip("SQLite admits one writer at a time by design")
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import NullPool

    from console.audit import recorder

    writers = 50
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(index: int) -> None:
        engine = sa.create_engine(database_url, poolclass=NullPool)
        try:
            with Session(engine) as session:
                session.execute(sa.text("SELECT 1"))  # connected before the race starts
                recorder.queue(session, recorder.build("user.login", details={"writer": index}))
                barrier.wait(timeout=60)
                session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    stored = stored_events()
    assert len(stored) == writers
    assert len({e.prev_hash for e in stored}) == writers
    result = audit_cli("verify")
    assert result.exit_code == 0, result.stderr
    assert f"{writers} events verified" in result.output
