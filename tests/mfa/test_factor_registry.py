"""One factor registry: every page that says "has MFA" agrees with it and with Flask-Security."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_security import naive_utcnow

from tests.conftest import login
from tests.support.keys import add_stored_key

PASSWORD = "factor password 1"
ROLE = "Covered"

# combination -> whether a password alone no longer signs in
COMBINATIONS = {
    "none": False,
    "app": True,
    "email": True,
    "security_key": True,
    "passkey": False,
    "recovery": False,
    "app_recovery": True,
    "everything": True,
    # Flask-Security asks for a two-factor method only together with its secret.
    "method_without_secret": False,
    # Unified sign-in codes replace the password; a password sign-in never asks for them.
    "signin_app": False,
}
SECOND_STEP = ("/tf-validate", "/tf-select", "/wan-signin")


@dataclass
class Account:
    name: str
    user: Any
    client: FlaskClient
    expected: bool


def _secret() -> str:
    from flask_security.proxies import _security

    return _security._totp_factory.generate_totp_secret()


def _give(user: Any, name: str, operator: Any) -> None:
    """Set up the factors of combination `name` on `user` (not committed)."""
    from flask_security.proxies import _datastore, _security

    from console.extensions import db
    from console.mfa.models import BreakGlassCode

    if name in ("app", "app_recovery", "everything"):
        _datastore.tf_set(user, "authenticator", _secret())
    if name == "email":
        _datastore.tf_set(user, "email", _secret())
    if name == "method_without_secret":
        user.tf_primary_method = "authenticator"
    if name in ("security_key", "everything"):
        add_stored_key(user.id, "Desk key", usage="secondary")
    if name in ("passkey", "everything"):
        add_stored_key(user.id, "Phone", usage="first")
    if name in ("recovery", "app_recovery", "everything"):
        _security.mf_recovery_codes_util.create_recovery_codes(user)
    if name in ("signin_app", "everything"):
        _datastore.us_set(user, "authenticator", _secret())
    if name == "everything":
        now = naive_utcnow()
        db.session.add(
            BreakGlassCode(
                user_id=user.id,
                issued_by_id=operator.id,
                code_digest="0" * 64,
                created_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )


@pytest.fixture
def accounts(app, make_user, operator) -> dict[str, Account]:
    """One signed-in member of ROLE per combination; the factors are added after sign-in."""
    from console.extensions import db

    made = {}
    for name, expected in COMBINATIONS.items():
        user = make_user(f"{name.replace('_', '-')}@example.com", password=PASSWORD, roles=[ROLE])
        client = app.test_client()
        assert login(client, user.email, PASSWORD).status_code == 302
        made[name] = Account(name, user, client, expected)
    for account in made.values():
        _give(account.user, account.name, operator)
    db.session.commit()
    db.session.expire_all()
    return made


def _by_email(accounts: dict[str, Account]) -> dict[str, Account]:
    return {a.user.email: a for a in accounts.values()}


def _listed(client: FlaskClient, url: str, **args: Any) -> set[str]:
    response = client.get(url, query_string={"size": 100, **args})
    assert response.status_code == 200
    return set(re.findall(r"([a-z-]+@example\.com)", response.get_data(as_text=True)))


def test_the_registry_agrees_with_flask_security(app, accounts):
    from flask_security.proxies import _security

    from console.core import factors

    for account in accounts.values():
        asked = bool(_security.two_factor_plugins.get_setup_tf_methods(account.user))
        assert asked is account.expected, account.name
        assert factors.has_second_factor(account.user) is account.expected, account.name


def test_each_factor_s_sql_matches_its_python_test(app, accounts):
    from sqlalchemy import select

    from console.core import factors
    from console.extensions import db
    from console.models import User

    ours = {a.user.id for a in accounts.values()}
    for factor in factors.registered():
        in_sql = set(db.session.scalars(select(User.id).where(factor.condition()))) & ours
        in_python = {a.user.id for a in accounts.values() if factor.is_set_up(a.user)}
        assert in_sql == in_python, factor.key
    with_mfa = set(db.session.scalars(select(User.id).where(factors.has_second_factor_condition())))
    assert with_mfa & ours == {a.user.id for a in accounts.values() if a.expected}
    page = factors.set_up_by_user(ours)
    for account in accounts.values():
        assert page[account.user.id] == factors.set_up(account.user), account.name


def test_a_passkey_counts_only_when_asked_as_a_second_factor(app):
    from console.core import factors
    from console.mfa.factors import asked_as_second_factor

    assert asked_as_second_factor("secondary") and not asked_as_second_factor("first")
    kinds = {f.key: f.second_factor for f in factors.registered()}
    assert kinds == {
        "authenticator": True,
        "email": True,
        "security_key": True,
        "passkey": False,
        "authenticator_signin": False,
        "recovery_codes": False,
        "break_glass": False,
    }
    for factor in factors.registered():
        assert str(factor) and factor.actions and callable(factor.reset), factor.key


def test_every_page_agrees_on_who_has_mfa(app, accounts, signed_in_operator):
    from console.core import factors
    from console.dashboard import snapshot
    from console.mfa.summary import alerts

    ours = set(_by_email(accounts))
    expected = {email for email, a in _by_email(accounts).items() if a.expected}

    # The operators' user list: its filter and its MFA column.
    assert _listed(signed_in_operator, "/admin/users/", mfa="yes") & ours == expected
    assert _listed(signed_in_operator, "/admin/users/", mfa="no") & ours == ours - expected
    body = signed_in_operator.get("/admin/users/", query_string={"size": 100}).get_data(
        as_text=True
    )
    second = {f.key for f in factors.second_factors()}
    seen = set()
    for row in body.split("<tr data-user-id=")[1:]:
        email = re.search(r"([a-z-]+@example\.com)", row).group(1)
        if email in ours:
            seen.add(email)
            shown = set(re.findall(r'data-factor="([a-z_]+)"', row.split("</tr>")[0]))
            assert bool(shown & second) is (email in expected), email
    assert seen == ours

    # The dashboard, recomputed through its flow.
    figures = snapshot.refresh().users
    assert figures.with_mfa == len(expected)  # the operator signs in with a password alone
    roles = {r.name: (r.members, r.with_mfa) for r in figures.roles}
    assert roles[ROLE] == (len(ours), len(expected))
    assert roles["Administrator"] == (1, 0)

    # The security center of each account, as its holder sees it.
    for account in accounts.values():
        page = account.client.get("/account/")
        assert page.status_code == 200, account.name
        warned = 'data-warning="no_second_factor"' in page.get_data(as_text=True)
        assert warned is not account.expected, account.name
        asked = {alert.key for alert in alerts(account.user)}
        assert ("no_second_factor" not in asked) is account.expected, account.name

    # The operators' MFA list: each user filter lists exactly the accounts with that factor.
    for method, keys in (
        ("authenticator", ("authenticator", "authenticator_signin")),
        ("email", ("email",)),
        ("recovery", ("recovery_codes",)),
    ):
        holders = {
            a.user.email
            for a in accounts.values()
            if any(factors.get(k).is_set_up(a.user) for k in keys)
        }
        assert _listed(signed_in_operator, "/admin/mfa/", method=method) & ours == holders, method
    for usage, key in (("first", "passkey"), ("secondary", "security_key")):
        holders = {a.user.email for a in accounts.values() if factors.get(key).is_set_up(a.user)}
        assert _listed(signed_in_operator, "/admin/mfa/", method=usage) & ours == holders, usage


def test_the_require_mfa_policy_agrees(app, accounts):
    from console.extensions import db
    from console.mfa import policy
    from console.models import Role

    db.session.scalar(db.select(Role).where(Role.name == ROLE)).require_mfa = True
    db.session.commit()
    for account in accounts.values():
        assert policy.must_enrol(account.user) is not account.expected, account.name
        client = app.test_client()
        response = login(client, account.user.email, PASSWORD)
        assert response.status_code == 302, account.name
        asked = any(step in response.headers["Location"] for step in SECOND_STEP)
        assert asked is account.expected, account.name
        if not account.expected:
            held = client.get("/")
            assert held.headers["Location"].endswith("/account/mfa-required"), account.name


def test_a_password_only_operator_is_not_counted_as_covered(app, operator, client):
    """A passwordless passkey and a method left without its secret protect no password."""
    from console.dashboard import snapshot
    from console.extensions import db

    add_stored_key(operator.id, "Laptop", usage="first")
    operator.tf_primary_method = "authenticator"
    db.session.commit()
    response = login(client, operator.email, "operator password 1")
    assert not any(step in response.headers["Location"] for step in SECOND_STEP)
    roles = {r.name: (r.members, r.with_mfa, r.percent) for r in snapshot.refresh().users.roles}
    assert roles["Administrator"] == (1, 0, 0)
