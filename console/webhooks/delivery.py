"""Deliveries: recorded right after the events' commit, handed to the workers, sent to each
endpoint in order, one attempt at a time, and retried with a growing wait.

Protocol code only: no request, flash or template. Every delivery is a row before anything
is sent, so a worker that is down, or a process that dies mid-send, loses nothing: the
workers' periodic pass sends whatever is due. An endpoint is served by one worker at a time
(a lease on its row) and its deliveries go out in the order they were recorded; a failed
one holds back those after it until it gets through, so receivers see events in order.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import Flask, Response, current_app, g, has_app_context, has_request_context
from flask_security import naive_utcnow
from sqlalchemy import delete, insert, or_, select, update

from ..core import jobs
from ..extensions import db
from ..settings import setting
from . import signing
from .addresses import AddressRefused, PublicOnlyAdapter
from .models import DELIVERED, PENDING, WebhookDelivery, WebhookEndpoint
from .payload import build, dumps, subscribed

log = logging.getLogger(__name__)

# Session.info key: payloads of committed events waiting to be recorded as deliveries.
_READY = "console_webhooks_ready"
# `g` key: the payloads a request records after its response is sent.
_LATER = "console_webhooks_later"
TASK = "webhooks.deliver"
USER_AGENT = "Security-Console-Webhooks/1"
# Wait before the next attempt: doubles per failed attempt, up to the longest.
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
# How long a worker holds an endpoint; renewed after each delivery.
LEASE = timedelta(minutes=2)
# Deliveries one run sends to one endpoint before it gives the endpoint back.
RUN_LIMIT = 500
# Endpoints one periodic pass serves, and delivered records one purge deletes.
DUE_LIMIT = 100
PURGE_LIMIT = 1000


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a 2xx (ok), another status, or an error before any status."""

    ok: bool
    status: int | None = None
    error: str | None = None


# ---------------------------------------------------------------- after the commit


def collect(sender: Flask | None, events: list[dict[str, Any]], **_: Any) -> None:
    """events_committed receiver: keep the payloads until the request or context ends.

    The committing session cannot run SQL here; the deliveries are written by
    `record_ready` in a transaction of their own right after.
    """
    if sender is None or not has_app_context():
        return
    session = db.session()
    session.info.setdefault(_READY, []).extend(build(event) for event in events)


def after_response(response: Response) -> Response:
    """Where workers deliver, record this request's deliveries once the response is sent
    (its body written to the client), so that the request does not wait for them."""
    if jobs.in_background():
        later: list[dict[str, Any]] = g.setdefault(_LATER, [])
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(lambda: _record_after(app, later))
    return response


def _record_after(app: Flask, payloads: list[dict[str, Any]]) -> None:
    if payloads:
        with app.app_context():
            _record_and_hand_over(payloads)


def record_ready(*_: Any) -> None:
    """Record the waiting payloads as deliveries and hand them over (end of a request or
    application context); a request that sends a response hands them to `after_response`.
    A failure is logged: it never turns into an error page."""
    if not has_app_context():
        return
    payloads = db.session().info.pop(_READY, None)
    if not payloads:
        return
    later = g.get(_LATER) if has_request_context() else None
    if later is not None:
        later.extend(payloads)
        return
    _record_and_hand_over(payloads)


def _record_and_hand_over(payloads: list[dict[str, Any]]) -> None:
    try:
        endpoint_ids = record(payloads)
    except Exception:
        db.session.rollback()
        log.exception("could not record the webhook deliveries of %d events", len(payloads))
        return
    if endpoint_ids:
        hand_over(endpoint_ids)


def record(payloads: list[dict[str, Any]]) -> list[int]:
    """Write one pending delivery per payload and subscribed, enabled endpoint, in order;
    returns the endpoints that got one."""
    session = db.session()
    # Whatever the request left uncommitted is not ours to save (and would be discarded).
    session.rollback()
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types)
        .where(WebhookEndpoint.enabled.is_(True))
        .order_by(WebhookEndpoint.id)
    ).all()
    now = naive_utcnow()
    rows = [
        {
            "endpoint_id": endpoint_id,
            "message_id": payload["id"],
            "event_type": payload["type"],
            "payload": dumps(payload),
            "state": PENDING,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for payload in payloads
        for endpoint_id, event_types in endpoints
        if subscribed(list(event_types or ()), payload["type"])
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)
    session.commit()
    return sorted({row["endpoint_id"] for row in rows})


def hand_over(endpoint_ids: Iterable[int]) -> None:
    """Have the workers deliver to `endpoint_ids`, or deliver now where this process does
    its own background work."""
    ids = sorted(set(endpoint_ids))
    if ids and not jobs.defer(TASK, endpoint_ids=ids):
        deliver_endpoints(ids)


# ---------------------------------------------------------------- sending


def deliver_endpoints(endpoint_ids: list[int]) -> None:
    """The task: deliver what is due to each endpoint (a failure is kept for a retry)."""
    for endpoint_id in endpoint_ids:
        try:
            deliver_endpoint(int(endpoint_id))
        except Exception:
            db.session.rollback()
            log.exception("delivery to webhook endpoint %s failed", endpoint_id)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return min(FIRST_WAIT * (2 ** min(max(attempts - 1, 0), 16)), LONGEST_WAIT)


def deliver_endpoint(endpoint_id: int, *, at: datetime | None = None) -> int:
    """Send the endpoint's due deliveries in order until one fails or none is left; returns
    how many got through. `at` is the time the schedule is read at (now by default)."""
    token = uuid.uuid4().hex
    sent = 0
    # A run that stopped at its limit, or deliveries recorded while it released the
    # endpoint, get another round at once.
    for _round in range(3):
        if not _claim(endpoint_id, token):
            break
        try:
            sent += _send_in_order(endpoint_id, token, at)
        finally:
            _release(endpoint_id, token)
        if not _head_due(endpoint_id, at):
            break
    return sent


def _claim(endpoint_id: int, token: str) -> bool:
    clock = naive_utcnow()
    result = db.session.execute(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.enabled.is_(True),
            or_(WebhookEndpoint.lease_until.is_(None), WebhookEndpoint.lease_until < clock),
        )
        .values(lease_until=clock + LEASE, lease_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _release(endpoint_id: int, token: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease_token == token)
        .values(lease_until=None, lease_token=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _head(endpoint_id: int) -> Any:
    return db.session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.message_id,
            WebhookDelivery.payload,
            WebhookDelivery.attempts,
            WebhookDelivery.next_attempt_at,
        )
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.state == PENDING)
        .order_by(WebhookDelivery.id)
        .limit(1)
    ).first()


