"""The operators' pages: add an endpoint (its secret shown once), see it and its deliveries,
pause, resume, retry, delete after a confirmation; bad input is a form error, never a 500."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import MEMBER_PASSWORD, login

BASE = "/admin/webhooks"


def _endpoints() -> list:
    from console.extensions import db
    from console.webhooks.models import WebhookEndpoint

    db.session.rollback()
    return list(db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def _audit_actions() -> list[str]:
    from console.audit.models import AuditEvent
    from console.extensions import db

    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_navigation_leads_to_the_pages(signed_in_operator):
    home = signed_in_operator.get("/admin/audit/").get_data(as_text=True)
    assert f'href="{BASE}/"' in home
    page = signed_in_operator.get(f"{BASE}/")
    assert page.status_code == 200
    assert "No endpoint is registered." in page.get_data(as_text=True)
    form = signed_in_operator.get(f"{BASE}/new/").get_data(as_text=True)
    # Every field has its label.
    for field in ("url", "description"):
        assert f'for="{field}"' in form and f'id="{field}"' in form
    for box in re.findall(r'<input class="form-check-input"[^>]*id="([^"]+)"', form):
        assert f'for="{box}"' in form


@pytest.mark.settings(CONSOLE_WEBHOOKS_ALLOW_PRIVATE=True)
def test_adding_an_endpoint_shows_its_secret_once_then_it_receives_events(
    app, signed_in_operator, member, receiver
):
    from standardwebhooks import Webhook

    client = signed_in_operator
    response = client.post(
        f"{BASE}/new/",
        data={
            "url": receiver.url,
            "description": "SIEM",
            "event_types": ["group:sign_in", "admin.user.deactivated"],
        },
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    secret = re.search(r'id="new-secret-value"[^>]*value="(whsec_[^"]+)"', html).group(1)
    (endpoint,) = _endpoints()
    assert endpoint.event_types == ["group:sign_in", "admin.user.deactivated"]
    assert secret not in endpoint.secret_encrypted
    assert "admin.webhook.created" in _audit_actions()
    detail = client.get(f"{BASE}/{endpoint.id}/").get_data(as_text=True)
    assert secret not in detail and receiver.url in detail

    assert login(app.test_client(), member.email, MEMBER_PASSWORD).status_code == 302
    assert [Webhook(secret).verify(r.body, r.headers)["type"] for r in receiver.requests] == [
        "user.login"
    ]
    detail = client.get(f"{BASE}/{endpoint.id}/").get_data(as_text=True)
    assert 'data-state="delivered"' in detail


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "", "event_types": ["group:sign_in"]}, "Enter an http:// or https:// address"),
        ({"url": "ftp://x.example/", "event_types": ["group:sign_in"]}, "Enter an http://"),
        ({"url": "https://x.example/" + "a" * 600, "event_types": ["user.login"]}, "at most 500"),
        ({"url": "https://x.example/"}, "Choose at least one kind of event"),
        ({"url": "http://127.0.0.1:9/", "event_types": ["user.login"]}, "private, loopback"),
        ({"url": "http://localhost/", "event_types": ["user.login"]}, "private, loopback"),
        ({"url": "https://x.example/", "event_types": ["no.such.event"]}, "Unknown event type"),
        (
            {"url": "https://x.example/", "event_types": ["user.login"], "description": "d" * 201},
            "At most 200 characters",
        ),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(signed_in_operator, data, message):
    response = signed_in_operator.post(f"{BASE}/new/", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and "is-invalid" in html or 'class="invalid-feedback d-block"' in html
    assert message in html
    assert _endpoints() == []
    assert "admin.webhook.created" not in _audit_actions()


def test_an_unresolvable_host_is_a_form_error(signed_in_operator, monkeypatch):
    import socket

    def fail(*_args, **_kwargs):
        raise socket.gaierror("no such host")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    response = signed_in_operator.post(
        f"{BASE}/new/", data={"url": "https://nowhere.invalid/", "event_types": ["user.login"]}
    )
    assert response.status_code == 400
    assert "could not be found" in response.get_data(as_text=True)
    assert _endpoints() == []


@pytest.mark.settings(CONSOLE_WEBHOOKS_ALLOW_PRIVATE=True)
def test_pause_resume_retry_and_delete_after_confirmation(
    app, signed_in_operator, operator, member, receiver
):
    from console.extensions import db
    from console.webhooks import flows
    from console.webhooks.models import WebhookDelivery

    client = signed_in_operator
    endpoint, _secret = flows.create_endpoint(
        operator, url=receiver.url, event_types=["user.login"]
    )
    endpoint_id = endpoint.id
    receiver.status = 503
    assert login(app.test_client(), member.email, MEMBER_PASSWORD).status_code == 302
    listing = client.get(f"{BASE}/").get_data(as_text=True)
    assert "Failing" in listing
    detail = client.get(f"{BASE}/{endpoint_id}/").get_data(as_text=True)
    assert "HTTP 503" in detail and "Retry now" in detail

    receiver.status = 204
    delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
    response = client.post(f"{BASE}/deliveries/{delivery_id}/retry/")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery_id).state == "delivered"
    # Retrying what was delivered says so.
    client.post(f"{BASE}/deliveries/{delivery_id}/retry/")
    page = client.get(f"{BASE}/{endpoint_id}/").get_data(as_text=True)
    assert "This delivery has already been made." in page

    assert client.post(f"{BASE}/{endpoint_id}/disable/").status_code == 302
    assert _endpoints()[0].enabled is False
    assert 'data-testid="enable"' in client.get(f"{BASE}/{endpoint_id}/").get_data(as_text=True)
    assert client.post(f"{BASE}/{endpoint_id}/enable/").status_code == 302
    assert _endpoints()[0].enabled is True

    confirm = client.get(f"{BASE}/{endpoint_id}/delete/")
    assert confirm.status_code == 200 and 'data-testid="confirm-delete"' in confirm.get_data(
        as_text=True
    )
    assert client.post(f"{BASE}/{endpoint_id}/delete/").status_code == 200  # not confirmed
    assert len(_endpoints()) == 1
    response = client.post(f"{BASE}/{endpoint_id}/delete/", data={"confirm": "yes"})
    assert response.status_code == 302
    assert _endpoints() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0
    actions = _audit_actions()
    for action in (
        "admin.webhook.created",
        "admin.webhook.retried",
        "admin.webhook.disabled",
        "admin.webhook.enabled",
        "admin.webhook.deleted",
    ):
        assert action in actions
    assert client.get(f"{BASE}/{endpoint_id}/").status_code == 404


def test_the_demo_endpoint_is_paused_and_shows_both_kinds_of_delivery(app, signed_in_operator):
    from console.webhooks.demo import seed_endpoint

    seed_endpoint()
    seed_endpoint()  # once
    (endpoint,) = _endpoints()
    assert endpoint.enabled is False
    html = signed_in_operator.get(f"{BASE}/{endpoint.id}/").get_data(as_text=True)
    assert 'data-state="delivered"' in html and 'data-state="pending"' in html
