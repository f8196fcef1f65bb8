"""The audit actions of webhook endpoints (each change an operator makes to one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.actions import Action

ACTIONS = (
    Action(
        "admin.webhook.created",
        _l("Webhook endpoint registered"),
        _l("An operator registered an endpoint that receives audit events, signed."),
        "admin",
    ),
    Action(
        "admin.webhook.disabled",
        _l("Webhook endpoint paused"),
        _l("An operator paused an endpoint: no new events are queued for it."),
        "admin",
    ),
    Action(
        "admin.webhook.enabled",
        _l("Webhook endpoint resumed"),
        _l("An operator resumed an endpoint: its waiting deliveries go out again."),
        "admin",
    ),
    Action(
        "admin.webhook.deleted",
        _l("Webhook endpoint deleted"),
        _l("An operator deleted an endpoint and its deliveries."),
        "admin",
    ),
    Action(
        "admin.webhook.retried",
        _l("Webhook delivery retried"),
        _l("An operator asked for a waiting delivery to be tried again at once."),
        "admin",
    ),
)
