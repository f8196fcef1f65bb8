"""Realistic demo data: roles, about fifty people, some with second factors."""

from __future__ import annotations

import random
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from flask_security import hash_password, naive_utcnow
from sqlalchemy import select

from .accounts import create_operator, ensure_role
from .core.models import models
from .extensions import db
from .mixins import ConsoleRoleMixin, ConsoleUserMixin

DEMO_OPERATOR = "admin@example.com"

FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "Donald",
    "Katherine",
    "John",
    "Sophie",
    "Guido",
    "Anita",
    "Bjarne",
    "Shafi",
    "Whitfield",
    "Lynn",
    "Niklaus",
    "Carol",
    "Leslie",
]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Knuth",
    "Johnson",
    "McCarthy",
    "Wilson",
    "Rossum",
    "Borg",
    "Stroustrup",
    "Goldwasser",
    "Diffie",
    "Conway",
    "Wirth",
    "Shaw",
    "Lamport",
]

ROLES = {
    "Support": (
        [
            "users:read",
            "users:write",
            "users:impersonate",
            "sessions:read",
            "sessions:revoke",
            "mfa:read",
        ],
        "Help desk: accounts, sessions and factors; signs in as a member to help",
    ),
    "Security officer": (
        [
            "users:read",
            "sessions:read",
            "sessions:revoke",
            "mfa:read",
            "mfa:reset",
            "audit:read",
            "roles:read",
        ],
        "Investigates incidents and resets factors",
    ),
    "Auditor": (["users:read", "roles:read", "audit:read"], "Read-only review of the audit trail"),
    "Member": ([], "Ordinary application user"),
}


def seed(count: int = 50) -> tuple[str, str, bool]:
    """Create the demo data once; every run gives the demo operator a fresh password."""
    User = models().User
    password = secrets.token_urlsafe(12)
    already = db.session.scalar(select(User.id).where(User.email == "ada.lovelace@example.com"))
    create_operator(DEMO_OPERATOR, password)
    operator = db.session.scalar(select(User).where(User.email == DEMO_OPERATOR))
    if operator is not None and not operator.name:
        operator.name = "Demo Operator"
    if already is not None:
        db.session.commit()
        return DEMO_OPERATOR, password, False
    roles = {name: ensure_role(name, perms, text) for name, (perms, text) in ROLES.items()}
    _people(count, roles)
    db.session.commit()
    for seeder in current_app.extensions["console"].demo_seeders:
        seeder()
    db.session.commit()
    return DEMO_OPERATOR, password, True


def _people(count: int, roles: dict[str, ConsoleRoleMixin]) -> list[ConsoleUserMixin]:
    from flask_security.proxies import _security

    User = models().User
    rng = random.Random(2026)  # the same demo every time
    shared_hash = hash_password(secrets.token_urlsafe(16))
    now = naive_utcnow()
    people = []
    for index in range(count):
        first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
        local = f"{first}.{last}".lower().replace("-", "")
        email = f"{local}@example.com" if index < len(FIRST) else f"{local}{index}@example.com"
        created = now - timedelta(days=rng.randint(30, 900))
        signed_in = created + timedelta(days=rng.randint(0, (now - created).days))
        user = User(
            email=email,
            username=f"{local.replace('.', '_')}{index}",
            name=f"{first} {last}",
            password=shared_hash,
            active=rng.random() > 0.08,
            confirmed_at=created if rng.random() > 0.1 else None,
            fs_uniquifier=uuid.uuid4().hex,
            create_datetime=created,
            password_changed_at=created,
            last_login_at=signed_in if rng.random() > 0.15 else None,
            current_login_at=signed_in,
            login_count=rng.randint(0, 400),
            current_login_ip=f"192.0.2.{rng.randint(1, 254)}",
        )
        if rng.random() < 0.5:
            user.tf_primary_method = "authenticator"
            user.tf_totp_secret = _security._totp_factory.generate_totp_secret()
        user.roles = [roles["Member"]]
        if index % 10 == 0:
            user.roles.append(roles["Support"])
        if index % 17 == 0:
            user.roles.append(roles["Security officer"])
        if index % 23 == 0:
            user.roles.append(roles["Auditor"])
        db.session.add(user)
        people.append(user)
    return people
