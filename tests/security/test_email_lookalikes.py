"""Addresses that differ only by Unicode form, case or a look-alike character are one account."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.conftest import login

ADMIN = "admin@example.com"
ADMIN_PASSWORD = "admin password 12345"
# Fullwidth A, upper case, dotless i.
LOOK_ALIKES = ("Ａdmin@example.com", "ADMIN@example.com", "admın@example.com")
MEMBER_PASSWORD = "member password 12345"


def _users() -> int:
    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def _emails() -> set[str]:
    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    return set(db.session.scalars(sa.select(User.email)))


def _signed_in_as(client: Any) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


@pytest.fixture
def admin(make_user: Any) -> Any:
    return make_user(ADMIN, password=ADMIN_PASSWORD)


@pytest.fixture
def no_email_precheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pre-check finds no owner, as when two requests race for one address."""
    _blind_prechecks(monkeypatch)


def _blind_prechecks(monkeypatch: pytest.MonkeyPatch) -> None:
    from console.datastore import ConsoleUserDatastore
    from console.users import flows

    original = ConsoleUserDatastore.find_user

    def blind(self: Any, case_insensitive: bool = False, **kwargs: Any) -> Any:
        if set(kwargs) == {"email"}:
            return None
        return original(self, case_insensitive=case_insensitive, **kwargs)

    monkeypatch.setattr(ConsoleUserDatastore, "find_user", blind)
    monkeypatch.setattr(flows, "_email_in_use", lambda email, except_id=None: False)
    monkeypatch.setattr("console.accounts.find_user_by_email", lambda email: None)


# --- the canonical form ---------------------------------------------------------------------


@pytest.mark.parametrize("address", LOOK_ALIKES + ("аdmin@example.com", "admin@ｅxample.com"))
def test_look_alikes_share_the_canonical_form(address: str):
    from console.core.emails import canonical_email

    assert canonical_email(address) == canonical_email(ADMIN)


@pytest.mark.parametrize("address", ("admins@example.com", "admin@example.org", "bob@example.com"))
def test_other_addresses_keep_their_own_form(address: str):
    from console.core.emails import canonical_email

    assert canonical_email(address) != canonical_email(ADMIN)


def test_the_canonical_form_is_set_with_the_email(admin):
    from console.core.emails import canonical_email
    from console.extensions import db

    assert admin.email_canonical == canonical_email(ADMIN)
    admin.email = "new.admin@example.com"
    assert admin.email_canonical == canonical_email("new.admin@example.com")
    db.session.rollback()


# --- every way in refuses a look-alike ------------------------------------------------------


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_invitation_refuses_a_look_alike(signed_in_operator, admin, outbox, address):
    before = _users()
    response = signed_in_operator.post("/admin/users/new/", data={"email": address})
    assert response.status_code == 400
    assert "already uses the email address" in response.get_data(as_text=True)
    assert _users() == before
    assert outbox() == []


def test_an_operator_edit_refuses_another_accounts_look_alike(signed_in_operator, admin, make_user):
    from console.extensions import db
    from console.models import User

    other = make_user("other@example.com", password=None)
    response = signed_in_operator.post(
        f"/admin/users/{other.id}/edit/",
        data={"email": LOOK_ALIKES[0], "version": str(other.edit_version), "active": "y"},
    )
    assert "already uses the email address" in response.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(User, other.id)
    assert fresh.email == "other@example.com" and fresh.edit_version == other.edit_version


def test_an_operator_may_change_the_case_of_the_same_account(signed_in_operator, admin):
    from console.extensions import db
    from console.users import flows

    operator = db.session.scalar(sa.select(type(admin)).where(type(admin).email != ADMIN))
    flows.update_user(
        operator, admin, version=admin.edit_version, values={"email": "Admin@example.com"}
    )
    assert "Admin@example.com" in _emails()


