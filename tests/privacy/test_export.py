"""The personal-data export: what the account holder downloads, what an operator downloads
for them, and the rules around it (recent sign-in, permissions, who may act on whom)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import HELPDESK_PASSWORD, login
from tests.privacy.conftest import make_stale, read_export
from tests.support.events import actions, flat
from tests.support.keys import add_stored_key

# The console's own sections, in their order; features add theirs (linked identities...).
SECTIONS = [
    "profile",
    "roles",
    "second_factors",
    "sessions",
    "known_devices",
    "api_tokens",
    "refresh_tokens",
    "provisioning",
    "audit_events",
]


def _registered() -> list[Any]:
    from console.core.personal_data import registered

    return registered()


def _keys() -> list[str]:
    """Every registered section, the console's own among them in their order."""
    keys = [entry.key for entry in _registered()]
    assert [key for key in keys if key in SECTIONS] == SECTIONS
    return keys


def _with_factors(app: Flask, user: Any) -> str:
    """An authenticator app and a named security key on `user`; returns the app's secret."""
    from flask_security.proxies import _security

    from console.extensions import db

    secret = _security._totp_factory.generate_totp_secret()
    user.tf_primary_method = "authenticator"
    user.tf_totp_secret = secret
    add_stored_key(user.id, "Blue key")
    db.session.commit()
    return secret


def test_the_holder_downloads_every_section_without_a_secret(
    app: Flask,
    member: Any,
    member_client: Any,
    token_for: Any,
    operator: Any,
    outbox: Any,
    events: Any,
) -> None:
    from console.extensions import db
    from console.users import flows as user_flows

    totp_secret = _with_factors(app, member)
    token = token_for(member)
    user_flows.update_notes(operator, member, version=member.edit_version, html="<p>VIP</p>")
    page = member_client.get("/account/data")
    assert page.status_code == 200
    assert 'data-key="audit_events"' in page.get_data(as_text=True)

    data = read_export(member_client.post("/account/data"))

    assert data["format"] == "security-console/personal-data/1"
    assert data["account_id"] == member.id and data["prepared_for"] == "account_holder"
    assert data["omitted_sections"] == [] and list(data["sections"]) == _keys()
    sections = data["sections"]
    profile = sections["profile"]
    assert profile["email"] == "member@example.com" and profile["name"] == "Mia Member"
    assert profile["password_set"] is True and profile["operator_notes"] == "<p>VIP</p>"
    assert profile["created_at"].endswith("Z")
    factors = sections["second_factors"]
    assert "authenticator" in [f["kind"] for f in factors["set_up"]]
    [key] = factors["keys"]
    assert key["name"] == "Blue key" and key["kind"] == "security_key"
    [session] = sections["sessions"]
    assert session["signed_in_with"] == "password" and session["ended_at"] is None
    [api_token] = sections["api_tokens"]
    assert api_token["name"] == "Build script" and api_token["revoked_at"] is None

    trail = sections["audit_events"]
    ids = [event["id"] for event in trail]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    by_action = {event["action"]: event for event in trail}
    assert {"user.login", "api.token.created", "admin.user.notes_updated"} <= set(by_action)
    # Another account's doing is said, never whose: no address, no browser.
    notes = by_action["admin.user.notes_updated"]
    assert notes["acted_by"] == "other" and "ip" not in notes
    assert by_action["user.login"]["acted_by"] == "self" and "ip" in by_action["user.login"]

    text = member_client.post("/account/data").get_data(as_text=True)
    db.session.refresh(member)
    for secret in (totp_secret, token, member.password, member.fs_uniquifier, operator.email):
        assert secret not in text

    assert actions(events).count("account.data.exported") == 2
    assert [m.subject for m in outbox()].count("A copy of your data was downloaded") == 2


def test_an_event_the_holder_caused_on_another_account_names_no_details(
    app: Flask, operator: Any, signed_in_operator: Any, member: Any
) -> None:
    from console.privacy import flows
    from console.users import flows as user_flows

    user_flows.update_notes(operator, member, version=member.edit_version, html="<p>Secret</p>")
    data = read_export(signed_in_operator.post("/account/data"))
    [event] = [
        e for e in data["sections"]["audit_events"] if e["action"] == "admin.user.notes_updated"
    ]
    assert event == {**event, "acted_by": "self", "about": "other"} and "details" not in event
    assert flows.export_own  # the same flow serves the holder of any account


def test_downloading_needs_a_recent_sign_in(member: Any, member_client: Any, events: Any) -> None:
    make_stale(member_client)
    page = member_client.get("/account/data")
    assert page.status_code == 302 and "/verify" in page.headers["Location"]
    download = member_client.post("/account/data")
    assert download.status_code == 302 and "/verify" in download.headers["Location"]
    assert "account.data.exported" not in actions(events)


