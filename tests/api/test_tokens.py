"""Personal access tokens: created on the security page and shown once, stored hashed,
never more than the owner's current permissions, expiring, revoked for every worker at
once, audited."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.api.conftest import Api, problem
from tests.conftest import MEMBER_PASSWORD, login
from tests.support.events import actions


def _token_row(secret: str) -> Any:
    from console.api.models import AccessToken
    from console.extensions import db

    db.session.expire_all()
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return db.session.scalar(sa.select(AccessToken).where(AccessToken.token_hash == digest))


def test_created_on_the_security_page_shown_once_and_stored_hashed(
    app: Any, client: Any, operator: Any, events: Any
) -> None:
    assert login(client, operator.email, "operator password 1").status_code == 302
    form = client.get("/account/tokens/")
    assert form.status_code == 200 and "sct_" not in form.get_data(as_text=True)
    created = client.post(
        "/account/tokens/", data={"name": "deploy bot", "lifetime": "7", "scopes": ["users:read"]}
    )
    assert created.status_code == 200, created.get_data(as_text=True)
    assert created.headers["Cache-Control"] == "no-store"
    secret = re.search(r'value="(sct_[^"]+)"', created.get_data(as_text=True)).group(1)
    row = _token_row(secret)
    assert row is not None and row.name == "deploy bot" and row.scope_list == ["users:read"]
    assert secret not in {str(v) for v in vars(row).values()}
    # Listed (never with its secret) on the security center and the form page.
    center = client.get("/account/").get_data(as_text=True)
    assert "deploy bot" in center and secret not in center
    assert secret not in client.get("/account/tokens/").get_data(as_text=True)
    me = Api(app.test_client(), secret).get("/me").get_json()
    assert me["email"] == operator.email and me["permissions"] == ["users:read"]
    assert me["token"]["name"] == "deploy bot"
    assert "api.token.created" in actions(events)


def test_a_scope_the_owner_lacks_is_refused(make_user: Any, make_token: Any) -> None:
    from console.api.tokens import TokenError

    user = make_user(permissions=["users:read"])
    with pytest.raises(TokenError) as refused:
        make_token(user, scopes=["users:write"])
    assert refused.value.code == "scope_unheld"


def test_scopes_narrow_what_the_owner_may_do(api_as: Any, operator: Any, member: Any) -> None:
    reader = api_as(operator, ["users:read"])
    assert reader.get("/users").status_code == 200
    problem(reader.post(f"/users/{member.id}/actions/deactivate"), 403, "permission_denied")
    problem(reader.get("/audit/events"), 403, "permission_denied")


def test_a_role_taken_from_the_owner_narrows_the_token_at_once(api_as: Any, make_user: Any) -> None:
    from console.extensions import db

    owner = make_user(roles=["Helpdesk"], permissions=["users:read", "users:write"])
    api = api_as(owner)
    assert api.get("/users").status_code == 200
    owner.roles = []
    db.session.commit()
    problem(api.get("/users"), 403, "permission_denied")
    assert api.get("/me").get_json()["permissions"] == []


def test_an_expired_token_or_a_deactivated_owner_is_refused(api_as: Any, make_user: Any) -> None:
    from console.api.models import AccessToken
    from console.extensions import db

    owner = make_user(permissions=["users:read"])
    api = api_as(owner)
    assert api.get("/me").status_code == 200
    row = _token_row(api.token)
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    problem(api.get("/me"), 401, "invalid_token")
    other = api_as(owner)
    db.session.get(type(owner), owner.id).active = False
    db.session.commit()
    problem(other.get("/me"), 401, "invalid_token")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessToken)) == 2


def test_revocation_takes_effect_on_the_next_request_of_every_worker(
    app_config: dict[str, Any], api_as: Any, make_user: Any, events: Any
) -> None:
    from console import create_app

    owner = make_user(permissions=["users:read"])
    api = api_as(owner)
    second_app = create_app(app_config)
    other_worker = Api(second_app.test_client(), api.token)
    try:
        assert other_worker.get("/me").status_code == 200
        key = api.get("/me").get_json()["token"]["key"]
        assert api.delete(f"/tokens/{key}").status_code == 204
        problem(other_worker.get("/me"), 401, "invalid_token")
        problem(api.get("/me"), 401, "invalid_token")
        assert "api.token.revoked" in actions(events)
    finally:
        # Its connections are closed now, not by the garbage collector during a later test.
        from console.extensions import db

        with second_app.app_context():
            db.engine.dispose()


def test_use_from_a_new_address_is_audited(api_as: Any, member: Any, events: Any) -> None:
    api = api_as(member, [])
    api.get("/me", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    api.get("/me", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert "api.token.used_new_address" not in actions(events)
    api.get("/me", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    moved = [e for e in events if e["action"] == "api.token.used_new_address"]
    assert len(moved) == 1 and moved[0]["details"]["previous_ip"] == "192.0.2.1"


def test_operators_see_and_revoke_anyone_s_tokens_others_do_not(
    api_as: Any, operator: Any, member: Any, make_user: Any, make_token: Any
) -> None:
    member_api = api_as(member, [])
    key = member_api.get("/me").get_json()["token"]["key"]
    operator_api = api_as(operator)
    listed = operator_api.get(f"/users/{member.id}/tokens").get_json()
    assert [t["key"] for t in listed] == [key]
    # Someone without sessions:revoke may not revoke another's token.
    bystander = api_as(make_user(permissions=["users:read"]))
    problem(bystander.delete(f"/tokens/{key}"), 403, "permission_denied")
    problem(bystander.get(f"/users/{member.id}/tokens"), 403, "permission_denied")
    assert operator_api.delete(f"/tokens/{key}").status_code == 204
    problem(member_api.get("/me"), 401, "invalid_token")


def test_operator_revokes_from_the_user_page(
    client: Any, operator: Any, member: Any, make_token: Any
) -> None:
    secret = make_token(member, [])
    key = _token_row(secret).key
    assert login(client, operator.email, "operator password 1").status_code == 302
    page = client.get(f"/admin/users/{member.id}/").get_data(as_text=True)
    assert f'data-token="{key}"' in page
    done = client.post(f"/account/tokens/{key}/revoke", data={"next": f"/admin/users/{member.id}/"})
    assert done.status_code == 302
    assert _token_row(secret).revoked_at is not None


def test_the_owner_revokes_from_the_security_page(
    client: Any, member: Any, make_token: Any
) -> None:
    secret = make_token(member, [])
    key = _token_row(secret).key
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    assert client.post(f"/account/tokens/{key}/revoke").status_code == 302
    assert _token_row(secret).revoked_at is not None
