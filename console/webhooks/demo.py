"""A paused demo endpoint with a delivered and a waiting delivery, to show the pages."""

from __future__ import annotations

from datetime import timedelta

from flask_security import naive_utcnow
from sqlalchemy import select

from ..extensions import db
from . import signing
from .delivery import backoff
from .models import DELIVERED, PENDING, WebhookDelivery, WebhookEndpoint
from .payload import build, dumps

DEMO_URL = "https://hooks.example.com/security-console"


def seed_endpoint() -> None:
    """Once: the endpoint (paused, so nothing is sent to example.com) and two deliveries."""
    if db.session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.url == DEMO_URL)):
        return
    now = naive_utcnow()
    endpoint = WebhookEndpoint(
        url=DEMO_URL,
        description="SIEM collector (demo)",
        event_types=["group:sign_in", "group:failure", "admin.user.updated"],
        secret_encrypted=signing.encrypt(signing.new_secret()),
        enabled=False,
        created_at=now - timedelta(days=2),
    )
    db.session.add(endpoint)
    db.session.flush()
    for index, (action, state) in enumerate(
        (("user.login", DELIVERED), ("user.login_failed", PENDING))
    ):
        created = now - timedelta(hours=2 - index)
        payload = build(
            {
                "action": action,
                "created_at": created,
                "actor_id": None,
                "actor_email": None,
                "subject_id": None,
                "subject_email": "ada.lovelace@example.com",
                "ip": "203.0.113.7",
                "user_agent": None,
                "request_id": None,
                "details": "{}",
                "hash": f"demo-{index}",
            }
        )
        delivered = state == DELIVERED
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                message_id=payload["id"],
                event_type=action,
                payload=dumps(payload),
                state=state,
                attempts=1 if delivered else 3,
                created_at=created,
                last_attempt_at=created + timedelta(seconds=1),
                last_status_code=204 if delivered else 503,
                last_error=None if delivered else "HTTP 503",
                delivered_at=created + timedelta(seconds=1) if delivered else None,
                next_attempt_at=None if delivered else created + backoff(3),
            )
        )
    db.session.commit()
