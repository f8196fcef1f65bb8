"""Demo data: a few realistic sessions for the demo people."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from ..core.models import models
from ..extensions import db
from . import flows, store

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
]
METHODS = [
    ("password", None),
    ("password", "authenticator"),
    ("passkey", None),
    ("email_code", None),
    ("password", "webauthn"),
]


def seed_sessions() -> None:
    """Give each active demo user one to three live sessions (ids never usable: discarded)."""
    User = models().User
    rng = random.Random(4)
    moment = store.now()
    idle = flows.idle_timeout()
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
    for user in users:
        for _ in range(rng.randint(1, 3)):
            method, second = rng.choice(METHODS)
            record, _sid = store.create(
                user,
                auth_method=method,
                second_factor=second,
                ip=f"198.51.100.{rng.randint(1, 254)}",
                user_agent=rng.choice(AGENTS),
                lifetime=flows.lifetime(),
            )
            age = timedelta(minutes=rng.randint(5, 60 * 24 * 5))
            record.created_at = moment - age
            record.expires_at = record.created_at + flows.lifetime()
            seen = min(age, idle - timedelta(minutes=5))
            quiet = rng.randint(0, int(seen.total_seconds()))
            record.last_seen_at = moment - timedelta(seconds=quiet)
    db.session.commit()
