"""Who may act on whom: every operator action against a lesser, an equal, a superior and oneself.

The rule (core.policy): an actor may act on an account only when every permission that
account holds is one the actor holds too; the operator pages keep refusing some actions on
one's own account. Each action runs through its flow and through its HTTP form, and a
refusal must change nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import session
from flask_security import naive_utcnow

from console.extensions import db
from console.mfa import flows as mfa_flows
from console.models import WebAuthn
from console.roles import flows as role_flows
from console.sessions import flows as session_flows
from console.users import flows as user_flows
from tests.conftest import login
from tests.support.keys import add_stored_key

PASSWORD = "support password 1"
REASON = "The user asked for it by phone."
TARGETS = ("lesser", "peer", "superior", "self")


class Refused(Exception):
    """A bulk flow reported a refusal instead of raising it."""


def _actor_permissions() -> list[str]:
    from console.core.permissions import all_permissions

    # Everything but the audit trail: an operator who is not a full administrator.
    return [p for p in all_permissions() if p != "audit:read"]


@dataclass
class Cast:
    actor: Any
    targets: dict[str, Any]
    spare_role: Any
    client: Any = None
    notes: list[str] = field(default_factory=list)


def _prepare(user: Any) -> None:
    """Give the account something every action can change: factors, a session, a lock."""
    from console.extensions import db
    from console.sessions import store

    user.tf_primary_method = "authenticator"
    user.tf_totp_secret = "TOTPSECRETVALUE"
    user.failed_login_count = 3
    user.locked_until = naive_utcnow() + timedelta(minutes=5)
    add_stored_key(user.id, f"Key of {user.email}")
    store.create(
        user,
        auth_method="password",
        second_factor=None,
        ip="192.0.2.1",
        user_agent="test",
        lifetime=timedelta(days=1),
    )
    db.session.commit()


@pytest.fixture
def cast(app, make_user) -> Cast:
    from console.accounts import ensure_role
    from console.core.permissions import ADMIN_ROLE, all_permissions
    from console.extensions import db

    actor = make_user(
        "support@example.com",
        password=PASSWORD,
        roles=["Support"],
        permissions=_actor_permissions(),
    )
    targets = {
        "lesser": make_user("lesser@example.com", password=None, permissions=["users:read"]),
        "peer": make_user(
            "peer@example.com", password=None, roles=["Support"], permissions=_actor_permissions()
        ),
        "superior": make_user(
            "admin@example.com", password=None, roles=[ADMIN_ROLE], permissions=all_permissions()
        ),
        "self": actor,
    }
    # A second full administrator, so the last-administrator guard never answers first.
    make_user(
        "admin2@example.com", password=None, roles=[ADMIN_ROLE], permissions=all_permissions()
    )
    spare = ensure_role("Readers", ["users:read"])
    db.session.commit()
    # The actor is prepared by each test once it has signed in (a lock would refuse that).
    for name in ("lesser", "peer", "superior"):
        _prepare(targets[name])
    return Cast(actor=actor, targets=targets, spare_role=spare)


def snapshot(user_id: int) -> dict[str, Any]:
    """Everything an operator action could change about one account, read afresh."""
    from console.extensions import db
    from console.mail.models import OutboxMessage
    from console.mfa.models import BreakGlassCode
    from console.models import User, WebAuthn
    from console.sessions.models import SessionRecord

    db.session.expire_all()
    user = db.session.get(User, user_id)
    if user is None:
        return {"deleted": True}
    count = lambda stmt: db.session.scalar(sa.select(sa.func.count()).select_from(stmt))  # noqa: E731
    return {
        "email": user.email,
        "active": user.active,
        "notes": user.notes,
        "roles": sorted(r.name for r in user.roles),
        "password_change_required": user.password_change_required,
        "failed_login_count": user.failed_login_count,
        "tf_primary_method": user.tf_primary_method,
        "invited_at": user.invited_at,
        "keys": count(sa.select(WebAuthn.id).where(WebAuthn.user_id == user_id).subquery()),
        "live_sessions": count(
            sa.select(SessionRecord.id)
            .where(SessionRecord.user_id == user_id, SessionRecord.ended_at.is_(None))
            .subquery()
        ),
        "break_glass": count(
            sa.select(BreakGlassCode.id).where(BreakGlassCode.user_id == user_id).subquery()
        ),
        "mail": count(sa.select(OutboxMessage.id).subquery()),
    }


def _key_id(user: Any) -> int:
    return db.session.scalar(sa.select(WebAuthn.id).where(WebAuthn.user_id == user.id))


def _session(user: Any) -> Any:
    from console.extensions import db
    from console.sessions.models import SessionRecord

    return db.session.scalar(
        sa.select(SessionRecord).where(
            SessionRecord.user_id == user.id, SessionRecord.ended_at.is_(None)
        )
    )


def _deactivated(user: Any) -> None:
    from console.extensions import db

    user.active = False
    db.session.commit()


def _own_role(user: Any) -> Any:
    return sorted(user.roles, key=lambda r: r.name)[0]


# --- the actions, each through its flow and through its form ---------------------------------


def _flow_users(name: str, **options: Any) -> Callable[[Cast, Any], None]:
    def run(cast: Cast, user: Any) -> None:
        result = user_flows.run_action(cast.actor, name, [user.id], **options)
        if result.refused:
            raise Refused(result.refused[0])

    return run


def _form_action(name: str, **extra: Any) -> Callable[[Cast, Any], Any]:
    def run(cast: Cast, user: Any) -> Any:
        data = {"action": name, "rowid": [str(user.id)], "confirm": "yes", **extra}
        if extra.get("mode") == "hard":
            data["typed"] = user.email
        return cast.client.post("/admin/users/action/", data=data)

    return run


def _edit_data(user: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "email": user.email,
        "active": "y" if user.active else "",
        "version": str(user.edit_version),
        "roles": [str(r.id) for r in user.roles],
    }
    data.update(changes)
    return data


def _flow_update(cast: Cast, user: Any, **kwargs: Any) -> None:
    user_flows.update_user(cast.actor, user, version=user.edit_version, **kwargs)


def _flow_end_bulk(cast: Cast, user: Any) -> None:
    _count, refusals = session_flows.end_sessions([_session(user)], cast.actor)
    if refusals:
        raise Refused(refusals[0])


@dataclass(frozen=True)
class Action:
    flow: Callable[[Cast, Any], Any]
    form: Callable[[Cast, Any], Any]
    # Refused on one's own account by the operator pages (the account pages do these).
    not_on_self: bool = False
    prepare: Callable[[Any], None] | None = None


ACTIONS: dict[str, Action] = {
    "edit email": Action(
        flow=lambda c, u: _flow_update(c, u, values={"email": f"new.{u.id}@example.com"}),
        form=lambda c, u: c.client.post(
            f"/admin/users/{u.id}/edit/", data=_edit_data(u, email=f"new.{u.id}@example.com")
        ),
    ),
    "remove a role": Action(
        flow=lambda c, u: _flow_update(c, u, values={}, roles=[]),
        form=lambda c, u: c.client.post(f"/admin/users/{u.id}/edit/", data=_edit_data(u, roles=[])),
    ),
    "edit notes": Action(
        flow=lambda c, u: user_flows.update_notes(
            c.actor, u, version=u.edit_version, html="<b>watch</b>"
        ),
        form=lambda c, u: c.client.post(
            f"/admin/users/{u.id}/notes/",
            data={"notes": "<b>watch</b>", "version": str(u.edit_version)},
        ),
    ),
    "send invitation": Action(
        flow=lambda c, u: user_flows.send_invitation(c.actor, u),
        form=lambda c, u: c.client.post(f"/admin/users/{u.id}/invite/"),
        # One's own account has a password: an invitation is refused for that reason.
        not_on_self=True,
    ),
    "activate": Action(
        flow=_flow_users("activate"), form=_form_action("activate"), prepare=_deactivated
    ),
    "deactivate": Action(
        flow=_flow_users("deactivate"), form=_form_action("deactivate"), not_on_self=True
    ),
    "send password reset": Action(
        flow=_flow_users("send_password_reset"), form=_form_action("send_password_reset")
    ),
    "require password change": Action(
        flow=_flow_users("require_password_change"),
        form=_form_action("require_password_change"),
    ),
    "unlock": Action(flow=_flow_users("unlock"), form=_form_action("unlock")),
    "delete": Action(
        flow=_flow_users("delete", hard=True),
        form=_form_action("delete", mode="hard"),
        not_on_self=True,
    ),
    "grant a role": Action(
        flow=lambda c, u: role_flows.add_member(c.actor, c.spare_role, u),
        form=lambda c, u: c.client.post(
            f"/admin/roles/members/add/?id={c.spare_role.id}", data={"email": u.email}
        ),
    ),
    "take a role": Action(
        flow=lambda c, u: role_flows.remove_member(c.actor, _own_role(u), u),
        form=lambda c, u: c.client.post(
            f"/admin/roles/members/remove/?id={_own_role(u).id}",
            data={"user_id": str(u.id), "confirmed": "1"},
        ),
    ),
    "remove a key": Action(
        flow=lambda c, u: mfa_flows.remove_key(
            c.actor, db.session.get(WebAuthn, _key_id(u)), REASON
        ),
        form=lambda c, u: c.client.post(
            f"/admin/mfa/keys/{_key_id(u)}/remove", data={"reason": REASON}
        ),
        not_on_self=True,
    ),
    "reset the authenticator app": Action(
        flow=lambda c, u: mfa_flows.reset_totp(c.actor, u, REASON),
        form=lambda c, u: c.client.post(
            f"/admin/mfa/users/{u.id}/reset-totp", data={"reason": REASON}
        ),
        not_on_self=True,
    ),
    "reset every factor": Action(
        flow=lambda c, u: mfa_flows.reset_all(c.actor, u, REASON),
        form=lambda c, u: c.client.post(f"/admin/mfa/users/{u.id}/reset", data={"reason": REASON}),
        not_on_self=True,
    ),
    "issue a break-glass code": Action(
        flow=lambda c, u: mfa_flows.issue_break_glass(c.actor, u, REASON),
        form=lambda c, u: c.client.post(
            f"/admin/mfa/users/{u.id}/break-glass", data={"reason": REASON}
        ),
        not_on_self=True,
    ),
    "end a session": Action(
        flow=lambda c, u: session_flows.end_session(_session(u), c.actor),
        form=lambda c, u: c.client.post(
            "/admin/sessions/end", data={"key": _session(u).key, "confirmed": "1"}
        ),
    ),
    "end sessions in bulk": Action(
        flow=_flow_end_bulk,
        form=lambda c, u: c.client.post(
            "/admin/sessions/end", data={"key": [_session(u).key], "confirmed": "1"}
        ),
    ),
}


def expected_refused(action: Action, target: str) -> bool:
    return target == "superior" or (target == "self" and action.not_on_self)


def _refusals() -> tuple[type[Exception], ...]:
    from console.core.policy import PolicyError
    from console.mfa.flows import MfaError
    from console.users.flows import UserFlowError

    return (PolicyError, MfaError, UserFlowError, Refused)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_flow_applies_the_rule(backend, app, cast, name):
    action = ACTIONS[name]
    _prepare(cast.actor)
    for target in TARGETS:  # oneself last: some actions take the actor's own role away
        user = cast.targets[target]
        if action.prepare:
            action.prepare(user)
        before = snapshot(user.id)
        refused = None
        # A request context for the links the mails carry, signed in just now: freshness
        # is asserted by the flows too, and this test is not about it.
        with app.test_request_context():
            session["fs_paa"] = time.time()
            try:
                action.flow(cast, user)
            except _refusals() as error:
                db.session.rollback()
                refused = error
        after = snapshot(user.id)
        if expected_refused(action, target):
            assert refused, f"{name} on {target} was not refused"
            assert after == before, f"{name} on {target} changed {before} -> {after}"
        else:
            assert refused is None, f"{name} on {target} was refused: {refused}"
            assert after != before, f"{name} on {target} changed nothing"


@pytest.mark.parametrize("name", list(ACTIONS))
def test_form_applies_the_rule(backend, cast, client, name):
    action = ACTIONS[name]
    assert login(client, cast.actor.email, PASSWORD).status_code == 302
    _prepare(cast.actor)
    cast.client = client
    for target in TARGETS:
        user = cast.targets[target]
        if action.prepare:
            action.prepare(user)
        before = snapshot(user.id)
        response = action.form(cast, user)
        assert response.status_code < 500, f"{name} on {target}: {response.status_code}"
        after = snapshot(user.id)
        if expected_refused(action, target):
            assert after == before, f"{name} on {target} changed {before} -> {after}"
        else:
            assert after != before, f"{name} on {target} changed nothing ({response.status_code})"


def test_operator_flows_assert_a_recent_sign_in(backend, app, cast):
    from console.core.policy import PolicyError

    peer = cast.targets["peer"]
    with app.test_request_context():
        session["fs_paa"] = time.time() - 24 * 3600
        with pytest.raises(PolicyError) as refused:
            mfa_flows.reset_all(cast.actor, peer, REASON)
    assert refused.value.code == "reauth"
    assert snapshot(peer.id)["keys"] == 1


def test_refusal_names_the_account_and_what_it_lacks(backend, cast):
    from console.core.policy import PolicyError
    from console.users import flows

    superior = cast.targets["superior"]
    with pytest.raises(PolicyError) as refused:
        flows.deactivate(cast.actor, superior)
    assert refused.value.code == "outranked"
    assert "admin@example.com" in str(refused.value)
    assert "audit:read" in str(refused.value)


def test_bulk_over_mixed_targets_refuses_only_the_superior(backend, cast):
    from console.users import flows

    ids = [cast.targets[t].id for t in ("lesser", "peer", "superior")]
    result = flows.run_action(cast.actor, "require_password_change", ids)
    assert result.done == 2
    assert len(result.refused) == 1 and "admin@example.com" in result.refused[0]
    assert snapshot(cast.targets["superior"].id)["password_change_required"] is False


def test_cli_applies_the_rule_to_the_operator_it_acts_as(backend, app, cast):
    runner = app.test_cli_runner()
    superior, peer = cast.targets["superior"], cast.targets["peer"]
    refused = runner.invoke(
        args=["console", "users", "action", "deactivate", superior.email, peer.email]
        + ["--as", cast.actor.email]
    )
    assert refused.exit_code == 1
    assert "admin@example.com holds permissions you do not hold" in refused.output
    assert snapshot(superior.id)["active"] is True
    assert snapshot(peer.id)["active"] is False

    # Without --as the command acts as the host's administrator, who is not outranked.
    done = runner.invoke(args=["console", "users", "action", "deactivate", superior.email])
    assert done.exit_code == 0, done.output
    assert snapshot(superior.id)["active"] is False


def test_pages_offer_no_action_on_a_superior(backend, cast, client):
    assert login(client, cast.actor.email, PASSWORD).status_code == 302
    superior = cast.targets["superior"]
    page = client.get(f"/admin/users/{superior.id}/").get_data(as_text=True)
    assert 'data-testid="user-outranks"' in page
    for marker in (
        f"/admin/users/{superior.id}/edit/",
        'data-action="deactivate"',
        'data-action="send_password_reset"',
        f"/admin/users/{superior.id}/notes/",
        f"/admin/mfa/users/{superior.id}/reset",
        f"/admin/mfa/users/{superior.id}/break-glass",
        f"/admin/mfa/keys/{_key_id(superior)}/remove",
        _session(superior).key,
    ):
        assert marker not in page, marker
    edit = client.get(f"/admin/users/{superior.id}/edit/")
    assert edit.status_code == 302
    form = client.get(f"/admin/mfa/users/{superior.id}/reset")
    assert 'data-testid="mfa-refused"' in form.get_data(as_text=True)
    assert 'name="reason"' not in form.get_data(as_text=True)

    peer = cast.targets["peer"]
    page = client.get(f"/admin/users/{peer.id}/").get_data(as_text=True)
    assert 'data-testid="user-outranks"' not in page
    for marker in (
        f"/admin/users/{peer.id}/edit/",
        'data-action="send_password_reset"',
        f"/admin/mfa/users/{peer.id}/reset",
    ):
        assert marker in page, marker


def test_lists_offer_no_selection_of_a_superior(backend, cast, client):
    assert login(client, cast.actor.email, PASSWORD).status_code == 302
    superior, peer = cast.targets["superior"], cast.targets["peer"]
    users = client.get("/admin/users/").get_data(as_text=True)
    assert f'name="rowid" value="{peer.id}"' in users
    assert f'name="rowid" value="{superior.id}"' not in users
    sessions = client.get("/admin/sessions/").get_data(as_text=True)
    assert f'value="{_session(peer).key}"' in sessions
    assert f'value="{_session(superior).key}"' not in sessions
    mfa = client.get("/admin/mfa/?method=authenticator").get_data(as_text=True)
    assert f"/admin/mfa/users/{peer.id}/reset" in mfa
    assert f"/admin/mfa/users/{superior.id}/reset" not in mfa
    role = superior.roles[0]
    members = client.get(f"/admin/roles/details/?id={role.id}").get_data(as_text=True)
    assert f'name="user_id" value="{superior.id}"' not in members


def test_support_operator_cannot_take_over_an_administrator(backend, cast, client, outbox):
    """The reported attack: change an administrator's email to one's own, then reset it."""
    superior = cast.targets["superior"]
    assert login(client, cast.actor.email, PASSWORD).status_code == 302
    before = snapshot(superior.id)
    client.post(
        f"/admin/users/{superior.id}/edit/",
        data=_edit_data(superior, email="attacker@example.net"),
    )
    client.post(
        "/admin/users/action/",
        data={"action": "send_password_reset", "rowid": [str(superior.id)], "confirm": "yes"},
    )
    client.post(f"/admin/users/{superior.id}/edit/", data=_edit_data(superior, roles=[], active=""))
    assert snapshot(superior.id) == before
    assert snapshot(superior.id)["email"] == "admin@example.com"
    assert not [m for m in outbox() if "attacker@example.net" in (m.recipients or "")]
