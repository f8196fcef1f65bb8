"""Every committed event reaches a subscribed endpoint once (after de-duplication by id), in
order, signed; including after the receiver was down and came back."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_security import naive_utcnow
from standardwebhooks import Webhook

from tests.conftest import MEMBER_PASSWORD, login

from .conftest import all_groups

pytestmark = pytest.mark.settings(CONSOLE_WEBHOOKS_ALLOW_PRIVATE=True)


def _stored_ids(since_action: str) -> list[str]:
    """The payload ids of the audit events stored from the first `since_action` on."""
    from console.audit.models import AuditEvent
    from console.extensions import db
    from console.webhooks.payload import event_id

    db.session.rollback()
    rows = db.session.execute(
        sa.select(AuditEvent.id, AuditEvent.action, AuditEvent.hash).order_by(AuditEvent.id)
    ).all()
    start = next(i for i, row in enumerate(rows) if row.action == since_action)
    return [event_id({"hash": row.hash}) for row in rows[start:]]


def _verified(receiver, secret: str) -> list[dict]:
    """Every request's payload, each signature checked with standardwebhooks."""
    webhook = Webhook(secret)
    payloads = []
    for received in receiver.requests:
        payload = webhook.verify(received.body, received.headers)
        assert received.headers["webhook-id"] == payload["id"]
        payloads.append(payload)
    return payloads


def _once_in_order(payloads: list[dict]) -> list[str]:
    seen: list[str] = []
    for payload in payloads:
        if payload["id"] not in seen:
            seen.append(payload["id"])
    return seen


def test_a_journey_reaches_the_receiver_once_in_order_and_signed(
    app, client, operator, member, receiver
):
    from console.webhooks import delivery, flows

    endpoint, secret = flows.create_endpoint(
        operator, url=receiver.url, description="journey", event_types=all_groups()
    )
    assert secret.startswith("whsec_")
    delivery.record_ready()  # the flow ran outside a request: what a request's end does

    # A member signs in and out, someone fails to sign in as them, an operator deactivates them.
    member_client = app.test_client()
    assert login(member_client, member.email, MEMBER_PASSWORD).status_code == 302
    assert login(app.test_client(), member.email, "wrong password").status_code == 200
    assert login(client, operator.email, "operator password 1").status_code == 302
    response = client.post(
        "/admin/users/action/", data={"action": "deactivate", "rowid": member.id, "confirm": "yes"}
    )
    assert response.status_code == 302

    expected = _stored_ids("admin.webhook.created")
    payloads = _verified(receiver, secret)
    assert [p["id"] for p in payloads] == expected
    types = [p["type"] for p in payloads]
    for action in ("admin.webhook.created", "user.login", "user.login_failed"):
        assert action in types
    assert "admin.user.deactivated" in types
    assert types.index("user.login_failed") < types.index("admin.user.deactivated")
    deactivated = payloads[types.index("admin.user.deactivated")]
    assert deactivated["data"]["subject"] == {"id": member.id, "email": member.email}
    assert deactivated["data"]["actor"]["email"] == operator.email
    assert deactivated["data"]["group"] == "admin"
    assert deactivated["timestamp"].endswith("Z")
    first = receiver.requests[0]
    assert first.headers["Content-Type"] == "application/json"
    assert json.loads(first.body) == payloads[0]


def test_deliveries_wait_while_the_receiver_is_down_and_arrive_in_order_after(
    app, client, operator, member, receiver
):
    from console.extensions import db
    from console.webhooks import delivery, flows
    from console.webhooks.models import DELIVERED, PENDING, WebhookDelivery

    endpoint, secret = flows.create_endpoint(
        operator, url=receiver.url, event_types=["group:sign_in", "group:failure"]
    )
    delivery.record_ready()
    assert login(app.test_client(), member.email, MEMBER_PASSWORD).status_code == 302
    assert len(receiver.requests) == 1

    receiver.down()
    # Requests do not wait for the dead endpoint: a refused connection is one quick attempt.
    assert login(app.test_client(), member.email, "wrong password").status_code == 200
    assert login(app.test_client(), member.email, MEMBER_PASSWORD).status_code == 302
    assert login(app.test_client(), member.email, "wrong again").status_code == 200
    db.session.rollback()
    waiting = list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.state == PENDING)
            .order_by(WebhookDelivery.id)
        )
    )
    assert [row.event_type for row in waiting] == [
        "user.login_failed",
        "user.login",
        "user.login_failed",
    ]
    # The first failed once and waits; the ones after it wait behind it, not yet tried.
    assert waiting[0].attempts == 1 and waiting[0].last_error
    assert waiting[0].next_attempt_at > naive_utcnow()
    assert [row.attempts for row in waiting[1:]] == [0, 0]

    # Still down at the next pass: the wait doubles.
    first_wait = waiting[0].next_attempt_at - waiting[0].last_attempt_at
    later = naive_utcnow() + timedelta(minutes=5)
    assert delivery.deliver_due(at=later) == 0
    db.session.expire_all()
    head = db.session.get(WebhookDelivery, waiting[0].id)
    assert head.attempts == 2
    assert head.next_attempt_at - later > first_wait

    # Back up: the next pass (time moved past the wait) delivers all three, in order.
    receiver.up()
    assert delivery.deliver_due(at=later) == 0  # not due yet
    assert delivery.deliver_due(at=later + timedelta(hours=1)) == 3
    db.session.expire_all()
    states = db.session.scalars(sa.select(WebhookDelivery.state).order_by(WebhookDelivery.id))
    assert set(states) == {DELIVERED}

    payloads = _verified(receiver, secret)
    expected = [
        i
        for i, action in zip(
            _stored_ids("admin.webhook.created"),
            _stored_actions("admin.webhook.created"),
            strict=True,
        )
        if action in ("user.login", "user.login_failed")
    ]
    assert _once_in_order(payloads) == expected
    assert [p["type"] for p in payloads] == [
        "user.login",
        "user.login_failed",
        "user.login",
        "user.login_failed",
    ]


