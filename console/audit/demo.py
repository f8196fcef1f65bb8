"""Demo events: a month of sign-ins, failures and account changes for the demo people."""

from __future__ import annotations

import random
from datetime import timedelta

from flask_security import naive_utcnow
from sqlalchemy import select

from ..core.models import models
from ..extensions import db
from . import recorder

AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
)


def seed_events(days: int = 30) -> int:
    """Queue and commit realistic events for up to 60 demo users; returns how many."""
    User = models().User
    rng = random.Random(6)
    now = naive_utcnow()
    people = list(db.session.scalars(select(User).order_by(User.id).limit(60)))
    planned = []
    for user in people:
        ip = user.current_login_ip or f"198.51.100.{rng.randint(1, 254)}"
        agent = rng.choice(AGENTS)
        own = []
        for _ in range(rng.randint(0, 12)):
            at = now - timedelta(days=rng.uniform(0, days))
            if rng.random() < 0.15:
                own.append((at, "user.login_failed", None, {"auth_type": "password"}))
            own.append((at + timedelta(seconds=5), "user.login", user, {"via": ["password"]}))
        if rng.random() < 0.2:
            at = now - timedelta(days=rng.uniform(0, days))
            own.append((at, "user.password_changed", user, {"changes": {"password": ["", ""]}}))
        if rng.random() < 0.15:
            at = now - timedelta(days=rng.uniform(0, days))
            own.append((at, "mfa.totp.enabled", user, {"replaced": False}))
        planned += [
            (at, action, actor, user, details, ip, agent) for at, action, actor, details in own
        ]
    planned.sort(key=lambda item: item[0])
    session = db.session()
    for at, action, actor, subject, details, ip, agent in planned:
        values = recorder.build(
            action, actor=actor, subject=subject, details=details, created_at=at
        )
        values.update(ip=ip, user_agent=agent)
        recorder.queue(session, values)
    db.session.commit()
    return len(planned)
