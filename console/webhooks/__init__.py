"""Signed webhooks and the JSON log stream: committed audit events leave the box."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..core.nav import NavItem, register
from ..core.paths import admin_path

if TYPE_CHECKING:
    from .. import ConsoleState


def init_app(app: Flask, state: ConsoleState) -> None:
    """The endpoint and delivery tables, the receivers of committed events, the delivery
    task and its schedule, the operators' pages and the demo endpoint."""
    from ..core import actions, jobs
    from ..core.signals import events_committed
    from . import delivery, demo, models, stream  # noqa: F401 - the webhook tables
    from .admin import ENDPOINT, WebhooksAdmin
    from .events import ACTIONS
    from .flows import PERMISSION

    actions.declare(ACTIONS)
    # Each commit that wrote events: one log line per event, and the deliveries recorded
    # when the request (or application context) ends, then handed to the workers; where
    # workers deliver, after the response is sent.
    events_committed.connect(stream.write, sender=app)
    events_committed.connect(delivery.collect, sender=app)
    app.after_request(delivery.after_response)
    app.teardown_request(delivery.record_ready)
    app.teardown_appcontext(delivery.record_ready)
    jobs.register_task(app, jobs.Task(delivery.TASK, delivery.deliver_endpoints))
    # Due deliveries (retries, and any a worker missed) every minute; old records purged.
    jobs.register_periodic(
        app, jobs.Periodic("webhooks.deliver_due", delivery.periodic, minute="*")
    )
    state.admin.add_view(
        WebhooksAdmin(name=str(_l("Webhooks")), endpoint=ENDPOINT, url=admin_path(app, "/webhooks"))
    )
    register(
        app,
        NavItem("admin", f"{ENDPOINT}.index", _l("Webhooks"), PERMISSION, order=60, group="audit"),
    )
    state.demo_seeders.append(demo.seed_endpoint)
