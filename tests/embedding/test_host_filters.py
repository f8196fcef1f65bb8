"""On a host's own models and create_all() schema, the user list's role and MFA filters
read what the console keeps there: the has-second-factor flag, and the copy of each
member's creation date on the host's user-role table (its triggers made by create_all())."""

from __future__ import annotations

import re
from datetime import timedelta
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_security import naive_utcnow

from . import test_host_models as hosts
from .test_host_models import USERS, _account

# The host-model fixtures, shared with test_host_models (each test gets its own host).
host_models = hosts.host_models
host_database = hosts.host_database
host = hosts.host
client = hosts.client
operator = hosts.operator
signed_in_operator = hosts.signed_in_operator


def test_the_role_and_mfa_filters_on_the_hosts_tables(
    host: Flask, host_models: ModuleType, signed_in_operator: Any
):
    from flask_security.proxies import _datastore, _security

    from console.core.schema import MEMBER_CREATED
    from console.extensions import db

    now = naive_utcnow().replace(microsecond=0)
    made = [
        _account(f"m{i}@example.com", "member password 1", ["users:read"] if i else None)
        for i in range(3)
    ]
    for i, user in enumerate(made):
        user.create_datetime = now - timedelta(days=i)
    _datastore.tf_set(made[1], "authenticator", _security._totp_factory.generate_totp_secret())
    db.session.commit()

    roles_users = host_models.User.roles.property.secondary
    stale = db.session.execute(
        sa.select(roles_users.c.user_id)
        .join(host_models.User, host_models.User.id == roles_users.c.user_id)
        .where(
            sa.or_(
                roles_users.c[MEMBER_CREATED].is_(None),
                roles_users.c[MEMBER_CREATED] != host_models.User.create_datetime,
            )
        )
    ).all()
    assert stale == []
    assert [bool(u.has_second_factor) for u in made] == [False, True, False]

    def listed(**args: Any) -> list[str]:
        body = signed_in_operator.get(USERS, query_string=args).get_data(as_text=True)
        return re.findall(r'/admin/users/\d+/">(m\d@example\.com)</a>', body)

    role_id = made[1].roles[0].id
    assert listed(role=role_id) == ["m1@example.com"]
    assert listed(mfa="yes") == ["m1@example.com"]
    assert listed(mfa="no") == ["m0@example.com", "m2@example.com"]
