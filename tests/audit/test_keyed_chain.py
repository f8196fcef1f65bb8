"""The keyed chain: a database writer without the audit key cannot rewrite history unseen,
checkpoints outside the database catch a cut-back tail, keys rotate, and chains from
before the keys keep verifying."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import runpy
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_security import naive_utcnow

from tests.support import db as dbsupport

MIGRATION = next(
    (Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("e2b7c4a9d816_*.py")
)
ROTATED = {"k2": "a second audit secret, long enough"}


def _record(count: int, action: str = "user.login", **kwargs: Any) -> None:
    from console.audit import flows
    from console.extensions import db

    for index in range(count):
        flows.record(action, details={"n": index}, **kwargs)
    db.session.commit()


def _rechain(hasher: Callable[[str, dict[str, Any]], str], key_id: Any = "keep") -> None:
    """What a database writer can do: recompute every link (and the head) in order."""
    from console.audit import chain
    from console.audit.models import AuditChainHead, AuditEvent
    from console.extensions import db

    head = db.session.get(AuditChainHead, chain.HEAD_ID)
    prev = head.anchor_hash or chain.GENESIS
    for event in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)):
        event.prev_hash = prev
        event.hash = prev = hasher(prev, chain.content_of(event))
        if key_id != "keep":
            event.key_id = key_id
    head.last_hash = prev
    db.session.commit()


def _sha256(prev: str, content: dict[str, Any]) -> str:
    from console.audit import chain

    return chain.event_hash(prev, content)


@pytest.fixture
def checkpoint_file(app, tmp_path: Path) -> Path:
    path = tmp_path / "audit-checkpoints.jsonl"
    app.config["CONSOLE_AUDIT_CHECKPOINT_FILE"] = str(path)
    return path


def test_new_events_are_linked_with_an_hmac_under_the_current_key(app, stored_events):
    from console.audit import chain, keys

    _record(3)
    stored = stored_events()
    assert {event.key_id for event in stored} == {"k1"}
    derived = hmac.new(
        app.config["SECRET_KEY"].encode(), b"security-console audit chain v1", hashlib.sha256
    ).digest()
    assert keys.keyring().keys["k1"] == derived
    for event in stored:
        plain = chain.event_hash(event.prev_hash, chain.content_of(event))
        assert event.hash != plain
        message = (event.prev_hash + chain.canonical_json(chain.content_of(event))).encode()
        assert event.hash == hmac.new(derived, message, hashlib.sha256).hexdigest()


def test_rewriting_an_event_and_recomputing_every_sha256_is_detected(app, stored_events, audit_cli):
    from console.extensions import db

    _record(5)
    target = stored_events()[2]
    db.session.execute(
        sa.text("UPDATE audit_event SET actor_email = 'mallory@example.com' WHERE id = :id"),
        {"id": target.id},
    )
    db.session.commit()
    # Every link recomputed as the plain SHA-256 form, claiming no key at all...
    _rechain(_sha256, key_id=None)
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert f"event {stored_events()[0].id}: its link is not keyed" in result.stderr
    # ...or keeping the key ids and guessing a key: the first event's link already fails.
    _rechain(
        lambda prev, content: hmac.new(
            b"guess", (prev + json.dumps(content)).encode(), hashlib.sha256
        ).hexdigest(),
        key_id="k1",
    )
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert "content does not match its hash" in result.stderr


def test_cutting_the_tail_back_is_detected_against_a_checkpoint(
    app, stored_events, audit_cli, checkpoint_file
):
    from console.audit import chain
    from console.audit.models import AuditChainHead
    from console.extensions import db

    _record(4)
    made = audit_cli("checkpoint")
    assert made.exit_code == 0, made.stderr
    checkpoint = json.loads(checkpoint_file.read_text().splitlines()[-1])
    stored = stored_events()
    assert checkpoint["last_event_id"] == stored[-1].id
    assert checkpoint["head_hash"] == stored[-1].hash
    assert checkpoint["event_count"] == 4
    _record(3)
    assert audit_cli("verify").exit_code == 0

    # Delete everything after the second event and make the head agree.
    keep = stored[1]
    db.session.execute(sa.text("DELETE FROM audit_event WHERE id > :id"), {"id": keep.id})
    head = db.session.get(AuditChainHead, chain.HEAD_ID)
    head.last_hash = keep.hash
    head.event_count = 2
    db.session.commit()
    app.config["CONSOLE_AUDIT_CHECKPOINT_FILE"] = None
    alone = audit_cli("verify")
    assert alone.exit_code == 0, "the chain alone cannot tell a cut-back tail"

    result = audit_cli("verify", "--checkpoint", str(checkpoint_file))
    assert result.exit_code == 1
    assert "fewer events than the checkpoint" in result.stderr
    # New events written since bring the count back up: the checkpoint's event is still
    # missing (PostgreSQL) or another event took its id (SQLite reuses the ids of a tail).
    _record(3)
    assert audit_cli("verify").exit_code == 0
    result = audit_cli("verify", "--checkpoint", str(checkpoint_file))
    assert result.exit_code == 1
    assert f"event {checkpoint['last_event_id']}: the " in result.stderr
    assert "was cut back" in result.stderr or "was rewritten" in result.stderr


def test_the_configured_checkpoint_file_is_used_and_events_after_it_may_follow(
    app, stored_events, audit_cli, checkpoint_file, caplog
):
    from console.audit import flows

    _record(2)
    with caplog.at_level(logging.INFO, logger="console.audit.checkpoint"):
        flows.checkpoint()
    logged = [r for r in caplog.records if r.name == "console.audit.checkpoint"]
    assert json.loads(logged[-1].getMessage())["last_event_id"] == stored_events()[-1].id
    _record(2)
    result = audit_cli("verify")
    assert result.exit_code == 0, result.stderr
    assert "4 events verified" in result.output
    assert f"event {stored_events()[1].id}" in result.output


def test_a_rewritten_event_under_a_checkpoint_and_a_forged_checkpoint_are_reported(
    app, stored_events, audit_cli, checkpoint_file
):
    from console.audit.models import AuditChainHead
    from console.extensions import db

    _record(3)
    assert audit_cli("checkpoint").exit_code == 0
    # The switch point moved past every event and the chain rewritten in the plain form:
    # the chain alone trusts the switch point it stores, the checkpoint does not.
    newest = stored_events()[-1]
    head = db.session.get(AuditChainHead, 1)
    head.plain_until_event_id = newest.id
    db.session.commit()
    _rechain(_sha256, key_id=None)
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert "switch to keyed links moved" in result.stderr

    lines = checkpoint_file.read_text().splitlines()
    forged = json.loads(lines[-1])
    forged["event_count"] = 1
    checkpoint_file.write_text(json.dumps(forged) + "\n")
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert "signature does not match" in result.stderr
    checkpoint_file.write_text("not json\n")
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert "not a checkpoint" in result.stderr


def test_key_rotation_keeps_old_events_verifiable(app, stored_events, audit_cli):
    _record(2)
    app.config["CONSOLE_AUDIT_KEYS"] = dict(ROTATED)
    app.config["CONSOLE_AUDIT_KEY_ID"] = "k2"
    _record(2)
    assert [e.key_id for e in stored_events()] == ["k1", "k1", "k2", "k2"]
    result = audit_cli("verify")
    assert result.exit_code == 0, result.stderr
    assert "4 events verified" in result.output

    # SECRET_KEY changes too: the old one stays listed as "k1".
    old_secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a brand new secret key " + "y" * 32
    app.config["CONSOLE_AUDIT_KEYS"] = {**ROTATED, "k1": old_secret}
    assert audit_cli("verify").exit_code == 0


def test_a_key_missing_from_the_configuration_is_named_not_a_crash(app, stored_events, audit_cli):
    _record(1)
    app.config["CONSOLE_AUDIT_KEYS"] = dict(ROTATED)
    app.config["CONSOLE_AUDIT_KEY_ID"] = "k2"
    _record(1)
    app.config["CONSOLE_AUDIT_KEYS"] = {"k3": "a third audit secret, long enough"}
    app.config["CONSOLE_AUDIT_KEY_ID"] = "k3"
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert f"event {stored_events()[1].id}: its link uses key id 'k2'" in result.stderr
    assert "not configured (CONSOLE_AUDIT_KEYS)" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_current_key_id_that_names_no_key_stops_the_console(app_config):
    from console import create_app
    from console.config import ConfigError

    with pytest.raises(ConfigError, match="CONSOLE_AUDIT_KEY_ID='k9'"):
        create_app({**app_config, "CONSOLE_AUDIT_KEY_ID": "k9"})
    with pytest.raises(ConfigError, match="16 characters"):
        create_app({**app_config, "CONSOLE_AUDIT_KEYS": {"k2": "short"}})


def _plain_chain(count: int, start: Any) -> list[dict[str, Any]]:
    """Events as the unkeyed chain wrote them: plain SHA-256 links from the genesis."""
    from console.audit import chain

    prev, rows = chain.GENESIS, []
    for index in range(count):
        event = {
            "id": index + 1,
            "created_at": start + timedelta(minutes=index),
            "actor_id": None,
            "actor_email": None,
            "subject_id": None,
            "subject_email": f"old-{index}@example.com",
            "action": "user.login",
            "ip": None,
            "user_agent": None,
            "request_id": None,
            "details": "{}",
        }
        digest = chain.event_hash(prev, chain.content_of(event))
        rows.append({**event, "prev_hash": prev, "hash": digest})
        prev = digest
    return rows


def test_events_before_the_switch_point_keep_their_plain_links(app, stored_events, audit_cli):
    from console.audit.models import AuditChainHead, AuditEvent
    from console.extensions import db

    old = _plain_chain(3, naive_utcnow() - timedelta(days=2))
    db.session.execute(sa.insert(AuditEvent), old)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('audit_event', 'id'), 3)"))
    db.session.add(
        AuditChainHead(
            id=1, last_hash=old[-1]["hash"], event_count=3, plain_until_event_id=old[-1]["id"]
        )
    )
    db.session.commit()
    _record(2)
    assert [e.key_id for e in stored_events()] == [None, None, None, "k1", "k1"]
    result = audit_cli("verify")
    assert result.exit_code == 0, result.stderr
    assert "5 events verified (3 from before the chain was keyed)" in result.output
    # A plain link after the switch point is refused.
    head = db.session.get(AuditChainHead, 1)
    head.plain_until_event_id = 2
    db.session.commit()
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert "event 3: its link is not keyed" in result.stderr


def test_purges_keep_the_chain_and_the_checkpoint_verifiable(
    app, stored_events, audit_cli, checkpoint_file
):
    from console.audit import flows
    from console.audit.models import AuditChainHead
    from console.extensions import db

    old = naive_utcnow() - timedelta(days=400)
    for index in range(5):
        flows.record("user.login", created_at=old + timedelta(minutes=index))
    db.session.commit()
    assert audit_cli("checkpoint").exit_code == 0
    checkpointed = stored_events()[-1].id
    # Everything is purged, the checkpoint's event included: ids keep rising after it.
    assert flows.purge() == 5
    stored = stored_events()
    assert [e.action for e in stored] == ["audit.purged"]
    assert stored[0].id > checkpointed
    result = audit_cli("verify")
    assert result.exit_code == 0, result.stderr
    assert "1 events verified" in result.output
    assert audit_cli("checkpoint").exit_code == 0
    _record(2)
    assert audit_cli("verify").exit_code == 0

    # A prefix deleted by hand, with an anchor the key did not seal, is no purge.
    first = stored_events()[0]
    db.session.execute(sa.text("DELETE FROM audit_event WHERE id = :id"), {"id": first.id})
    head = db.session.get(AuditChainHead, 1)
    head.anchor_event_id, head.anchor_hash = first.id, first.hash
    head.purged_count += 1
    db.session.commit()
    result = audit_cli("verify")
    assert result.exit_code == 1
    assert "the purge anchor does not match its seal" in result.stderr


def test_the_workers_checkpoint_every_quarter_hour(app):
    periodic = app.extensions["console"].periodic_jobs["audit.checkpoint"]
    assert periodic.minute == "*/15"


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'before-keys.db'}"
        return
    url = dbsupport.create_postgres_database()
    yield url
    dbsupport.drop_postgres_database(url)


def test_the_migration_keeps_an_existing_plain_chain_verifiable(empty_database: str):
    from flask_migrate import upgrade

    from console import create_app
    from console.audit import flows
    from console.extensions import db

    previous = runpy.run_path(str(MIGRATION))["down_revision"]
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database,
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-" + "x" * 32,
            "CONSOLE_JOBS_IMMEDIATE": True,
        }
    )
    with app.app_context():
        upgrade(revision=previous)
        old = _plain_chain(4, naive_utcnow() - timedelta(days=400))
        columns = list(old[0])
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"INSERT INTO audit_event ({', '.join(columns)}) "
                    f"VALUES ({', '.join(':' + c for c in columns)})"
                ),
                old[1:],
            )
            # The first event was purged before the upgrade: the anchor is its hash.
            conn.execute(
                sa.text(
                    "INSERT INTO audit_chain_head (id, last_hash, anchor_event_id, anchor_hash)"
                    " VALUES (1, :last, 1, :anchor)"
                ),
                {"last": old[-1]["hash"], "anchor": old[0]["hash"]},
            )
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "SELECT setval(pg_get_serial_sequence('audit_event', 'id'), "
                        "(SELECT max(id) FROM audit_event))"
                    )
                )
        upgrade(revision="heads")
        result = flows.verify()
        assert result.ok, result.broken
        assert (result.checked, result.plain) == (3, 3)
        _record(2)
        result = flows.verify()
        assert result.ok, result.broken
        assert (result.checked, result.plain) == (5, 3)
        # The plain events age out; what remains still verifies.
        assert flows.purge(timedelta(days=1)) == 3
        result = flows.verify()
        assert result.ok, result.broken
        assert (result.checked, result.plain) == (3, 0)
        db.session.remove()
        db.engine.dispose()
