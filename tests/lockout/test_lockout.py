"""Account lockout: threshold, growing waits, reset on success, atomic counting, unlock."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_security import naive_utcnow

from tests.conftest import login
from tests.support.lockout import lock_state

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
    locked = [e for e in events if e["action"] == "user.locked"]
    assert len(locked) == 1 and locked[0]["subject"].id == user.id
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
    unlocked = [e for e in events if e["action"] == "admin.user.unlocked"]
    assert len(unlocked) == 1
    assert unlocked[0]["actor"].id == operator.id and unlocked[0]["subject"].id == user.id
    assert unlocked[0]["details"]["changes"]["locked_until"][1] is None
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


def _stored(action: str) -> list:
    from console.audit.models import AuditEvent
    from console.extensions import db

    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _refused_counts() -> list[int]:
    return [json.loads(event.details)["refused"] for event in _stored("user.login_refused")]


def test_each_refusal_is_recorded_when_the_interval_is_zero(client, make_user, no_wait):
    from console.audit import flows

    user = make_user("victim@example.com")
    _fail(client, user.email, 3)
    for _ in range(2):
        assert login(client, user.email, PASSWORD).status_code == 200
    assert _refused_counts() == [1, 1]
    # A refusal is not also an unmatched sign-in: only the three checked passwords failed.
    assert len(_stored("user.login_failed")) == 3
    assert flows.verify().ok


@pytest.mark.settings(CONSOLE_LOCKOUT_REFUSAL_INTERVAL=timedelta(hours=1))
def test_refusals_while_locked_are_one_event_then_one_count(app, client, make_user, no_wait):
    from console.audit import flows
    from console.lockout.refusals import EXTENSION_KEY

    user = make_user("victim@example.com")
    _fail(client, user.email, 3)
    for _ in range(5):
        assert login(client, user.email, PASSWORD).status_code == 200
    assert len(no_wait) == 5  # every refusal still waits as long as a hash
    # The first refusal is recorded by its own request, with its address...
    (first,) = _stored("user.login_refused")
    assert (first.subject_id, first.actor_id, first.ip) == (user.id, None, "127.0.0.1")
    assert first.request_id
    # ...the others are counted, not written one by one.
    assert _refused_counts() == [1]
    assert len(_stored("user.login_failed")) == 3
    assert app.extensions[EXTENSION_KEY].flush() == 1
    assert _refused_counts() == [1, 4]
    counted = json.loads(_stored("user.login_refused")[-1].details)
    assert counted["auth_types"] == ["password"]
    assert (counted["distinct_addresses"], counted["addresses"]) == (1, ["127.0.0.1"])
    assert counted["first"] <= counted["last"]
    assert app.extensions[EXTENSION_KEY].flush() == 0  # nothing counted twice
    # A refusal after the count starts a new interval with an event of its own.
    assert login(client, user.email, PASSWORD).status_code == 200
    assert _refused_counts() == [1, 4, 1]
    assert app.extensions[EXTENSION_KEY].flush() == 0
    assert flows.verify().ok


@pytest.mark.settings(CONSOLE_LOCKOUT_REFUSAL_INTERVAL=timedelta(hours=1))
def test_a_count_that_could_not_be_written_is_kept_for_the_next_interval(
    app, client, make_user, monkeypatch, no_wait
):
    from console.lockout import refusals

    user = make_user("victim@example.com")
    _fail(client, user.email, 3)
    for _ in range(3):
        assert login(client, user.email, PASSWORD).status_code == 200
    tallies = app.extensions[refusals.EXTENSION_KEY]
    emit = refusals.emit

    def database_down(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(refusals, "emit", database_down)
    assert tallies.flush() == 0
    monkeypatch.setattr(refusals, "emit", emit)
    assert login(client, user.email, PASSWORD).status_code == 200  # counted with the kept ones
    assert tallies.flush() == 1
    assert _refused_counts() == [1, 3]


@pytest.mark.settings(CONSOLE_LOCKOUT_REFUSAL_INTERVAL=timedelta(milliseconds=300))
def test_the_count_is_written_when_the_interval_ends(app, client, make_user, no_wait):
    from console.audit import flows

    user = make_user("victim@example.com")
    _fail(client, user.email, 3)
    for _ in range(3):
        assert login(client, user.email, PASSWORD).status_code == 200
    deadline = time.monotonic() + 10
    while _refused_counts() != [1, 2] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _refused_counts() == [1, 2]
    assert flows.verify().ok


def test_a_refusal_takes_the_time_of_a_hash_not_of_the_machines_load(monkeypatch):
    """Calibrating while other processes hash (every worker at a burst's first refusal) must
    not make every later refusal as long as a contended hash."""
    from console.lockout import timing

    def contended_hash(password):  # noqa: ANN001, ANN202
        time.sleep(0.2)  # the wall clock runs while other processes have the CPU
        sum(range(20_000))  # this process's own work

    monkeypatch.setattr(timing, "hash_password", contended_hash)
    monkeypatch.setattr(timing, "_hash_seconds", None)
    assert timing.hash_duration() < 0.1


def test_attempts_waiting_when_a_lock_starts_are_refused_without_a_hash(
    app, make_user, monkeypatch, no_wait
):
    """A burst that reaches the threshold (or outlasts a lock) hashes once per process,
    not once per thread: the others wait for that check and then find the lock."""
    from console.models import User

    user = make_user("victim@example.com")
    email, user_id = user.email, user.id
    client = app.test_client()
    _fail(client, email, 2)  # the next failure locks
    checking, most, checked = [0], [0], []
    guard = threading.Lock()
    verify = User.verify_and_update_password

    def slow_verify(self, password):  # noqa: ANN001, ANN202
        with guard:
            checking[0] += 1
            most[0] = max(most[0], checking[0])
            checked.append(password)
        time.sleep(0.2)
        try:
            return verify(self, password)
        finally:
            with guard:
                checking[0] -= 1

    monkeypatch.setattr(User, "verify_and_update_password", slow_verify)
    statuses = []

    def attempt(number: int) -> None:
        statuses.append(login(app.test_client(), email, f"wrong {number}").status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200] * 6
    assert (most[0], len(checked)) == (1, 1)
    assert len(no_wait) == 5  # the others were refused, as long as a hash
    failed, locks, _until = lock_state(user_id)
    assert (failed, locks) == (3, 1)