@pytest.mark.settings(SECURITY_REGISTERABLE=True)
@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_registration_of_a_look_alike_creates_nothing(client, admin, outbox, address):
    before = _users()
    response = client.post(
        "/register",
        data={"email": address, "password": "a long new password 42",
              "password_confirm": "a long new password 42"},
    )  # fmt: skip
    assert response.status_code in (200, 302)
    assert _users() == before
    # Generic responses: the owner of the address is told by mail, the visitor sees no
    # difference, and nothing goes to the look-alike address.
    recipients = {r for m in outbox() for r in m.recipient_list()}
    assert recipients == {ADMIN}


@pytest.mark.settings(SECURITY_REGISTERABLE=True)
@pytest.mark.settings(SECURITY_RETURN_GENERIC_RESPONSES=False)
@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_registration_says_the_look_alike_is_in_use(client, admin, address):
    before = _users()
    response = client.post(
        "/register",
        data={"email": address, "password": "a long new password 42",
              "password_confirm": "a long new password 42"},
    )  # fmt: skip
    assert "is already associated with an account" in response.get_data(as_text=True)
    assert _users() == before


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_email_change_to_a_look_alike_sends_and_changes_nothing(
    client, admin, make_user, outbox, address
):
    member = make_user("member@example.com", password=MEMBER_PASSWORD)
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    client.post("/change-email", data={"email": address})
    assert outbox() == []
    assert _emails() == {ADMIN, "member@example.com"}


@pytest.mark.settings(SECURITY_RETURN_GENERIC_RESPONSES=False)
def test_email_change_says_the_look_alike_is_in_use(client, admin, make_user):
    member = make_user("member@example.com", password=MEMBER_PASSWORD)
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    response = client.post("/change-email", data={"email": LOOK_ALIKES[0]})
    assert "is already associated with an account" in response.get_data(as_text=True)
    assert _emails() == {ADMIN, "member@example.com"}


def test_an_email_change_link_for_an_address_taken_since_is_refused(client, make_user, outbox):
    member = make_user("member@example.com", password=MEMBER_PASSWORD)
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    client.post("/change-email", data={"email": LOOK_ALIKES[0]})
    link = re.search(r"https?://[^\s\"'<>]*/change-email/[^\s\"'<>]+", outbox()[-1].body_text)
    make_user(ADMIN, password=ADMIN_PASSWORD)
    response = client.get(link.group(0).split("localhost", 1)[1])
    assert response.status_code == 302
    assert _emails() == {ADMIN, "member@example.com"}


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_create_account_refuses_a_look_alike(admin, address):
    from console.accounts import create_account
    from console.core.emails import EmailInUseError

    before = _users()
    with pytest.raises(EmailInUseError, match="already uses this email address"):
        create_account(address, "a long new password 42")
    assert _users() == before


def test_create_operator_does_not_take_over_a_look_alike(admin):
    from console.accounts import create_operator
    from console.core.emails import EmailInUseError
    from console.extensions import db

    with pytest.raises(EmailInUseError):
        create_operator(LOOK_ALIKES[0], "another operator password")
    db.session.expire_all()
    assert login_works(admin) and _users() == 1


def login_works(user: Any) -> bool:
    from flask_security import verify_password

    return verify_password(ADMIN_PASSWORD, user.password)


def test_the_cli_refuses_a_look_alike_operator(app, admin):
    result = app.test_cli_runner().invoke(
        args=["console", "create-operator", LOOK_ALIKES[0], "--password", "another password 1"]
    )
    assert result.exit_code != 0
    assert "already uses this email address" in result.output
    assert _users() == 1


# --- the database has the last word ---------------------------------------------------------


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_a_direct_insert_hits_the_unique_index(admin, address):
    from console.extensions import db
    from console.models import User

    db.session.add(User(email=address, fs_uniquifier=uuid.uuid4().hex, active=True))
    with pytest.raises(IntegrityError, match="email_canonical"):
        db.session.commit()
    db.session.rollback()
    assert _emails() == {ADMIN}


def test_an_invitation_that_loses_the_race_is_refused_whole(admin, operator, no_email_precheck):
    from console.users import flows

    before = _users()
    with pytest.raises(flows.UserFlowError) as refused:
        flows.create_user(operator, email=LOOK_ALIKES[0])
    assert refused.value.code == "email_taken"
    assert _users() == before