def test_the_flow_refuses_a_stale_session_itself(app: Flask, member: Any) -> None:
    from console.core.policy import PolicyError
    from console.privacy import flows

    with app.test_request_context(), pytest.raises(PolicyError) as refused:
        flows.export_own(member)
    assert refused.value.code == "reauth"


def test_an_operator_downloads_the_same_file_for_an_account(
    app: Flask, signed_in_operator: Any, operator: Any, member: Any, events: Any, outbox: Any
) -> None:
    login(app.test_client(), member.email, "correct horse battery")
    response = signed_in_operator.post(f"/admin/users/{member.id}/personal-data")
    data = read_export(response)
    assert data["prepared_for"] == "operator" and data["omitted_sections"] == []
    assert list(data["sections"]) == _keys()
    assert data["sections"]["profile"]["email"] == member.email
    # Streamed after the export's own event committed, which is the newest.
    trail = data["sections"]["audit_events"]
    assert [e["action"] for e in trail][:2] == ["admin.user.data_exported", "user.login"]
    assert trail[0]["acted_by"] == "other" and "ip" not in trail[0]
    [(action, details)] = [(a, d) for a, d in flat(events) if a == "admin.user.data_exported"]
    assert details["actor"].id == operator.id and details["subject"].id == member.id
    assert details["sections"] == _keys() and details["omitted"] == []
    # Nobody is mailed about an operator's copy.
    assert not [m for m in outbox() if "downloaded" in m.subject]

    page = signed_in_operator.get(f"/admin/users/{member.id}/").get_data(as_text=True)
    assert 'data-action="export-personal-data"' in page


def test_an_operator_gets_only_the_sections_their_permissions_show(
    app: Flask, helpdesk: Any, member: Any, client: Any
) -> None:
    assert login(client, helpdesk.email, HELPDESK_PASSWORD).status_code == 302
    data = read_export(client.post(f"/admin/users/{member.id}/personal-data"))
    held = {"users:read", "users:write"}
    omitted = [e.key for e in _registered() if e.permission and e.permission not in held]
    assert data["omitted_sections"] == omitted
    assert {"sessions", "known_devices", "api_tokens", "refresh_tokens", "audit_events"} <= set(
        omitted
    )
    assert list(data["sections"]) == [key for key in _keys() if key not in omitted]
    page = client.get(f"/admin/users/{member.id}/").get_data(as_text=True)
    assert 'data-testid="privacy-omitted"' in page


def test_an_operator_without_users_read_or_outranked_gets_nothing(
    app: Flask, make_user: Any, operator: Any, client: Any, events: Any
) -> None:
    from console.core.policy import PolicyError
    from console.privacy import flows

    auditor = make_user(
        "auditor@example.com", password="auditor password 1", permissions=["audit:read"]
    )
    assert login(client, auditor.email, "auditor password 1").status_code == 302
    assert client.post(f"/admin/users/{operator.id}/personal-data").status_code == 403

    helpdesk = make_user("desk@example.com", permissions=["users:read"])
    with pytest.raises(PolicyError) as refused:
        flows.export_for(helpdesk, operator)
    assert refused.value.code == "outranked"
    assert "admin.user.data_exported" not in actions(events)
    assert client.post("/admin/users/999999/personal-data").status_code == 403


def test_a_section_registered_later_is_exported_and_erased(app: Flask, member: Any) -> None:
    from console.core.personal_data import register_personal_data
    from console.privacy import flows

    erased: list[int] = []
    register_personal_data(
        app,
        "host_invoices",
        lambda user: iter([{"number": f"INV-{user.id}"}]),
        label="Invoices",
        erase=lambda user: erased.append(user.id),
        permission="users:read",
        order=95,
    )
    with app.test_request_context():
        result = flows.export_for(None, member)
        text = "".join(result.chunks)
    assert '"host_invoices": [' in text and f"INV-{member.id}" in text
    assert result.sections.index("host_invoices") > result.sections.index("audit_events")
    with app.test_request_context():
        flows.erase_account(member, actor=None, requested_at=member.create_datetime)
    assert erased == [member.id]


def test_the_file_is_one_json_document_whatever_the_sections_hold() -> None:
    import json

    from console.privacy.export import document

    header = {"account_id": 7}
    text = "".join(
        document(header, [("empty", iter(())), ("one", iter([{"a": "<b>"}])), ("plain", None)])
    )
    assert json.loads(text) == {
        "format": "security-console/personal-data/1",
        "account_id": 7,
        "sections": {"empty": [], "one": [{"a": "<b>"}], "plain": None},
    }
    assert json.loads("".join(document({}, []))) == {
        "format": "security-console/personal-data/1",
        "sections": {},
    }
