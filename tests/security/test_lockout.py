"""Account lockout: threshold, growing waits, reset on success, atomic counting, unlock."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_security import naive_utcnow

from tests.conftest import login
from tests.security.conftest import lock_state

PASSWORD = "correct horse battery"
SETTINGS = pytest.mark.settings(
    CONSOLE_LOCKOUT_THRESHOLD=3,
    CONSOLE_LOCKOUT_BASE_WAIT=timedelta(minutes=1),
    CONSOLE_LOCKOUT_MAX_WAIT=timedelta(minutes=3),
)
pytestmark = SETTINGS


def _fail(client, email, times):
    for _ in range(times):
        assert login(client, email, "wrong password").status_code == 200


def _error_text(response) -> str:
    """The page without its per-request nonce, for comparing two answers."""
    text = re.sub(r'(?i)nonce(-|="|": ")[A-Za-z0-9_-]+', "nonce", response.get_data(as_text=True))
    # CSRF tokens carry a timestamp: two pages a second apart differ there and only there.
    return re.sub(r'(csrf[-_]token"[^>]*(?:content|value)=")[^"]+', r"\1", text)


def test_threshold_failures_lock_the_account(client, make_user, events, no_wait):
    user = make_user("victim@example.com")
    _fail(client, user.email, 2)
    assert lock_state(user.id)[:2] == (2, 0)
    _fail(client, user.email, 1)
    failed, locks, until = lock_state(user.id)
    assert (failed, locks) == (3, 1)
    assert until - naive_utcnow() == pytest.approx(timedelta(minutes=1), abs=timedelta(seconds=5))
    locked = [e for e in events if e[0] == "user.locked"]
    assert len(locked) == 1 and locked[0][2].id == user.id
    # The right password no longer signs in while the lock runs.
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 200
    assert "identity or password/passcode invalid" in response.get_data(as_text=True)
    assert client.get("/verify").status_code == 302  # not signed in


def test_locked_account_costs_no_password_hash(client, make_user, monkeypatch, no_wait):
    from console.models import User

    user = make_user("victim@example.com")
    _fail(client, user.email, 3)

    def forbidden(self, password):  # noqa: ANN001, ANN202
        raise AssertionError("a locked account's password was checked")

    monkeypatch.setattr(User, "verify_and_update_password", forbidden)
    import flask_security.forms

    monkeypatch.setattr(flask_security.forms, "hash_password", forbidden)
    assert login(client, user.email, PASSWORD).status_code == 200
    assert len(no_wait) == 1  # the refusal waited as long as a hash instead
    # A refused attempt is not a processed one: the count stays.
    assert lock_state(user.id)[0] == 3


def test_locked_and_unknown_accounts_get_the_same_answer(client, make_user, no_wait):
    user = make_user("victim@example.com")
    _fail(client, user.email, 3)
    locked = login(client, user.email, PASSWORD)
    unknown = login(client, "nobody@example.com", PASSWORD)
    wrong = login(client, make_user("other@example.com").email, "wrong password")
    assert locked.status_code == unknown.status_code == wrong.status_code == 200
    assert _error_text(locked).replace(user.email, "X") == _error_text(unknown).replace(
        "nobody@example.com", "X"
    )
    assert _error_text(wrong).replace("other@example.com", "X") == _error_text(unknown).replace(
        "nobody@example.com", "X"
    )


def test_json_answers_are_identical_too(client, make_user, no_wait):
    user = make_user("victim@example.com")
    _fail(client, user.email, 3)

    def attempt(email: str) -> tuple[int, dict]:
        response = client.post("/login", json={"email": email, "password": PASSWORD})
        body = response.get_json()
        body["response"].pop("csrf_token", None)
        return response.status_code, body

    assert attempt(user.email) == attempt("nobody@example.com")


def test_each_further_lock_waits_twice_as_long_up_to_the_cap(client, make_user, no_wait):
    from console.extensions import db
    from console.models import User

    user = make_user("victim@example.com")
    waits = []
    for _ in range(4):
        _fail(client, user.email, 3 if not waits else 1)
        _failed, _locks, until = lock_state(user.id)
        waits.append(round((until - naive_utcnow()).total_seconds() / 60))
        # Let the lock run out.
        db.session.execute(
            sa.update(User)
            .where(User.id == user.id)
            .values(locked_until=naive_utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert waits == [1, 2, 3, 3]
    assert lock_state(user.id)[1] == 4


def test_success_resets_the_counter(client, make_user, no_wait):
    user = make_user("victim@example.com")
    _fail(client, user.email, 2)
    assert login(client, user.email, PASSWORD).status_code == 302
    assert lock_state(user.id) == (0, 0, None)


def test_lock_ends_by_itself(client, make_user, no_wait):
    from console.extensions import db
    from console.models import User

    user = make_user("victim@example.com")
    _fail(client, user.email, 3)
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(locked_until=naive_utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert login(client, user.email, PASSWORD).status_code == 302
    assert lock_state(user.id) == (0, 0, None)


def test_unified_signin_password_counts_and_is_refused_while_locked(client, make_user, no_wait):
    user = make_user("victim@example.com")
    for _ in range(3):
        client.post(
            "/us-signin", data={"identity": user.email, "passcode": "nope", "submit": "Sign In"}
        )
    assert lock_state(user.id)[:2] == (3, 1)
    response = client.post(
        "/us-signin", data={"identity": user.email, "passcode": PASSWORD, "submit": "Sign In"}
    )
    assert response.status_code == 200
    assert len(no_wait) == 1


def test_reauthentication_failures_count(client, make_user, no_wait):
    user = make_user("victim@example.com")
    assert login(client, user.email, PASSWORD).status_code == 302
    for _ in range(3):
        assert client.post("/verify", data={"password": "wrong"}).status_code == 200
    assert lock_state(user.id)[:2] == (3, 1)
    # Locked: even the right password does not refresh the session.
    assert client.post("/verify", data={"password": PASSWORD}).status_code == 200


def test_concurrent_failures_all_count_and_start_one_lock(app, make_user, events):
    from console.extensions import db
    from console.lockout import store

    user = make_user("victim@example.com")
    user_id = user.id
    results = []
    errors = []

    def fail_once() -> None:
        try:
            with app.app_context():
                results.append(store.record_failure(user_id))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=fail_once) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    failed, locks, until = lock_state(user_id)
    assert failed == 12
    assert sorted(r.failed_login_count for r in results) == list(range(1, 13))
    assert locks == 1 and until is not None
    assert sum(1 for r in results if r.locked_until is not None) == 1


def test_operator_unlock_clears_the_lock(client, make_user, operator, events, no_wait):
    from console.lockout.flows import unlock

    user = make_user("victim@example.com")
    _fail(client, user.email, 3)
    assert unlock(user, operator) is True
    assert lock_state(user.id) == (0, 0, None)
    unlocked = [e for e in events if e[0] == "admin.user.unlocked"]
    assert len(unlocked) == 1
    assert unlocked[0][1].id == operator.id and unlocked[0][2].id == user.id
    assert unlocked[0][3]["changes"]["locked_until"][1] is None
    assert login(client, user.email, PASSWORD).status_code == 302
    assert unlock(user, operator) is False


def test_unknown_accounts_spend_a_hash(client, monkeypatch):
    import flask_security.forms

    calls = []
    original = flask_security.forms.hash_password
    monkeypatch.setattr(
        flask_security.forms, "hash_password", lambda p: calls.append(1) or original(p)
    )
    assert login(client, "nobody@example.com", PASSWORD).status_code == 200
    assert calls == [1]
