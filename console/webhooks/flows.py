"""Registering, pausing, resuming and deleting webhook endpoints and retrying deliveries:
one path for the pages, the CLI and any other caller, each asserting webhooks:manage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask_security import naive_utcnow
from sqlalchemy import delete, func, select, update

from ..core import actions, policy
from ..core.signals import emit
from ..core.transactions import atomic
from ..extensions import db
from ..settings import setting
from . import addresses, delivery, signing
from .errors import WebhookError
from .models import PENDING, WebhookDelivery, WebhookEndpoint
from .payload import GROUP_PREFIX

PERMISSION = "webhooks:manage"
DESCRIPTION_MAX_LENGTH = 200
# Waiting deliveries an endpoint's summary counts, at most (a dead endpoint may have many).
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Summary:
    """An endpoint as the list shows it: how many deliveries wait (up to COUNT_LIMIT, then
    `more`) and the oldest waiting one (its attempts, last error and next attempt)."""

    endpoint: WebhookEndpoint
    waiting: int
    more: bool
    head: WebhookDelivery | None


def groups() -> dict[str, Any]:
    """The groups of events an endpoint may subscribe to, by stored key."""
    return {f"{GROUP_PREFIX}{key}": label for key, label in actions.GROUPS.items()}


def clean_event_types(event_types: Iterable[str]) -> list[str]:
    """The chosen groups and actions, each once, in the order given; WebhookError for an
    empty choice or a name neither a group nor a declared action."""
    known = groups()
    chosen: list[str] = []
    for name in event_types:
        name = str(name).strip()
        if not name or name in chosen:
            continue
        if name not in known and actions.find(name) is None:
            raise WebhookError("unknown_event", name=name[:80])
        chosen.append(name)
    if not chosen:
        raise WebhookError("no_events")
    return chosen


def check_url(url: str) -> None:
    """WebhookError unless `url` may be called (http(s), every address public unless
    CONSOLE_WEBHOOKS_ALLOW_PRIVATE)."""
    try:
        addresses.check(url, allow_private=bool(setting("CONSOLE_WEBHOOKS_ALLOW_PRIVATE")))
    except addresses.AddressRefused as refused:
        if refused.code == "unresolved":
            raise WebhookError("unresolved", host=refused.detail) from None
        if refused.code == "private":
            raise WebhookError("private", addresses=refused.detail) from None
        raise WebhookError("url") from None


def display_url(url: str) -> str:
    """`url` without a user name or password, for the audit trail and the pages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


@atomic
def create_endpoint(
    actor: Any, *, url: str, description: str = "", event_types: Iterable[str]
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret, which is never shown again."""
    policy.require(actor, PERMISSION)
    url = (url or "").strip()
    description = " ".join((description or "").split())
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise WebhookError("description")
    chosen = clean_event_types(event_types)
    check_url(url)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        url=url,
        description=description,
        event_types=chosen,
        secret_encrypted=signing.encrypt(secret),
        enabled=True,
        created_at=naive_utcnow(),
        created_by_id=getattr(actor, "id", None),
        created_by_email=getattr(actor, "email", None),
    )
    db.session.add(endpoint)
    db.session.flush()
    emit(
        "admin.webhook.created",
        actor=actor,
        endpoint=endpoint.id,
        url=display_url(url),
        event_types=chosen,
    )
    db.session.commit()
    return endpoint, secret


@atomic
def set_enabled(actor: Any, endpoint: WebhookEndpoint, enabled: bool) -> bool:
    """Pause (no new event is queued for it, waiting deliveries wait) or resume an endpoint;
    False when it already was so."""
    policy.require(actor, PERMISSION)
    if bool(endpoint.enabled) == enabled:
        return False
    endpoint.enabled = enabled
    action = "admin.webhook.enabled" if enabled else "admin.webhook.disabled"
    emit(action, actor=actor, endpoint=endpoint.id, url=display_url(endpoint.url))
    endpoint_id = endpoint.id
    db.session.commit()
    if enabled:
        delivery.hand_over([endpoint_id])
    return True


@atomic
def delete_endpoint(actor: Any, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its deliveries (waiting ones are never sent)."""
    policy.require(actor, PERMISSION)
    emit("admin.webhook.deleted", actor=actor, endpoint=endpoint.id, url=display_url(endpoint.url))
    # The deliveries first: a host's SQLite may not enforce the cascade.
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.commit()


@atomic
def retry_delivery(actor: Any, found: WebhookDelivery) -> None:
    """Try a waiting delivery again now, with those before it (an endpoint gets its events
    in order, so a later one cannot overtake them)."""
    policy.require(actor, PERMISSION)
    if found.state != PENDING:
        raise WebhookError("not_pending")
    now = naive_utcnow()
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == found.endpoint_id,
            WebhookDelivery.state == PENDING,
            WebhookDelivery.id <= found.id,
        )
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    emit(
        "admin.webhook.retried",
        actor=actor,
        endpoint=found.endpoint_id,
        delivery=found.id,
        message=found.message_id,
    )
    endpoint_id = found.endpoint_id
    db.session.commit()
    delivery.hand_over([endpoint_id])


# ---------------------------------------------------------------- reading


def list_endpoints(actor: Any) -> list[Summary]:
    """Every endpoint, oldest first, with what waits for it."""
    policy.require(actor, PERMISSION)
    endpoints = list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
    summaries = []
    for endpoint in endpoints:
        waiting_ids = (
            select(WebhookDelivery.id)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == PENDING)
            .limit(COUNT_LIMIT + 1)
            .subquery()
        )
        waiting = int(db.session.scalar(select(func.count()).select_from(waiting_ids)) or 0)
        head = db.session.scalar(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == PENDING)
            .order_by(WebhookDelivery.id)
            .limit(1)
        )
        summaries.append(Summary(endpoint, min(waiting, COUNT_LIMIT), waiting > COUNT_LIMIT, head))
    return summaries


def find_endpoint(actor: Any, endpoint_id: int) -> WebhookEndpoint | None:
    """The endpoint `endpoint_id`, or None."""
    policy.require(actor, PERMISSION)
    return db.session.get(WebhookEndpoint, endpoint_id)


def find_delivery(actor: Any, delivery_id: int) -> WebhookDelivery | None:
    """The delivery `delivery_id`, or None."""
    policy.require(actor, PERMISSION)
    return db.session.get(WebhookDelivery, delivery_id)


def deliveries(
    actor: Any, endpoint: WebhookEndpoint, *, before: int | None = None, limit: int = 50
) -> list[WebhookDelivery]:
    """The endpoint's deliveries, newest first, after the keyset cursor `before`."""
    policy.require(actor, PERMISSION)
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if before is not None:
        stmt = stmt.where(WebhookDelivery.id < before)
    return list(db.session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)))


def head_id(endpoint: WebhookEndpoint) -> int | None:
    """The id of the endpoint's oldest waiting delivery (the next one sent), or None."""
    return db.session.scalar(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.state == PENDING)
        .order_by(WebhookDelivery.id)
        .limit(1)
    )


def event_type_label(name: str) -> Any:
    """A stored event type as the pages name it: a group's label or an action's."""
    if name.startswith(GROUP_PREFIX):
        return actions.GROUPS.get(name.removeprefix(GROUP_PREFIX), name)
    return actions.label(name)
