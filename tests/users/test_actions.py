"""Actions on one user and in bulk: confirmation, effects, events and guardrails."""

from __future__ import annotations

from datetime import timedelta

from flask_security import naive_utcnow

from tests.conftest import login
from tests.support.events import actions
from tests.users.conftest import BASE


def _fresh(user_id):
    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    return db.session.get(User, user_id)


def test_first_post_only_asks_for_confirmation(signed_in_operator, make_user):
    user = make_user("confirm.me@example.com")
    page = signed_in_operator.post(
        f"{BASE}action/", data={"action": "deactivate", "rowid": user.id}
    )
    assert page.status_code == 200
    assert "confirm.me@example.com" in page.get_data(as_text=True)
    assert _fresh(user.id).active is True


def test_deactivate_and_activate_in_bulk(signed_in_operator, make_user, confirm_action, events):
    users = [make_user(f"bulk{i}@example.com") for i in range(3)]
    ids = [u.id for u in users]
    response = confirm_action(signed_in_operator, "deactivate", ids)
    assert response.status_code == 302
    assert all(not _fresh(i).active for i in ids)
    assert actions(events).count("admin.user.deactivated") == 3
    confirm_action(signed_in_operator, "activate", ids)
    assert all(_fresh(i).active for i in ids)
    assert actions(events).count("admin.user.activated") == 3


def test_bulk_runs_in_batches(app, make_user, operator, monkeypatch):
    from console.users import flows

    monkeypatch.setattr(flows, "BATCH_SIZE", 2)
    commits = []
    from console.extensions import db

    real_commit = db.session.commit
    monkeypatch.setattr(db.session, "commit", lambda: (commits.append(1), real_commit()))
    ids = [make_user(f"batch{i}@example.com").id for i in range(5)]
    commits.clear()
    result = flows.run_action(operator, "require_password_change", ids)
    assert result.done == 5 and len(commits) == 3
    again = flows.run_action(operator, "require_password_change", ids)
    assert again.done == 0 and again.unchanged == 5


def test_deactivated_user_is_signed_out_on_next_request(
    app, signed_in_operator, make_user, confirm_action
):
    user = make_user("victim@example.com", password="victim password 1")
    other = app.test_client()
    assert login(other, user.email, "victim password 1").status_code == 302
    assert other.get("/change").status_code == 200
    confirm_action(signed_in_operator, "deactivate", [user.id])
    assert other.get("/change").status_code == 302


def test_send_password_reset(signed_in_operator, make_user, confirm_action, outbox, events):
    user = make_user("forgetful@example.com")
    confirm_action(signed_in_operator, "send_password_reset", [user.id])
    messages = [m for m in outbox() if user.email in m.recipient_list()]
    assert len(messages) == 1 and "/reset/" in messages[0].body_text
    assert "admin.user.password_reset_sent" in actions(events)


def test_required_password_change_is_enforced_then_cleared(
    app, signed_in_operator, make_user, confirm_action
):
    user = make_user("rotate@example.com", password="rotate password 1")
    confirm_action(signed_in_operator, "require_password_change", [user.id])
    assert _fresh(user.id).password_change_required
    client = app.test_client()
    login(client, user.email, "rotate password 1")
    blocked = client.get("/admin/users/")
    assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/change")
    hx = client.get("/", headers={"HX-Request": "true"})
    assert hx.headers.get("HX-Redirect", "").endswith("/change")
    assert client.get("/change").status_code == 200
    new = "rotated password 22"
    done = client.post(
        "/change",
        data={"password": "rotate password 1", "new_password": new, "new_password_confirm": new},
    )
    assert done.status_code == 302
    fresh = _fresh(user.id)
    assert not fresh.password_change_required and fresh.password_changed_at is not None
    assert client.get("/").status_code in (200, 302)
    assert not client.get("/").headers.get("Location", "").endswith("/change")


def test_unlock_clears_the_lockout(signed_in_operator, make_user, confirm_action, events):
    user = make_user(
        "locked.out@example.com",
        failed_login_count=7,
        lockout_count=2,
        locked_until=naive_utcnow() + timedelta(hours=1),
    )
    confirm_action(signed_in_operator, "unlock", [user.id])
    fresh = _fresh(user.id)
    assert (fresh.failed_login_count, fresh.lockout_count, fresh.locked_until) == (0, 0, None)
    assert "admin.user.unlocked" in actions(events)


def test_delete_deactivates_by_default(signed_in_operator, make_user, confirm_action):
    user = make_user("soft@example.com")
    confirm_action(signed_in_operator, "delete", [user.id], mode="deactivate")
    fresh = _fresh(user.id)
    assert fresh is not None and not fresh.active