def _stored_actions(since_action: str) -> list[str]:
    from console.audit.models import AuditEvent
    from console.extensions import db

    actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
    return actions[actions.index(since_action) :]


def test_a_receiver_error_is_retried_and_a_retry_resends_the_same_id(
    app, operator, member, receiver
):
    from console.extensions import db
    from console.webhooks import delivery, flows
    from console.webhooks.models import PENDING, WebhookDelivery

    flows.create_endpoint(operator, url=receiver.url, event_types=["user.login"])
    delivery.record_ready()
    receiver.status = 500
    assert login(app.test_client(), member.email, MEMBER_PASSWORD).status_code == 302
    row = db.session.scalar(sa.select(WebhookDelivery).where(WebhookDelivery.state == PENDING))
    assert row.last_status_code == 500 and row.attempts == 1

    receiver.status = 200
    flows.retry_delivery(operator, row)  # an operator's "Retry now"
    delivery.record_ready()
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, row.id).state == "delivered"
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids[0] == ids[1] == row.message_id
    # The retry itself is an audit event; this endpoint did not ask for it.
    assert len(ids) == 2


def test_a_paused_endpoint_gets_nothing_new_and_its_waiting_deliveries_resume(
    app, operator, member, receiver
):
    from console.webhooks import delivery, flows

    endpoint, _secret = flows.create_endpoint(
        operator, url=receiver.url, event_types=["user.login"]
    )
    delivery.record_ready()
    receiver.down()
    assert login(app.test_client(), member.email, MEMBER_PASSWORD).status_code == 302
    flows.set_enabled(operator, endpoint, False)
    assert login(app.test_client(), member.email, MEMBER_PASSWORD).status_code == 302
    receiver.up()
    assert delivery.deliver_due(at=naive_utcnow() + timedelta(hours=1)) == 0  # paused
    flows.set_enabled(operator, endpoint, True)
    delivery.record_ready()
    assert delivery.deliver_due(at=naive_utcnow() + timedelta(hours=1)) == 1
    assert len(receiver.requests) == 1


@pytest.mark.settings(CONSOLE_WEBHOOKS_ALLOW_PRIVATE=True)
def test_where_workers_deliver_the_deliveries_are_recorded_after_the_response(
    app, operator, member, receiver, monkeypatch
):
    from console.core import jobs
    from console.extensions import db
    from console.webhooks import delivery, flows
    from console.webhooks.models import WebhookDelivery

    flows.create_endpoint(operator, url=receiver.url, event_types=["user.login"])
    delivery.record_ready()
    handed: list[dict] = []
    monkeypatch.setattr(jobs, "in_background", lambda: True)
    monkeypatch.setattr(jobs, "defer", lambda key, **arguments: handed.append(arguments) or True)
    client = app.test_client()
    response = client.post(
        "/login", data={"email": member.email, "password": MEMBER_PASSWORD}, buffered=True
    )
    assert response.status_code == 302
    # Recorded once the response was closed, and handed to the workers, not sent here.
    db.session.rollback()
    rows = list(db.session.scalars(sa.select(WebhookDelivery)))
    assert [row.event_type for row in rows] == ["user.login"]
    assert rows[0].attempts == 0
    assert handed == [{"endpoint_ids": [rows[0].endpoint_id]}]
    assert receiver.requests == []
    # The worker's task.
    delivery.deliver_endpoints(handed[0]["endpoint_ids"])
    assert len(receiver.requests) == 1
