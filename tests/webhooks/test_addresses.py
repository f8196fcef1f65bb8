"""Endpoints on private, loopback or link-local addresses are refused unless the setting
allows them: when registered, and again on the address a delivery connects to."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import MEMBER_PASSWORD, login

REFUSED = [
    "http://127.0.0.1:8080/hook",
    "http://10.1.2.3/hook",
    "http://[::1]:9000/hook",
    "http://localhost:9000/hook",
    "https://169.254.169.254/latest/meta-data",
    "http://192.168.0.10/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0:80/",
]


def _endpoint_count() -> int:
    from console.extensions import db
    from console.webhooks.models import WebhookEndpoint

    db.session.rollback()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)))


@pytest.mark.parametrize("url", REFUSED)
def test_the_flow_refuses_a_private_address(app, operator, url):
    from console.webhooks import flows
    from console.webhooks.errors import WebhookError

    with pytest.raises(WebhookError) as refused:
        flows.create_endpoint(operator, url=url, event_types=["group:sign_in"])
    assert refused.value.code == "private"
    assert _endpoint_count() == 0


def test_a_public_address_is_accepted(app, operator, monkeypatch):
    import socket

    from console.webhooks import flows

    def public(host, port, **_kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    monkeypatch.setattr(socket, "getaddrinfo", public)
    endpoint, _secret = flows.create_endpoint(
        operator, url="https://hooks.example.com/in", event_types=["group:sign_in"]
    )
    assert endpoint.id and _endpoint_count() == 1


def test_a_name_with_one_private_address_among_public_ones_is_refused(app, operator, monkeypatch):
    import socket

    from console.webhooks import flows
    from console.webhooks.errors import WebhookError

    def mixed(host, port, **_kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with pytest.raises(WebhookError) as refused:
        flows.create_endpoint(
            operator, url="https://mixed.example.com/", event_types=["user.login"]
        )
    assert "10.0.0.7" in str(refused.value)


@pytest.mark.parametrize(
    "url", ["", "ftp://example.com/x", "not a url", "http:///nohost", "https://x:99999/"]
)
def test_a_malformed_url_is_refused(app, operator, url):
    from console.webhooks import flows
    from console.webhooks.errors import WebhookError

    with pytest.raises(WebhookError) as refused:
        flows.create_endpoint(operator, url=url, event_types=["group:sign_in"])
    assert refused.value.code == "url"


@pytest.mark.settings(CONSOLE_WEBHOOKS_ALLOW_PRIVATE=True)
def test_a_delivery_to_an_address_that_turned_private_is_refused(app, operator, member, receiver):
    """Registered while allowed (as a name that resolved elsewhere, then rebinds): each
    delivery checks the address it connects to."""
    from console.extensions import db
    from console.webhooks import delivery, flows
    from console.webhooks.models import WebhookDelivery

    flows.create_endpoint(operator, url=receiver.url, event_types=["user.login"])
    delivery.record_ready()
    app.config["CONSOLE_WEBHOOKS_ALLOW_PRIVATE"] = False
    assert login(app.test_client(), member.email, MEMBER_PASSWORD).status_code == 302
    assert receiver.requests == []
    row = db.session.scalar(sa.select(WebhookDelivery))
    assert row.state == "pending" and row.attempts == 1
    assert "not a public address" in row.last_error