def test_hard_delete_needs_the_typed_email(signed_in_operator, make_user, confirm_action, events):
    user = make_user("gone@example.com")
    wrong = confirm_action(signed_in_operator, "delete", [user.id], mode="hard", typed="nope")
    assert wrong.status_code == 400
    assert _fresh(user.id) is not None and _fresh(user.id).active
    right = confirm_action(
        signed_in_operator, "delete", [user.id], mode="hard", typed="GONE@example.com"
    )
    assert right.status_code == 302
    assert _fresh(user.id) is None
    assert "admin.user.deleted" in actions(events)


def test_bulk_hard_delete_needs_the_count(signed_in_operator, make_user, confirm_action):
    ids = [make_user(f"many{i}@example.com").id for i in range(2)]
    assert (
        confirm_action(signed_in_operator, "delete", ids, mode="hard", typed="3").status_code == 400
    )
    assert (
        confirm_action(signed_in_operator, "delete", ids, mode="hard", typed="2").status_code == 302
    )
    assert all(_fresh(i) is None for i in ids)


# --- guardrails ------------------------------------------------------------------------------


def test_operator_cannot_deactivate_or_delete_themselves(
    signed_in_operator, operator, make_user, confirm_action
):
    from console.core.permissions import ADMIN_ROLE, all_permissions

    make_user("second.admin@example.com", roles=[ADMIN_ROLE], permissions=all_permissions())
    for action, extra in (
        ("deactivate", {}),
        ("delete", {"mode": "hard", "typed": operator.email}),
    ):
        page = confirm_action(signed_in_operator, action, [operator.id], **extra)
        follow = signed_in_operator.get(page.headers["Location"]).get_data(as_text=True)
        assert "cannot deactivate or delete your own account" in follow
        assert _fresh(operator.id) is not None and _fresh(operator.id).active


def _grant_extra_role(user, name, permissions):
    from console.accounts import ensure_role
    from console.extensions import db

    user.roles.append(ensure_role(name, permissions))
    db.session.commit()


def test_last_full_admin_cannot_be_deactivated_deleted_or_demoted(
    app, make_user, client, confirm_action
):
    from console.core.permissions import ADMIN_ROLE, all_permissions

    # An operator holding every permission, but through two roles rather than one full
    # role, acts on the only holder of full administration: it does not outrank them, and
    # the last-administrator guard still stands.
    admin = make_user("only.admin@example.com", roles=[ADMIN_ROLE], permissions=all_permissions())
    half = len(all_permissions()) // 2
    helper = make_user(
        "helper@example.com",
        password="helper password 1",
        roles=["Helpdesk"],
        permissions=all_permissions()[:half],
    )
    _grant_extra_role(helper, "Helpdesk 2", all_permissions()[half:])
    login(client, "helper@example.com", "helper password 1")
    for action, extra in (("deactivate", {}), ("delete", {"mode": "hard", "typed": admin.email})):
        response = confirm_action(client, action, [admin.id], **extra)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "last active holder of full administration" in page
        assert _fresh(admin.id).active


def test_last_full_admin_cannot_be_demoted_by_edit(signed_in_operator, operator):
    data = {
        "email": operator.email,
        "name": "x",
        "active": "y",
        "version": str(operator.edit_version),
    }
    response = signed_in_operator.post(f"{BASE}{operator.id}/edit/", data=data)
    assert response.status_code == 400
    assert "last active holder of full administration" in response.get_data(as_text=True)
    assert [r.name for r in _fresh(operator.id).roles] == ["Administrator"]


def test_cannot_grant_a_role_with_unheld_permissions(app, make_user, client):
    from console.accounts import ensure_role
    from console.extensions import db

    make_user(
        "writer@example.com",
        password="writer password 1",
        roles=["Writers"],
        permissions=["users:read", "users:write"],
    )
    powerful = ensure_role("Powerful", ["users:read", "audit:read"])
    db.session.commit()
    target = make_user("target@example.com")
    login(client, "writer@example.com", "writer password 1")
    created = client.post(
        f"{BASE}new/", data={"email": "n@example.com", "roles": [str(powerful.id)]}
    )
    assert created.status_code == 400
    assert "you do not hold" in created.get_data(as_text=True)
    edited = client.post(
        f"{BASE}{target.id}/edit/",
        data={"email": target.email, "active": "y", "version": "1", "roles": [str(powerful.id)]},
    )
    assert edited.status_code == 400
    assert "you do not hold" in edited.get_data(as_text=True)
    assert _fresh(target.id).roles == []


def test_hard_delete_of_a_signed_in_user_signs_them_out(
    app, signed_in_operator, make_user, confirm_action
):
    user = make_user("leaving@example.com", password="leaving password 1")
    other = app.test_client()
    assert login(other, user.email, "leaving password 1").status_code == 302
    response = confirm_action(
        signed_in_operator, "delete", [user.id], mode="hard", typed=user.email
    )
    assert response.status_code == 302
    assert _fresh(user.id) is None
    assert other.get("/change").status_code == 302
    assert signed_in_operator.get(BASE).status_code == 200
