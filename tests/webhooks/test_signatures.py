"""The README's verification code accepts a delivery once and detects a forged, a replayed
and a stale one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import WebhookVerificationError

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_receive() -> Any:
    """The `receive` function of the README's webhook section, as documented."""
    text = README.read_text()
    section = text[text.index("## Webhooks and the log stream") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code, "no Python snippet in the webhook section"
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["receive"]


@pytest.fixture
def delivery_parts() -> tuple[str, str, str]:
    from console.webhooks.payload import dumps
    from console.webhooks.signing import new_secret

    secret = new_secret()
    body = dumps({"id": "evt_0123", "type": "user.login", "timestamp": "x", "data": {}})
    return secret, "evt_0123", body


def _headers(secret: str, message_id: str, body: str, at: datetime | None = None) -> dict:
    from console.webhooks.signing import headers

    return headers(secret, message_id, body, at=at)


def test_a_genuine_delivery_is_accepted_once(delivery_parts):
    receive = documented_receive()
    secret, message_id, body = delivery_parts
    seen: set[str] = set()
    event = receive(secret, body.encode(), _headers(secret, message_id, body), seen)
    assert event["id"] == message_id
    # The same event again (a retry, or a replay of the captured request): recognised.
    again = _headers(secret, message_id, body)
    assert receive(secret, body.encode(), again, seen) is None


def test_a_forged_body_or_signature_or_secret_is_refused(delivery_parts):
    from console.webhooks.signing import new_secret

    receive = documented_receive()
    secret, message_id, body = delivery_parts
    headers = _headers(secret, message_id, body)
    with pytest.raises(WebhookVerificationError):
        receive(secret, body.replace("user.login", "user.logout").encode(), headers, set())
    forged = dict(
        headers, **{"webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
    )
    with pytest.raises(WebhookVerificationError):
        receive(secret, body.encode(), forged, set())
    other = _headers(new_secret(), message_id, body)
    with pytest.raises(WebhookVerificationError):
        receive(secret, body.encode(), other, set())
    # A signature moved to another id does not verify either.
    moved = dict(headers, **{"webhook-id": "evt_other"})
    with pytest.raises(WebhookVerificationError):
        receive(secret, body.encode(), moved, set())


def test_a_stale_or_future_timestamp_is_refused(delivery_parts):
    receive = documented_receive()
    secret, message_id, body = delivery_parts
    for offset in (timedelta(minutes=-6), timedelta(minutes=6)):
        headers = _headers(secret, message_id, body, at=datetime.now(UTC) + offset)
        with pytest.raises(WebhookVerificationError):
            receive(secret, body.encode(), headers, set())
    recent = _headers(secret, message_id, body, at=datetime.now(UTC) - timedelta(minutes=4))
    assert receive(secret, body.encode(), recent, set())["id"] == message_id


def test_secrets_follow_the_specification_and_are_stored_encrypted(app):
    import base64

    from console.webhooks import signing

    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64
    stored = signing.encrypt(secret)
    assert secret not in stored and "whsec_" not in stored
    assert signing.decrypt(stored) == secret