def test_an_edit_that_loses_the_race_is_refused_whole(
    admin, operator, make_user, no_email_precheck
):
    from console.extensions import db
    from console.models import User
    from console.users import flows

    other = make_user("other@example.com", password=None)
    version = other.edit_version
    with pytest.raises(flows.UserFlowError) as refused:
        flows.update_user(operator, other, version=version, values={"email": LOOK_ALIKES[2]})
    assert refused.value.code == "email_taken"
    db.session.expire_all()
    fresh = db.session.get(User, other.id)
    assert fresh.email == "other@example.com" and fresh.edit_version == version


def test_create_account_that_loses_the_race_writes_nothing(admin, no_email_precheck):
    from console.accounts import create_account
    from console.core.emails import EmailInUseError

    with pytest.raises(EmailInUseError):
        create_account(LOOK_ALIKES[1], "a long new password 42")
    assert _emails() == {ADMIN}


@pytest.mark.settings(SECURITY_REGISTERABLE=True)
def test_a_registration_that_loses_the_race_gets_the_message(
    client, admin, outbox, no_email_precheck
):
    response = client.post(
        "/register",
        data={"email": LOOK_ALIKES[0], "password": "a long new password 42",
              "password_confirm": "a long new password 42"},
    )  # fmt: skip
    assert response.status_code == 409
    assert "already uses this email address" in response.get_data(as_text=True)
    assert _emails() == {ADMIN}
    assert outbox() == []


@pytest.mark.settings(SECURITY_REGISTERABLE=True)
def test_a_registration_race_answers_json_too(client, admin, no_email_precheck):
    response = client.post(
        "/register",
        json={"email": LOOK_ALIKES[0], "password": "a long new password 42",
              "password_confirm": "a long new password 42"},
    )  # fmt: skip
    assert response.status_code == 409
    assert "already uses this email address" in response.get_json()["error"]["message"]
    assert _emails() == {ADMIN}


def test_an_email_change_that_loses_the_race_gets_the_message(
    client, make_user, outbox, monkeypatch
):
    member = make_user("member@example.com", password=MEMBER_PASSWORD)
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    client.post("/change-email", data={"email": LOOK_ALIKES[0]})
    link = re.search(r"https?://[^\s\"'<>]*/change-email/[^\s\"'<>]+", outbox()[-1].body_text)
    make_user(ADMIN, password=ADMIN_PASSWORD)
    _blind_prechecks(monkeypatch)
    response = client.get(link.group(0).split("localhost", 1)[1])
    assert response.status_code == 409
    assert "already uses this email address" in response.get_data(as_text=True)
    assert _emails() == {ADMIN, "member@example.com"}


# --- sign-in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_sign_in_by_a_look_alike_reaches_the_same_account(client, admin, make_user, address):
    make_user("bob@example.com", password=MEMBER_PASSWORD)
    assert login(client, address, ADMIN_PASSWORD).status_code == 302
    assert _signed_in_as(client) == admin.fs_uniquifier


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_sign_in_by_a_look_alike_never_reaches_another_account(client, admin, make_user, address):
    make_user("bob@example.com", password=MEMBER_PASSWORD)
    response = login(client, address, MEMBER_PASSWORD)
    assert response.status_code != 302
    assert _signed_in_as(client) is None


def test_sign_in_looks_the_address_up_by_its_index(client, admin, count_queries, backend):
    from console.extensions import db

    with count_queries() as counter:
        assert login(client, LOOK_ALIKES[0], ADMIN_PASSWORD).status_code == 302
    lookups = [s for s in counter.statements if "email_canonical =" in s]
    assert lookups, counter.statements
    assert not [s for s in counter.statements if "lower(" in s.lower() and "email" in s]
    if backend == "sqlite":
        plan = db.session.execute(
            sa.text('EXPLAIN QUERY PLAN SELECT id FROM "user" WHERE email_canonical = :c'),
            {"c": "x"},
        ).all()
        assert any("ix_user_email_canonical" in str(row) for row in plan), plan
