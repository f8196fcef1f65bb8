"""Passkey sign-in, second-factor use and re-authentication; foreign keys are refused."""

from __future__ import annotations

from tests.conftest import login
from tests.mfa.conftest import register_key, signin_options
from tests.mfa.softkey import SoftKey


def _signed_in_as(client) -> str | None:
    response = client.get("/account/passkeys")
    if response.status_code != 200:
        return None
    body = response.get_data(as_text=True)
    marker = 'data-testid="signed-in-as">'
    return body.split(marker, 1)[1].split("<", 1)[0] if marker in body else None


def _enrol(app, make_user, email: str, usage: str) -> SoftKey:
    make_user(email, password="enrol password 1")
    client = app.test_client()
    login(client, email, "enrol password 1")
    key = SoftKey()
    assert register_key(client, key, name=f"{usage} key", usage=usage).status_code == 200
    return key


def test_passwordless_sign_in_with_a_passkey(app, make_user):
    key = _enrol(app, make_user, "ada@example.com", "first")
    client = app.test_client()
    options, state = signin_options(client)
    response = client.post(f"/wan-signin/{state}", json={"credential": key.assert_(options)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _signed_in_as(client) == "ada@example.com"


def test_security_key_as_second_factor(app, make_user):
    key = _enrol(app, make_user, "bob@example.com", "secondary")
    client = app.test_client()
    first = login(client, "bob@example.com", "enrol password 1")
    assert first.status_code == 302 and "/wan-signin" in first.headers["Location"]
    assert _signed_in_as(client) is None
    options, state = signin_options(client)
    response = client.post(f"/wan-signin/{state}", json={"credential": key.assert_(options)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _signed_in_as(client) == "bob@example.com"


def test_second_step_with_another_users_key_is_refused(app, make_user):
    _enrol(app, make_user, "alice@example.com", "secondary")
    mallory_key = _enrol(app, make_user, "mallory@example.com", "secondary")
    client = app.test_client()
    # Alice's password is known, her key is not: Mallory's key must not finish the sign-in.
    login(client, "alice@example.com", "enrol password 1")
    options, state = signin_options(client)
    response = client.post(
        f"/wan-signin/{state}", json={"credential": mallory_key.assert_(options)}
    )
    assert response.status_code == 400
    assert "user handle" in str(response.get_json()["response"]["errors"])
    assert _signed_in_as(client) is None


def test_passkey_with_a_forged_user_handle_is_refused(app, make_user):
    from console.accounts import find_user_by_email

    _enrol(app, make_user, "victim@example.com", "first")
    attacker_key = _enrol(app, make_user, "attacker@example.com", "first")
    victim = find_user_by_email("victim@example.com")
    client = app.test_client()
    options, state = signin_options(client)
    forged = attacker_key.assert_(options, user_handle=victim.fs_webauthn_user_handle.encode())
    response = client.post(f"/wan-signin/{state}", json={"credential": forged})
    assert response.status_code == 400
    assert _signed_in_as(client) is None


def test_re_authentication_with_another_users_key_is_refused(app, make_user):
    _enrol(app, make_user, "carol@example.com", "first")
    other_key = _enrol(app, make_user, "dave@example.com", "first")
    client = app.test_client()
    login(client, "carol@example.com", "enrol password 1")
    with client.session_transaction() as session:
        session["fs_paa"] = 1.0
    options, state = signin_options(client, "/wan-verify")
    response = client.post(f"/wan-verify/{state}", json={"credential": other_key.assert_(options)})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert session["fs_paa"] == 1.0


def test_a_key_registered_for_the_second_step_cannot_sign_in_alone(app, make_user):
    key = _enrol(app, make_user, "erin@example.com", "secondary")
    client = app.test_client()
    options, state = signin_options(client)
    response = client.post(f"/wan-signin/{state}", json={"credential": key.assert_(options)})
    assert response.status_code == 400
    assert _signed_in_as(client) is None
