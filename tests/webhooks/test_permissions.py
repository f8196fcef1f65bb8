"""webhooks:manage: without it the pages answer 403 and every flow refuses."""

from __future__ import annotations

import pytest

from tests.conftest import login


@pytest.fixture
def auditor(make_user):
    return make_user(
        "auditor@example.com",
        password="auditor password 1",
        roles=["Auditor"],
        permissions=["audit:read", "users:read"],
    )


@pytest.fixture
def endpoint(app, operator):
    from console.extensions import db
    from console.webhooks import signing
    from console.webhooks.models import WebhookDelivery, WebhookEndpoint

    found = WebhookEndpoint(
        url="https://hooks.example.com/x",
        description="",
        event_types=["user.login"],
        secret_encrypted=signing.encrypt(signing.new_secret()),
        enabled=True,
        created_at=__import__("datetime").datetime(2026, 1, 1),
    )
    db.session.add(found)
    db.session.flush()
    db.session.add(
        WebhookDelivery(
            endpoint_id=found.id,
            message_id="evt_1",
            event_type="user.login",
            payload="{}",
            state="pending",
            attempts=1,
            created_at=found.created_at,
            next_attempt_at=found.created_at,
        )
    )
    db.session.commit()
    return found


def test_pages_answer_403_without_the_permission(app, client, auditor, endpoint):
    assert login(client, auditor.email, "auditor password 1").status_code == 302
    base = "/admin/webhooks"
    for path in (
        f"{base}/",
        f"{base}/new/",
        f"{base}/{endpoint.id}/",
        f"{base}/{endpoint.id}/delete/",
    ):
        assert client.get(path).status_code == 403, path
    for path in (
        f"{base}/new/",
        f"{base}/{endpoint.id}/disable/",
        f"{base}/{endpoint.id}/enable/",
        f"{base}/{endpoint.id}/delete/",
        f"{base}/deliveries/1/retry/",
    ):
        assert (
            client.post(path, data={"confirm": "yes", "url": "https://x.example/"}).status_code
            == 403
        ), path
    # Not in the navigation either.
    assert f'href="{base}/"' not in client.get("/admin/audit/").get_data(as_text=True)


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/admin/webhooks/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_flow_refuses_without_the_permission(app, auditor, endpoint):
    from console.core.policy import PolicyError
    from console.extensions import db
    from console.webhooks import flows
    from console.webhooks.models import WebhookDelivery, WebhookEndpoint

    delivery = db.session.get(WebhookDelivery, 1)
    calls = [
        lambda: flows.create_endpoint(
            auditor, url="https://x.example/", event_types=["user.login"]
        ),
        lambda: flows.set_enabled(auditor, endpoint, False),
        lambda: flows.delete_endpoint(auditor, endpoint),
        lambda: flows.retry_delivery(auditor, delivery),
        lambda: flows.list_endpoints(auditor),
        lambda: flows.find_endpoint(auditor, endpoint.id),
        lambda: flows.deliveries(auditor, endpoint),
    ]
    for call in calls:
        with pytest.raises(PolicyError) as refused:
            call()
        assert refused.value.code == "permission"
    db.session.expire_all()
    found = db.session.get(WebhookEndpoint, endpoint.id)
    assert found is not None and found.enabled


def test_full_administrators_hold_it(operator):
    from console.core.permissions import ADDED_LATER, PERMISSIONS

    assert operator.has_permission("webhooks:manage")
    # Every console permission but itself and those added after it.
    later = {name for name, before in ADDED_LATER.items() if "webhooks:manage" in before}
    assert ADDED_LATER["webhooks:manage"] == frozenset(PERMISSIONS) - {"webhooks:manage"} - later
