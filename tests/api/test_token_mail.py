"""The mails personal access tokens send their owner (console.api.tokens, through
console.account.notify.send_notice): one on creation, one when someone else revokes a token;
a use from a new address and the owner's own revocation are audited, not mailed."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import MEMBER_PASSWORD, login
from tests.support.events import actions


def _mails_to(outbox: Any, email: str) -> list[Any]:
    return [m for m in outbox() if email in m.recipient_list()]


def _key(secret: str) -> str:
    return secret.split("_")[1]


def test_creating_a_token_on_the_security_page_mails_its_owner(
    client: Any, member: Any, outbox: Any
) -> None:
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    before = len(_mails_to(outbox, member.email))
    created = client.post("/account/tokens/", data={"name": "backup script", "lifetime": "7"})
    assert created.status_code == 200, created.get_data(as_text=True)
    assert re.search(r'value="sct_[^"]+"', created.get_data(as_text=True))
    mails = _mails_to(outbox, member.email)[before:]
    assert len(mails) == 1
    (mail,) = mails
    assert "“backup script” was created for your account" in mail.body_text
    assert "http://localhost/account/" in mail.body_text  # the security center
    # The secret itself never travels by mail.
    assert "sct_" not in mail.body_text and "sct_" not in (mail.body_html or "")


def test_a_refused_creation_mails_nothing(client: Any, member: Any, outbox: Any) -> None:
    login(client, member.email, MEMBER_PASSWORD)
    before = len(_mails_to(outbox, member.email))
    refused = client.post(
        "/account/tokens/", data={"name": "sneaky", "lifetime": "7", "scopes": ["users:write"]}
    )
    assert refused.status_code == 400
    assert len(_mails_to(outbox, member.email)) == before


def test_a_use_from_a_new_address_is_audited_not_mailed(
    api_as: Any, member: Any, outbox: Any, events: Any
) -> None:
    """Automation moves between addresses (CI runners, NAT pools): a mail per move would
    bury the notices that matter; the trail keeps every move."""
    api = api_as(member, [])
    api.get("/me", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    after_first_use = len(_mails_to(outbox, member.email))
    api.get("/me", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert actions(events).count("api.token.used_new_address") == 1
    assert len(_mails_to(outbox, member.email)) == after_first_use


def test_an_operator_s_revocation_mails_the_owner(
    api_as: Any, operator: Any, member: Any, make_token: Any, outbox: Any
) -> None:
    secret = make_token(member, [], name="deploy bot")
    before = len(_mails_to(outbox, member.email))
    operator_api = api_as(operator)
    assert operator_api.delete(f"/tokens/{_key(secret)}").status_code == 204
    mails = _mails_to(outbox, member.email)[before:]
    assert len(mails) == 1
    assert "“deploy bot” of your account was revoked" in mails[0].body_text
    # Revoking it again changes nothing and mails nobody.
    operator_api.delete(f"/tokens/{_key(secret)}")
    assert len(_mails_to(outbox, member.email)) == before + 1
    # The operator is not told about their own action on someone else's token.
    assert not any("deploy bot" in m.body_text for m in _mails_to(outbox, operator.email))


def test_an_operator_s_revocation_from_the_user_page_mails_the_owner(
    client: Any, operator: Any, member: Any, make_token: Any, outbox: Any
) -> None:
    secret = make_token(member, [], name="laptop sync")
    before = len(_mails_to(outbox, member.email))
    login(client, operator.email, "operator password 1")
    done = client.post(
        f"/account/tokens/{_key(secret)}/revoke", data={"next": f"/admin/users/{member.id}/"}
    )
    assert done.status_code == 302
    (mail,) = _mails_to(outbox, member.email)[before:]
    assert "“laptop sync” of your account was revoked" in mail.body_text


def test_the_owner_s_own_revocation_mails_nothing(
    client: Any, member: Any, make_token: Any, outbox: Any, events: Any
) -> None:
    secret = make_token(member, [], name="old key")
    before = len(_mails_to(outbox, member.email))
    login(client, member.email, MEMBER_PASSWORD)
    assert client.post(f"/account/tokens/{_key(secret)}/revoke").status_code == 302
    assert "api.token.revoked" in actions(events)
    assert len(_mails_to(outbox, member.email)) == before
