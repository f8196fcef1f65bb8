"""The webhook tables: the endpoints operators register and one delivery record per event
and endpoint, written right after the event's commit and kept until it is delivered."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text

from ..core.schema import ConsoleModel, user_key

PENDING = "pending"
DELIVERED = "delivered"
STATES = (PENDING, DELIVERED)


class WebhookEndpoint(ConsoleModel):
    """A URL that receives the committed events it subscribed to, signed with its secret.

    `event_types` lists action names ("user.login") and groups ("group:sign_in"). The
    secret is stored encrypted (console.webhooks.signing). `lease_until` and `lease_token`
    name the worker delivering to it: one at a time per endpoint keeps its events in order.
    """

    __tablename__ = "webhook_endpoint"

    id = Column(Integer, primary_key=True)
    url = Column(String(500), nullable=False)
    description = Column(String(200), nullable=False, default="")
    event_types = Column(JSON, nullable=False, default=list)
    secret_encrypted = Column(Text, nullable=False)
    enabled = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)
    created_by_id = Column(Integer, nullable=True, index=True, info=user_key("SET NULL"))
    # Kept when the account goes, so the page still says who registered the endpoint.
    created_by_email = Column(String(320), nullable=True)
    lease_until = Column(DateTime, nullable=True)
    lease_token = Column(String(32), nullable=True)


class WebhookDelivery(ConsoleModel):
    """One event for one endpoint: the signed body sent (the same on every attempt, with the
    same `message_id`), how the attempts went and when the next one is due."""

    __tablename__ = "webhook_delivery"

    id = Column(Integer, primary_key=True)
    endpoint_id = Column(
        Integer, ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=False
    )
    message_id = Column(String(64), nullable=False)
    event_type = Column(String(80), nullable=False)
    payload = Column(Text, nullable=False)
    state = Column(String(16), nullable=False, default=PENDING)
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False)
    next_attempt_at = Column(DateTime, nullable=True)
    last_attempt_at = Column(DateTime, nullable=True)
    last_status_code = Column(Integer, nullable=True)
    last_error = Column(String(500), nullable=True)
    delivered_at = Column(DateTime, nullable=True)


# An endpoint's deliveries newest first (its page), its next one to send, and the due ones
# across endpoints (the workers' periodic pass).
Index("ix_webhook_delivery_endpoint_id_id", WebhookDelivery.endpoint_id, WebhookDelivery.id)
Index(
    "ix_webhook_delivery_endpoint_id_state_id",
    WebhookDelivery.endpoint_id,
    WebhookDelivery.state,
    WebhookDelivery.id,
)
Index(
    "ix_webhook_delivery_state_next_attempt_at",
    WebhookDelivery.state,
    WebhookDelivery.next_attempt_at,
)
