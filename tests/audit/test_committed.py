"""After a commit that wrote events, one `events_committed` signal carries them, once;
a rolled-back flow sends nothing. Flows commit their own events (emit, then commit)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def committed(app) -> Iterator[list[list[dict[str, Any]]]]:
    """Each events_committed send during the test: the list of events it carried."""
    from console.core.signals import events_committed

    sends: list[list[dict[str, Any]]] = []

    def receive(sender: Any, events: list[dict[str, Any]]) -> None:
        sends.append(events)

    events_committed.connect(receive, sender=app)
    yield sends
    events_committed.disconnect(receive, sender=app)


@pytest.fixture
def emitted(app) -> Iterator[list[str]]:
    """The actions emitted through console_event during the test."""
    from console.core.signals import console_event

    seen: list[str] = []

    def receive(sender: Any, action: str, **_: Any) -> None:
        seen.append(action)

    console_event.connect(receive, sender=app)
    yield seen
    console_event.disconnect(receive, sender=app)


def _actions(sends):
    return [event["action"] for events in sends for event in events]


def test_a_committed_flow_sends_each_event_once(app, operator, committed, stored_events):
    from console.extensions import db
    from console.roles import flows

    flows.create_role(
        operator, name="Helpdesk", description="", permissions=["users:read"], require_mfa=False
    )
    assert _actions(committed) == ["admin.role.created"]
    (stored,) = stored_events("admin.role.created")
    (sent,) = committed[0]
    assert (sent["hash"], sent["prev_hash"]) == (stored.hash, stored.prev_hash)
    assert sent["actor_id"] == operator.id
    # Later commits that write no event send nothing more.
    db.session.commit()
    assert len(committed) == 1


def test_one_commit_with_several_events_sends_them_together(app, operator, make_user, committed):
    from console.users import flows

    user = make_user("pat@example.com")
    flows.update_user(operator, user, version=user.edit_version, values={"active": False})
    assert [[e["action"] for e in events] for events in committed] == [
        ["admin.user.updated", "admin.user.deactivated"]
    ]


def test_a_rolled_back_flow_sends_nothing(app, operator, committed, emitted, stored_events):
    from console.roles import flows

    flows.create_role(operator, name="Twice", description="", permissions=[], require_mfa=False)
    committed.clear()
    emitted.clear()
    with pytest.raises(flows.RoleError):
        flows.create_role(operator, name="Twice", description="", permissions=[], require_mfa=False)
    assert committed == []
    assert len(stored_events("admin.role.created")) == 1


def test_an_explicit_rollback_drops_the_events(app, operator, committed):
    from console.core.signals import emit
    from console.extensions import db

    emit("admin.user.updated", actor=operator, subject=operator, changes={"name": ["a", "b"]})
    db.session.rollback()
    db.session.commit()
    assert committed == []


def test_a_request_commits_its_events_once(client, make_user, committed):
    from tests.conftest import login

    user = make_user("quinn@example.com", password="quinn password 1")
    assert login(client, user.email, "quinn password 1").status_code == 302
    actions = _actions(committed)
    assert actions.count("user.login") == 1


def test_each_flow_commits_what_it_emits(app, operator, make_user, committed, emitted):
    """Run the operators' and the account holder's flows one by one: after each returns,
    nothing it emitted is still waiting, and each event was committed exactly once."""
    from console.account import flows as account
    from console.audit import recorder
    from console.extensions import db
    from console.lockout import flows as lockout
    from console.lockout import store
    from console.roles import flows as roles
    from console.users import flows as users

    member = make_user("member.flow@example.com", name="Mia")

    def role():
        return roles.create_role(
            operator, name="Flow", description="", permissions=[], require_mfa=False
        )

    steps = {
        "create_role": role,
        "update_role": lambda: roles.update_role(
            operator,
            db.session.scalar(_role_named("Flow")),
            name="Flow2",
            description="d",
            permissions=[],
            require_mfa=False,
        ),
        "add_member": lambda: roles.add_member(
            operator, db.session.scalar(_role_named("Flow2")), member
        ),
        "remove_member": lambda: roles.remove_member(
            operator, db.session.scalar(_role_named("Flow2")), member
        ),
        "delete_role": lambda: roles.delete_role(operator, db.session.scalar(_role_named("Flow2"))),
        "create_user": lambda: users.create_user(operator, email="new.flow@example.com"),
        "update_user": lambda: users.update_user(
            operator, member, version=member.edit_version, values={"name": "Mia M"}
        ),
        "update_notes": lambda: users.update_notes(
            operator, member, version=member.edit_version, html="<p>note</p>"
        ),
        "run_action": lambda: users.run_action(operator, "deactivate", [member.id]),
        "unlock": lambda: (
            [store.record_failure(member.id) for _ in range(6)],
            db.session.commit(),
            lockout.unlock(member, operator),
        ),
        "update_profile": lambda: account.update_profile(member, {"timezone": "Europe/Paris"}),
    }
    problems = []
    for name, step in steps.items():
        committed.clear()
        emitted.clear()
        # The invitation's link is absolute: built as in the operator's request.
        with app.test_request_context("/"):
            step()
        waiting = [e["action"] for e in recorder.pending(db.session())]
        if not emitted or waiting or sorted(_actions(committed)) != sorted(emitted):
            problems.append((name, emitted[:], waiting, _actions(committed)))
    assert problems == []


def _role_named(name: str):
    import sqlalchemy as sa

    from console.models import Role

    return sa.select(Role).where(Role.name == name)
