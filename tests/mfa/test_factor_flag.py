"""The kept has_second_factor flag follows every way a second factor comes and goes: the
account holder's own pages, Flask-Security's datastore, operator resets, and a key that
changes hands; and keeping it is never an edit of the account."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.conftest import login
from tests.mfa.conftest import register_key
from tests.mfa.softkey import SoftKey
from tests.support.keys import add_stored_key

PASSWORD = "flag password 1"
REASON = "Lost phone, verified by video call"


def _stored(user: Any) -> bool:
    """The flag as the database holds it (not the session's copy)."""
    from console.extensions import db
    from console.models import User

    return db.session.execute(
        sa.select(User.has_second_factor).where(User.id == user.id)
    ).scalar_one()


def _computed(user: Any) -> bool:
    from console.core import factors
    from console.extensions import db
    from console.models import User

    found = db.session.scalar(
        sa.select(User.id).where(User.id == user.id, factors.has_second_factor_condition())
    )
    return found is not None


def _secret() -> str:
    from flask_security.proxies import _security

    return _security._totp_factory.generate_totp_secret()


def test_a_new_account_has_none(app, make_user):
    user = make_user("plain@example.com")
    assert _stored(user) is False and user.has_second_factor is False


def test_an_account_created_with_a_factor_has_it_from_its_first_flush(app):
    from console.accounts import create_account
    from console.extensions import db

    user = create_account(
        "born@example.com", "born password 1", tf_primary_method="email", tf_totp_secret=_secret()
    )
    db.session.commit()
    assert _stored(user) is True
    assert user.has_second_factor is True  # the object reads the new value too


def test_the_datastore_s_two_factor_changes(app, make_user):
    from flask_security.proxies import _datastore

    user = make_user("app@example.com")
    _datastore.tf_set(user, "authenticator", _secret())
    _datastore.commit()
    assert _stored(user) is True
    # A method without its secret asks for nothing (as Flask-Security's is_tf_setup says).
    user.tf_totp_secret = None
    _datastore.commit()
    assert _stored(user) is False is _computed(user)
    _datastore.tf_set(user, "email", _secret())
    _datastore.commit()
    assert _stored(user) is True
    _datastore.tf_reset(user)
    _datastore.commit()
    assert _stored(user) is False


def test_keys_registered_and_deleted_on_the_account_holder_s_pages(app, make_user):
    from console.extensions import db

    user = make_user("keys@example.com", password=PASSWORD)
    client = app.test_client()
    assert login(client, user.email, PASSWORD).status_code == 302
    done = register_key(client, SoftKey(), name="Phone", usage="first")
    assert done.status_code == 200, done.get_data(as_text=True)
    # A passwordless passkey replaces the password; it is no second factor.
    assert _stored(user) is False
    register_key(client, SoftKey(), name="Yubi", usage="secondary")
    assert _stored(user) is True
    db.session.expire_all()
    key = next(k for k in user.webauthn if k.usage == "secondary")
    response = client.post(f"/account/passkeys/{key.id}/delete")
    assert response.status_code == 302, response.status_code
    assert _stored(user) is False is _computed(user)


def test_operator_resets(app, make_user, signed_in_operator):
    from flask_security.proxies import _datastore

    user = make_user("target@example.com")
    _datastore.tf_set(user, "authenticator", _secret())
    add_stored_key(user.id, "Yubi", usage="secondary")
    _datastore.commit()
    assert _stored(user) is True
    response = signed_in_operator.post(
        f"/admin/mfa/users/{user.id}/reset-totp", data={"reason": REASON}
    )
    assert response.status_code == 302
    assert _stored(user) is True  # the security key is left
    response = signed_in_operator.post(f"/admin/mfa/users/{user.id}/reset", data={"reason": REASON})
    assert response.status_code == 302
    assert _stored(user) is False is _computed(user)


def test_a_key_that_changes_hands_changes_both_accounts(app, make_user):
    from console.extensions import db

    first, second = make_user("first@example.com"), make_user("second@example.com")
    key = add_stored_key(first.id, "Shared", usage="secondary")
    db.session.commit()
    assert (_stored(first), _stored(second)) == (True, False)
    key.user_id = second.id
    db.session.commit()
    assert (_stored(first), _stored(second)) == (False, True)
    key.usage = "first"
    db.session.commit()
    assert _stored(second) is False


def test_keeping_the_flag_is_not_an_edit(app, make_user):
    """A derived value: the account's update_datetime and edit version stay as they were."""
    from console.extensions import db
    from console.models import User

    user = make_user("still@example.com")
    columns = (User.update_datetime, User.edit_version)

    def stamp() -> Any:
        return db.session.execute(sa.select(*columns).where(User.id == user.id)).one()

    before = stamp()
    add_stored_key(user.id, "Yubi", usage="secondary")
    db.session.commit()
    assert _stored(user) is True
    assert stamp() == before


def test_refresh_mends_what_sql_changed_behind_the_unit_of_work(app, make_user):
    from console.core import factor_flag
    from console.extensions import db
    from console.models import User

    users = [make_user(f"bulk{i}@example.com") for i in range(3)]
    ids = [user.id for user in users]
    db.session.execute(
        sa.update(User)
        .where(User.id.in_(ids[:2]))
        .values(tf_primary_method="email", tf_totp_secret=_secret())
    )
    assert [_stored(user) for user in users] == [False, False, False]
    changed = factor_flag.refresh(db.session.connection(), ids)
    db.session.commit()
    assert changed == 2
    assert [_stored(user) for user in users] == [True, True, False]
    assert factor_flag.refresh(db.session.connection(), ids) == 0  # nothing left to mend
