"""Linked sign-in providers and personal-data copies over the API and the CLI: the same flows
as the user page, so the same rules (permission, who may act on whom, not on oneself, a
reason) and the same audit events and mail."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import problem
from tests.conftest import MEMBER_PASSWORD, login
from tests.support.events import actions, flat


def _link(user: Any, provider: str = "corp", subject: str | None = None) -> Any:
    """A live link of `user` to a provider account, as a first provider sign-in leaves it."""
    from flask_security import naive_utcnow

    from console.extensions import db
    from console.identity.models import LinkedIdentity

    row = LinkedIdentity(
        user_id=user.id,
        provider=provider,
        subject=subject or f"sub-{uuid.uuid4().hex[:12]}",
        email=user.email,
        created_at=naive_utcnow(),
    )
    db.session.add(row)
    db.session.commit()
    return row


def _is_live(identity_id: int) -> bool:
    from console.extensions import db
    from console.identity.models import LinkedIdentity

    db.session.expire_all()
    row = db.session.get(LinkedIdentity, identity_id)
    return row is not None and row.unlinked_at is None


# ---------------------------------------------------------------- linked identities


def test_an_operator_lists_and_removes_a_link_with_a_reason(
    operator_api: Any, member: Any, events: Any, outbox: Any
) -> None:
    kept, lost = _link(member, "corp"), _link(member, "github")
    listed = operator_api.get(f"/users/{member.id}/identities")
    assert listed.status_code == 200
    by_provider = {item["provider"]: item for item in listed.get_json()}
    assert set(by_provider) == {"corp", "github"}
    assert by_provider["github"]["subject"] == lost.subject
    assert by_provider["github"]["email"] == member.email
    assert by_provider["github"]["linked_at"].endswith("+00:00")
    # No provider is configured in this app: the link is still listed, and removable.
    assert by_provider["github"]["configured"] is False

    response = operator_api.post(
        f"/users/{member.id}/identities/{lost.id}/remove", json={"reason": "Lost phone"}
    )
    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()] == [kept.id]
    assert not _is_live(lost.id) and _is_live(kept.id)
    removed = dict(flat(events))["identity.removed"]
    assert removed["reason"] == "Lost phone" and removed["provider"] == "github"
    assert [m for m in outbox() if "Lost phone" in m.body_text and member.email in m.recipients]


def test_removing_a_link_refuses_as_the_page_does(
    api_as: Any, operator_api: Any, operator: Any, helpdesk: Any, member: Any, make_user: Any
) -> None:
    link = _link(member)
    path = f"/users/{member.id}/identities/{link.id}/remove"
    body = problem(operator_api.post(path, json={"reason": "  "}), 422, "reason_required")
    assert "reason" in body["detail"]
    problem(operator_api.post(path, json={}), 422, "invalid_request")
    problem(operator_api.post(path, json={"reason": "x" * 2001}), 422, "invalid_request")

    reader = make_user(permissions=["users:read"])
    problem(api_as(reader).post(path, json={"reason": "r"}), 403, "permission_denied")
    own = _link(operator)
    problem(
        operator_api.post(f"/users/{operator.id}/identities/{own.id}/remove", json={"reason": "r"}),
        403,
        "not_on_self",
    )
    boss_link = _link(operator)
    problem(
        api_as(helpdesk).post(
            f"/users/{operator.id}/identities/{boss_link.id}/remove", json={"reason": "r"}
        ),
        403,
        "outranked",
    )
    # Another account's link, through this account's path, names nothing.
    problem(
        operator_api.post(
            f"/users/{member.id}/identities/{boss_link.id}/remove", json={"reason": "r"}
        ),
        404,
        "not_found",
    )
    problem(operator_api.get("/users/999999/identities"), 404, "not_found")
    assert _is_live(link.id) and _is_live(own.id) and _is_live(boss_link.id)


def test_reading_links_needs_users_read(api_as: Any, make_user: Any, member: Any) -> None:
    _link(member)
    auditor = make_user(permissions=["audit:read"])
    problem(api_as(auditor).get(f"/users/{member.id}/identities"), 403, "permission_denied")


# ---------------------------------------------------------------- personal data


def test_an_operator_downloads_an_accounts_personal_data(
    operator_api: Any, operator: Any, member: Any, events: Any
) -> None:
    from console.extensions import db

    member.name = "<b>Ann</b> & co"
    db.session.commit()
    _link(member)
    response = operator_api.get(f"/users/{member.id}/personal-data")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="personal-data-{member.id}-')
    text = response.get_data(as_text=True)
    # Escaped as every JSON answer of the API, and still the same JSON.
    assert "<b>" not in text and "\\u003cb\\u003e" in text
    data = json.loads(text)
    assert data["prepared_for"] == "operator" and data["omitted_sections"] == []
    assert data["sections"]["profile"]["name"] == "<b>Ann</b> & co"
    assert data["sections"]["linked_identities"][0]["provider"] == "corp"
    [details] = [d for a, d in flat(events) if a == "admin.user.data_exported"]
    assert details["actor"].id == operator.id and details["subject"].id == member.id


def test_personal_data_leaves_out_what_the_caller_may_not_read(
    api_as: Any, helpdesk: Any, make_user: Any, member: Any, operator: Any, events: Any
) -> None:
    data = json.loads(api_as(helpdesk).get(f"/users/{member.id}/personal-data").data)
    assert "sessions" in data["omitted_sections"] and "sessions" not in data["sections"]
    assert "profile" in data["sections"]

    auditor = make_user(permissions=["audit:read"])
    problem(api_as(auditor).get(f"/users/{member.id}/personal-data"), 403, "permission_denied")
    problem(api_as(helpdesk).get(f"/users/{operator.id}/personal-data"), 403, "outranked")
    assert actions(events).count("admin.user.data_exported") == 1


def test_a_real_server_streams_the_whole_file(
    app: Flask, make_token: Any, operator: Any, member: Any
) -> None:
    """Over HTTP the file is sent after the request's session ended (the test client keeps
    it): the streamed audit events must not need the account's row any more. Both the API
    and the user page's download."""
    import requests

    from tests.api.live import serving

    login(app.test_client(), member.email, MEMBER_PASSWORD)
    token = make_token(operator)
    with serving(app) as base:
        api = requests.get(
            f"{base}/api/v1/users/{member.id}/personal-data",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        browser = requests.Session()
        signed_in = browser.post(
            f"{base}/login",
            data={"email": operator.email, "password": "operator password 1"},
            allow_redirects=False,
            timeout=60,
        )
        assert signed_in.status_code == 302
        page = browser.post(f"{base}/admin/users/{member.id}/personal-data", timeout=60)
    for response in (api, page):
        assert response.status_code == 200
        trail = response.json()["sections"]["audit_events"]
        assert [e["action"] for e in trail][:1] == ["admin.user.data_exported"]
        assert "user.login" in [e["action"] for e in trail]


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def users_cli(app: Flask) -> Any:
    def run(*args: str) -> Any:
        return app.test_cli_runner().invoke(args=["console", "users", *args])

    return run


def test_the_cli_writes_an_accounts_personal_data(
    users_cli: Any, member: Any, helpdesk: Any, events: Any, tmp_path: Any
) -> None:
    target = tmp_path / "copy.json"
    done = users_cli("export-data", member.email, "--output", str(target))
    assert done.exit_code == 0, done.output
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["account_id"] == member.id and data["omitted_sections"] == []
    assert "admin.user.data_exported" in actions(events)

    as_helpdesk = users_cli("export-data", member.email, "--as", helpdesk.email)
    assert as_helpdesk.exit_code == 0
    assert "Left out" in as_helpdesk.stderr and "sessions" in as_helpdesk.stderr
    assert json.loads(as_helpdesk.stdout)["prepared_for"] == "operator"

    missing = users_cli("export-data", "nobody@example.com")
    assert missing.exit_code == 1 and "No account has" in missing.output


def test_the_cli_removes_a_link_as_the_page_does(
    users_cli: Any, member: Any, operator: Any, helpdesk: Any, events: Any
) -> None:
    first, second = _link(member, "corp"), _link(member, "corp")
    several = users_cli("remove-identity", member.email, "corp", "--reason", "Lost")
    assert several.exit_code == 1 and "--subject" in several.output
    refused = users_cli(
        "remove-identity", member.email, "corp", "--subject", first.subject, "--reason", " "
    )
    assert refused.exit_code == 1 and "Give a reason" in refused.output
    boss = _link(operator, "corp")
    outranked = users_cli(
        "remove-identity", operator.email, "corp", "--reason", "Lost", "--as", helpdesk.email
    )
    assert outranked.exit_code == 1 and _is_live(boss.id)
    assert _is_live(first.id) and _is_live(second.id)

    done = users_cli(
        "remove-identity", member.email, "corp", "--subject", first.subject, "--reason", "Lost"
    )
    assert done.exit_code == 0, done.output
    assert not _is_live(first.id) and _is_live(second.id)
    assert actions(events).count("identity.removed") == 1
    unknown = users_cli("remove-identity", member.email, "github", "--reason", "Lost")
    assert unknown.exit_code == 1 and "no linked github account" in unknown.output
