"""A provider's token: it must carry scim:provision, and it is narrowed on every request to
what its owner still holds, so a permission taken from the service account is gone at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .conftest import PATCH_SCHEMA, PROVIDER_PERMISSIONS, Scim, new_user, scim_error


def _edit_role(operator: Any, role: Any, permissions: list[str]) -> None:
    from console.roles import flows

    flows.update_role(
        operator,
        role,
        name=role.name,
        description=role.description or "",
        permissions=permissions,
        require_mfa=False,
    )


def test_a_token_without_the_scim_scope_is_refused(
    app: Any, provider: Any, token_of: Callable[..., str]
) -> None:
    # The owner holds scim:provision, but this token was not given it.
    scim = Scim(app.test_client(), token_of(provider, ["users:read", "users:write"]))
    error = scim_error(scim.get("/Users"), 403)
    assert "scim:provision" in error["detail"]


def test_a_permission_taken_from_the_owner_is_gone_at_once(
    scim: Scim, provider: Any, operator: Any, member: Any
) -> None:
    role = provider.roles[0]
    assert scim.get(f"/Users/{member.id}").status_code == 200
    deactivate = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    # users:write taken away: reading still works, changing no longer does.
    _edit_role(operator, role, [p for p in PROVIDER_PERMISSIONS if p != "users:write"])
    error = scim_error(scim.patch(f"/Users/{member.id}", deactivate), 403)
    assert "users:write" in error["detail"]
    scim_error(scim.post("/Users", new_user("new@example.com")), 403)
    assert scim.get(f"/Users/{member.id}").status_code == 200
    # scim:provision taken away: the token opens nothing here any more.
    _edit_role(operator, role, ["users:read", "users:write", "roles:read", "roles:write"])
    scim_error(scim.get("/Users"), 403)
    scim_error(scim.get("/ServiceProviderConfig"), 403)
    # Given back, the same token works again: it was never changed, only narrowed.
    _edit_role(operator, role, PROVIDER_PERMISSIONS)
    assert scim.patch(f"/Users/{member.id}", deactivate).status_code == 200


def test_a_revoked_token_or_a_deactivated_owner_is_refused(
    scim: Scim, provider: Any, operator: Any
) -> None:
    from console.api import tokens
    from console.users import flows

    assert scim.get("/Users").status_code == 200
    flows.deactivate(operator, provider)
    from console.extensions import db

    db.session.commit()
    scim_error(scim.get("/Users"), 401)
    flows.activate(operator, provider)
    db.session.commit()
    assert scim.get("/Users").status_code == 200
    (token,) = tokens.tokens_of(provider)
    tokens.revoke_token(operator, token)
    scim_error(scim.get("/Users"), 401)


def test_the_cli_makes_a_service_account_and_a_working_token(app: Any, operator: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["console", "scim-token", "okta@example.com", "--name", "Okta", "--days", "90"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("sct_")
    scim = Scim(app.test_client(), secret)
    body = scim.get('/Users?filter=userName eq "okta@example.com"').get_json()
    assert body["totalResults"] == 1 and body["Resources"][0]["displayName"] == "Okta"
    from console.accounts import find_user_by_email

    robot = find_user_by_email("okta@example.com")
    assert robot.password is None
    assert sorted(robot.roles[0].get_permissions()) == sorted(PROVIDER_PERMISSIONS)
    # A second token for the same account reuses it; an unknown permission is refused.
    again = runner.invoke(args=["console", "scim-token", "okta@example.com", "--name", "Okta 2"])
    assert again.exit_code == 0, again.output
    wrong = runner.invoke(args=["console", "scim-token", "x@example.com", "--scope", "nope:x"])
    assert wrong.exit_code != 0 and "Unknown permission" in wrong.output
