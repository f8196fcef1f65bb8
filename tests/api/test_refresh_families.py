"""/users/{id}/refresh-tokens: a user's live Flask-Security refresh-token families, listed and
revoked through the sessions flows, with the permissions of the sessions resource."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import problem
from tests.support.events import flat

REFRESH_ON = pytest.mark.settings(SECURITY_REFRESH_TOKEN=True)


def _family(app: Flask, user: Any, name: str, **fields: Any) -> str:
    """A refresh-token family of `user`, as Flask-Security's sign-in would store it."""
    from console.extensions import db
    from console.sessions import store

    datastore = app.extensions["security"].datastore
    with app.test_request_context():
        tracker = datastore.create_refresh_tracker(
            user, name=name, expires_at=store.now() + timedelta(days=30)
        )
        for key, value in fields.items():
            setattr(tracker, key, value)
        db.session.commit()
    return tracker.refresh_family


def _revoked(app: Flask, family: str) -> bool:
    from console.extensions import db

    db.session.expire_all()
    return app.extensions["security"].datastore.find_refresh_tracker(family).revoked_at is not None


@REFRESH_ON
def test_live_families_are_listed_and_revoked(
    app: Flask, operator_api: Any, member: Any, make_user: Any, events: Any
) -> None:
    from console.sessions import store

    family = _family(app, member, "CLI on build host")
    _family(app, member, "Gone", revoked_at=store.now() - timedelta(minutes=1))
    _family(app, member, "Old", expires_at=store.now() - timedelta(minutes=1))
    other = _family(app, make_user(), "Someone else's")
    response = operator_api.get(f"/users/{member.id}/refresh-tokens")
    assert response.status_code == 200, response.get_data(as_text=True)
    [item] = response.get_json()
    assert item["family"] == family and item["name"] == "CLI on build host"
    assert item["expires_at"].endswith("+00:00") and item["last_used_at"]
    problem(operator_api.delete(f"/users/{member.id}/refresh-tokens/{other}"), 404, "not_found")
    problem(operator_api.delete(f"/users/{member.id}/refresh-tokens/nope"), 404, "not_found")
    assert not _revoked(app, other)

    done = operator_api.delete(f"/users/{member.id}/refresh-tokens/{family}")
    assert done.status_code == 204, done.get_data(as_text=True)
    assert _revoked(app, family)
    assert operator_api.get(f"/users/{member.id}/refresh-tokens").get_json() == []
    assert ("session.revoked", "refresh_token") in [(a, d.get("kind")) for a, d in flat(events)]
    # Revoking it again changes nothing and says so no differently.
    assert operator_api.delete(f"/users/{member.id}/refresh-tokens/{family}").status_code == 204
    assert len([a for a, _ in flat(events) if a == "session.revoked"]) == 1
    problem(operator_api.get("/users/999999/refresh-tokens"), 404, "not_found")


def test_with_refresh_tokens_off_there_are_none(app: Flask, operator_api: Any, member: Any) -> None:
    family = _family(app, member, "Left from before")
    response = operator_api.get(f"/users/{member.id}/refresh-tokens")
    assert response.status_code == 200 and response.get_json() == []
    problem(operator_api.delete(f"/users/{member.id}/refresh-tokens/{family}"), 404, "not_found")
    assert not _revoked(app, family)


@REFRESH_ON
def test_the_permissions_of_the_sessions_resource(
    app: Flask, api_as: Any, make_user: Any, member: Any, events: Any
) -> None:
    family = _family(app, member, "CLI")
    nobody = api_as(make_user(permissions=["users:read"]))
    body = problem(nobody.get(f"/users/{member.id}/refresh-tokens"), 403, "permission_denied")
    # The same refusal as the sessions list of the same account.
    assert problem(nobody.get(f"/users/{member.id}/sessions"), 403, "permission_denied") == body
    reader = api_as(make_user(permissions=["users:read", "sessions:read"]))
    assert reader.get(f"/users/{member.id}/refresh-tokens").status_code == 200
    problem(reader.delete(f"/users/{member.id}/refresh-tokens/{family}"), 403, "permission_denied")
    assert not _revoked(app, family)
    assert "session.revoked" not in [e["action"] for e in events]


@REFRESH_ON
def test_a_user_who_outranks_the_caller(app: Flask, api_as: Any, make_user: Any) -> None:
    helpdesk = make_user(permissions=["users:read", "sessions:read", "sessions:revoke"])
    boss = make_user(permissions=["users:read", "sessions:read", "audit:read"])
    family = _family(app, boss, "Boss's script")
    api = api_as(helpdesk)
    body = problem(api.delete(f"/users/{boss.id}/refresh-tokens/{family}"), 403, "outranked")
    from console.core import policy

    assert body["detail"] == str(policy.refusal(helpdesk, "sessions:revoke", target=boss))
    assert not _revoked(app, family)


@REFRESH_ON
def test_a_user_revokes_their_own(app: Flask, api_as: Any, member: Any) -> None:
    family = _family(app, member, "My laptop")
    # A token with no scope still acts on its owner's own account, as /account/sessions does.
    mine = api_as(member, scopes=[])
    assert mine.delete(f"/users/{member.id}/refresh-tokens/{family}").status_code == 204
    assert _revoked(app, family)
