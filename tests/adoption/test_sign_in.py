"""After adoption every account signs in as before (same password, same authenticator, same
recovery codes) and the application's own routes answer each of them exactly as before."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.test import Client

from tests.mfa.browser_steps import oathtool

from .conftest import (
    ACCOUNTS,
    PREFIX,
    TOTP_EMAIL,
    Answers,
    Quickstart,
    answers,
    run,
    sign_in,
    tf_validate,
)


def _signed_in(app: Flask, email: str, quickstart: Quickstart, prefix: str = "") -> Client:
    client = app.test_client()
    response = sign_in(client, email, ACCOUNTS[email][0], prefix)
    assert response.status_code == 302, response.get_data(as_text=True)
    if email == TOTP_EMAIL:
        assert f"{prefix}/tf-validate" in response.headers["Location"]
        done = tf_validate(client, oathtool(quickstart.totp_key), prefix)
        assert done.status_code == 302, done.get_data(as_text=True)
    return client


def test_every_account_signs_in_as_before_and_the_routes_answer_the_same(
    quickstart: Quickstart, console_app: Flask
):
    before: dict[str, Answers] = {}
    for email in ACCOUNTS:
        before[email] = answers(_signed_in(quickstart.app, email, quickstart))
    anonymous = quickstart.app.test_client().get("/", headers={"Accept": "application/json"})

    assert run(console_app, "console", "adopt").exit_code == 0
    for email in ACCOUNTS:
        # The same password, checked against the hash made under the host's salt; the
        # TOTP account's second step with a code from the same secret.
        client = _signed_in(console_app, email, quickstart, PREFIX)
        assert answers(client) == before[email], email
    after = console_app.test_client().get("/", headers={"Accept": "application/json"})
    assert (after.status_code, after.get_json()) == (anonymous.status_code, anonymous.get_json())
    # What the routes allowed before, they allow now (a sample, to see the answers mean it).
    assert before["admin@me.com"]["/admin-area text/html"] == (200, "Admin area, Ada")
    assert before["user@me.com"]["/admin-area text/html"][0] == 403
    assert before["guest@me.com"]["/user-area text/html"][0] == 403
    assert '"first_name":"Uma"' in before["user@me.com"]["/me application/json"][1]


def test_the_password_form_refuses_a_wrong_password(adopted: Flask):
    client = adopted.test_client()
    response = sign_in(client, "user@me.com", "not the password", PREFIX)
    assert response.status_code == 200
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 401


def test_a_recovery_code_from_before_still_signs_in_once(quickstart: Quickstart, adopted: Flask):
    code = quickstart.recovery_codes[0]
    client = adopted.test_client()
    assert sign_in(client, TOTP_EMAIL, ACCOUNTS[TOTP_EMAIL][0], PREFIX).status_code == 302
    used = client.post(f"{PREFIX}/mf-recovery", data={"code": code})
    assert used.status_code == 302, used.get_data(as_text=True)
    assert client.get("/").get_data(as_text=True) == f"Hello {TOTP_EMAIL}"

    again = adopted.test_client()
    assert sign_in(again, TOTP_EMAIL, ACCOUNTS[TOTP_EMAIL][0], PREFIX).status_code == 302
    refused = again.post(f"{PREFIX}/mf-recovery", data={"code": code})
    assert refused.status_code == 200
    assert again.get("/", headers={"Accept": "application/json"}).status_code == 401


def test_a_totp_code_is_still_accepted_once(quickstart: Quickstart, adopted: Flask):
    code = oathtool(quickstart.totp_key)
    first = adopted.test_client()
    sign_in(first, TOTP_EMAIL, ACCOUNTS[TOTP_EMAIL][0], PREFIX)
    assert tf_validate(first, code, PREFIX).status_code == 302
    # The console's replay protection, on the host's account, from its new column.
    second = adopted.test_client()
    sign_in(second, TOTP_EMAIL, ACCOUNTS[TOTP_EMAIL][0], PREFIX)
    assert tf_validate(second, code, PREFIX).status_code == 200
    assert second.get("/", headers={"Accept": "application/json"}).status_code == 401


def _payload(client: Client) -> Any:
    return client.get("/me").get_json()


def test_the_security_payload_is_the_hosts(adopted: Flask):
    client = adopted.test_client()
    response = client.post(
        f"{PREFIX}/login",
        json={"email": "admin@me.com", "password": ACCOUNTS["admin@me.com"][0]},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    user = response.get_json()["response"]["user"]
    assert (user["first_name"], user["last_name"]) == ("Ada", "Admin")
    assert _payload(client)["email"] == "admin@me.com"
