"""A burst at one identity waits in line: one check at a time, no CPU, no connection held."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import login

pytestmark = pytest.mark.settings(
    CONSOLE_LOCKOUT_THRESHOLD=3,
    CONSOLE_LOCKOUT_BASE_WAIT=timedelta(minutes=5),
    CONSOLE_LOCKOUT_MAX_WAIT=timedelta(minutes=5),
)


class Overlap:
    """Wraps a function to count how many threads run it at once, each for `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = 0
        self.most = 0
        self.calls = 0
        self._lock = threading.Lock()

    def wrap(self, function: Callable[..., Any] = lambda *a, **k: None) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.running += 1
                self.calls += 1
                self.most = max(self.most, self.running)
            try:
                time.sleep(self.seconds)
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.running -= 1

        return wrapped


def _burst(app: Any, emails: list[str], extra: Callable[[], Any] | None = None) -> list[Any]:
    """Wrong passwords for `emails`, each from its own thread, all at once; their statuses.

    `extra`, when given, runs in one more thread once the burst is under way."""
    results: list[Any] = []
    start = threading.Barrier(len(emails) + (extra is not None))

    def attempt(email: str) -> None:
        start.wait()
        results.append(login(app.test_client(), email, "wrong guess").status_code)

    def other() -> None:
        start.wait()
        time.sleep(0.1)
        results.append(extra())

    threads = [threading.Thread(target=attempt, args=(email,)) for email in emails]
    if extra is not None:
        threads.append(threading.Thread(target=other))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _lock(app: Any, email: str) -> None:
    client = app.test_client()
    for _ in range(3):
        assert login(client, email, "wrong guess").status_code == 200


def test_refusals_of_a_locked_account_pad_one_at_a_time(app, make_user, monkeypatch):
    from console.lockout import timing

    user = make_user("victim@example.com")
    _lock(app, user.email)
    padding = Overlap(0.05)
    monkeypatch.setattr(timing, "pad", padding.wrap())
    statuses = _burst(app, [user.email] * 8)
    assert statuses == [200] * 8
    assert (padding.calls, padding.most) == (8, 1)


def test_attempts_at_an_unknown_identity_wait_in_the_same_line(app, monkeypatch):
    """Every spelling of one address (case, fullwidth letters) is one line, known or not:
    the pace of a burst does not tell an existing account from a missing one."""
    import flask_security.forms

    hashing = Overlap(0.05)
    monkeypatch.setattr(
        flask_security.forms, "hash_password", hashing.wrap(flask_security.forms.hash_password)
    )
    spellings = ["nobody@example.com", "NOBODY@example.com", "ｎobody@example.com"] * 2
    statuses = _burst(app, spellings)
    assert statuses == [200] * 6
    assert (hashing.calls, hashing.most) == (6, 1)


def test_a_padded_refusal_holds_no_database_connection(app, make_user, monkeypatch):
    from console.extensions import db
    from console.lockout import timing

    user = make_user("victim@example.com")
    _lock(app, user.email)
    holding: list[bool] = []
    monkeypatch.setattr(timing, "pad", lambda: holding.append(db.session().in_transaction()))
    email = user.email
    db.session.remove()
    assert _burst(app, [email] * 3) == [200] * 3
    assert holding == [False] * 3


def test_waiting_in_line_gives_the_connection_back_and_keeps_what_was_loaded(app, make_user):
    """A thread waiting for its turn holds no pool connection (a worker has many more
    threads than connections), and the account it loaded is not read again."""
    import sqlalchemy as sa

    from console.core.models import models
    from console.extensions import db
    from console.lockout import checks

    user_id = make_user("victim@example.com").id
    db.session.remove()
    user = db.session.get(models().User, user_id)
    assert db.session().in_transaction()
    queries: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: queries.append(args[2]))
    with checks.one_at_a_time(("identity", "victim@example.com")):
        assert not db.session().in_transaction()
        assert user.password and user.email == "victim@example.com"
    assert queries == [] or all("SELECT" not in q.upper() for q in queries)


def test_pending_changes_keep_their_transaction(app, make_user):
    from console.extensions import db
    from console.lockout import checks

    user = make_user("victim@example.com")
    assert user.email  # loads the account: the session is in a transaction
    user.name = "Changed, not committed"
    with checks.one_at_a_time(("identity", user.email)):
        assert db.session().in_transaction() and user in db.session.dirty
    db.session.rollback()