def _is_due(row: Any, at: datetime | None) -> bool:
    return row is not None and (
        row.next_attempt_at is None or row.next_attempt_at <= (at or naive_utcnow())
    )


def _head_due(endpoint_id: int, at: datetime | None) -> bool:
    due = _is_due(_head(endpoint_id), at)
    db.session.commit()
    return due


def _http(allow_private: bool) -> requests.Session:
    http = requests.Session()
    # No proxy from the environment: the address check must see the receiver's address.
    http.trust_env = False
    if not allow_private:
        adapter = PublicOnlyAdapter()
        http.mount("http://", adapter)
        http.mount("https://", adapter)
    return http


def _send_in_order(endpoint_id: int, token: str, at: datetime | None) -> int:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        return 0
    url, secret = endpoint.url, signing.decrypt(endpoint.secret_encrypted)
    db.session.commit()
    timeout = float(setting("CONSOLE_WEBHOOKS_TIMEOUT"))
    sent = 0
    with _http(bool(setting("CONSOLE_WEBHOOKS_ALLOW_PRIVATE"))) as http:
        while sent < RUN_LIMIT:
            row = _head(endpoint_id)
            # No transaction stays open while the receiver answers.
            db.session.commit()
            if not _is_due(row, at):
                break
            outcome = post(http, url, secret, row.message_id, row.payload, timeout)
            if not _record(endpoint_id, token, row, outcome, at) or not outcome.ok:
                break
            sent += 1
    return sent


def post(
    http: requests.Session, url: str, secret: str, message_id: str, body: str, timeout: float
) -> Outcome:
    """One signed POST of `body`; a 2xx is a delivery, anything else (a redirect too) not."""
    headers = signing.headers(secret, message_id, body)
    headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT})
    try:
        response = http.post(
            url,
            data=body.encode(),
            headers=headers,
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,
        )
    except AddressRefused as error:
        return Outcome(False, None, f"refused: {error.detail} is not a public address")
    except requests.RequestException as error:
        return Outcome(False, None, f"{type(error).__name__}: {error}"[:500])
    status = response.status_code
    response.close()
    if 200 <= status < 300:
        return Outcome(True, status)
    return Outcome(False, status, f"HTTP {status}")


def _record(endpoint_id: int, token: str, row: Any, outcome: Outcome, at: datetime | None) -> bool:
    """Store the attempt and renew the lease; False when the run lost the endpoint (another
    worker took it over, or an operator disabled it)."""
    clock = naive_utcnow()
    values: dict[str, Any] = {
        "attempts": row.attempts + 1,
        "last_attempt_at": clock,
        "last_status_code": outcome.status,
        "last_error": outcome.error,
    }
    if outcome.ok:
        values.update(state=DELIVERED, delivered_at=clock, next_attempt_at=None)
    else:
        values["next_attempt_at"] = (at or clock) + backoff(row.attempts + 1)
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == row.id, WebhookDelivery.state == PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    lease = db.session.execute(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.lease_token == token,
            WebhookEndpoint.enabled.is_(True),
        )
        .values(lease_until=clock + LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if not outcome.ok:
        log.warning(
            "webhook delivery %s to endpoint %s failed: %s", row.id, endpoint_id, outcome.error
        )
    return lease.rowcount == 1


# ---------------------------------------------------------------- the workers' schedule


def deliver_due(*, at: datetime | None = None) -> int:
    """Deliver to every enabled endpoint whose next delivery is due; returns how many
    deliveries got through. `at` is the time the schedule is read at (now by default)."""
    due_at = at or naive_utcnow()
    endpoint_ids = list(
        db.session.scalars(
            select(WebhookDelivery.endpoint_id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.state == PENDING,
                WebhookDelivery.next_attempt_at <= due_at,
                WebhookEndpoint.enabled.is_(True),
            )
            .distinct()
            .limit(DUE_LIMIT)
        )
    )
    db.session.commit()
    sent = 0
    for endpoint_id in sorted(endpoint_ids):
        try:
            sent += deliver_endpoint(endpoint_id, at=at)
        except Exception:
            db.session.rollback()
            log.exception("delivery to webhook endpoint %s failed", endpoint_id)
    return sent


def purge_delivered(*, at: datetime | None = None) -> int:
    """Delete delivered records older than CONSOLE_WEBHOOKS_RETENTION (a batch)."""
    cutoff = (at or naive_utcnow()) - setting("CONSOLE_WEBHOOKS_RETENTION")
    ids = list(
        db.session.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.state == DELIVERED, WebhookDelivery.delivered_at < cutoff)
            .order_by(WebhookDelivery.id)
            .limit(PURGE_LIMIT)
        )
    )
    if ids:
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
    db.session.commit()
    return len(ids)


def periodic() -> None:
    """The workers' pass every minute: due deliveries sent, old delivered records purged."""
    deliver_due()
    purge_delivered()
