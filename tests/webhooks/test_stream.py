"""The log stream: one JSON line per committed event when on, none when off."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from tests.conftest import MEMBER_PASSWORD, login


def _stored() -> list[tuple[str, str]]:
    from console.audit.models import AuditEvent
    from console.extensions import db
    from console.webhooks.payload import event_id

    db.session.rollback()
    rows = db.session.execute(sa.select(AuditEvent.action, AuditEvent.hash).order_by(AuditEvent.id))
    return [(action, event_id({"hash": digest})) for action, digest in rows]


def _lines(caplog) -> list[dict]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "console.audit.stream"
    ]


@pytest.mark.settings(CONSOLE_AUDIT_LOG_STREAM=True)
def test_each_committed_event_is_one_json_line(app, client, member, caplog):
    before = len(_stored())
    caplog.set_level(logging.INFO, logger="console.audit.stream")
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    assert login(app.test_client(), member.email, "wrong password").status_code == 200
    stored = _stored()[before:]
    lines = _lines(caplog)
    assert [(line["type"], line["id"]) for line in lines] == stored
    assert {"user.login", "user.login_failed"} <= {line["type"] for line in lines}
    assert all(
        r.levelno == logging.INFO for r in caplog.records if r.name == "console.audit.stream"
    )
    assert lines[0]["data"]["subject"]["email"] == member.email


@pytest.mark.settings(CONSOLE_AUDIT_LOG_STREAM=True)
def test_a_rolled_back_event_is_not_written(app, member, caplog):
    from console.audit import flows as audit
    from console.extensions import db

    caplog.set_level(logging.INFO, logger="console.audit.stream")
    audit.record("user.login", actor=member, subject=member)
    db.session.rollback()
    assert _lines(caplog) == []


def test_nothing_is_written_when_off(app, client, member, caplog):
    caplog.set_level(logging.INFO, logger="console.audit.stream")
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    assert _lines(caplog) == []
