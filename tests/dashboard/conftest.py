"""Dashboard fixtures: a population of accounts and sign-ins with known figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask_security import naive_utcnow


@dataclass
class Population:
    """What the fixture created, for the expected figures."""

    users: dict[str, Any]
    sign_ins_today: int
    failures_today: int
    sign_ins_two_days_ago: int


@pytest.fixture
def population(app, operator, make_user) -> Population:
    from console.audit import flows
    from console.extensions import db
    from console.models import WebAuthn

    now = naive_utcnow()
    made = {
        # Flask-Security counts a two-factor method only with its secret.
        "totp": make_user(
            password=None,
            roles=["Support"],
            tf_primary_method="authenticator",
            tf_totp_secret="placeholder secret",
        ),
        "unconfirmed": make_user(password=None, roles=["Support"], confirmed=False),
        "inactive": make_user(
            password=None, active=False, current_login_at=now - timedelta(days=300)
        ),
        "locked": make_user(password=None, locked_until=now + timedelta(hours=1)),
        "was_locked": make_user(password=None, locked_until=now - timedelta(hours=1)),
        "passkey": make_user(password=None, current_login_at=now - timedelta(days=3)),
        "dormant": make_user(password=None, current_login_at=now - timedelta(days=200)),
    }
    db.session.add(
        WebAuthn(
            user_id=made["passkey"].id,
            credential_id=b"credential-1",
            public_key=b"key",
            sign_count=0,
            backup_state=False,
            device_type="single_device",
            lastuse_datetime=now,
            name="Key",
            usage="secondary",
        )
    )
    for _ in range(3):
        flows.record("user.login", actor=made["totp"], subject=made["totp"])
    flows.record("user.login_failed", subject=made["totp"])
    for _ in range(2):
        flows.record(
            "user.login",
            actor=made["passkey"],
            subject=made["passkey"],
            created_at=now - timedelta(days=2),
        )
    db.session.commit()
    return Population(made, sign_ins_today=3, failures_today=1, sign_ins_two_days_ago=2)
