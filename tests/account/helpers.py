"""Helpers for the account and MFA tests: enrol an authenticator, sign in with codes."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pyotp
from flask.testing import FlaskClient

from tests.conftest import MEMBER_PASSWORD, login

PASSWORD = MEMBER_PASSWORD


def page_text(response: Any) -> str:
    return response.get_data(as_text=True)


def code_for(key: str, steps: int = 0) -> str:
    """The authenticator's code `steps` time steps from now (30 s each)."""
    return pyotp.TOTP(key).at(time.time() + 30 * steps)


def start_totp_setup(client: FlaskClient) -> tuple[str, str]:
    """POST the method choice; returns (base32 key from the page, validation URL)."""
    response = client.post("/tf-setup", data={"setup": "authenticator"})
    assert response.status_code == 200, page_text(response)
    body = page_text(response)
    key = re.search(r'data-testid="totp-key">([^<]+)<', body)
    action = re.search(r'action="([^"]+)" method="post" name="two_factor_verify_code_form"', body)
    assert key and action, body
    return key.group(1).replace(" ", ""), html.unescape(action.group(1))


def enrol_totp(client: FlaskClient) -> str:
    """Set up an authenticator app for the signed-in user; returns its base32 key."""
    key, action = start_totp_setup(client)
    done = client.post(action, data={"code": code_for(key)})
    assert done.status_code == 302, page_text(done)
    return key


def generate_recovery_codes(client: FlaskClient) -> list[str]:
    """Make new recovery codes for the signed-in user; returns them as the page shows them."""
    response = client.post("/mf-recovery-codes", data={"generate_new_codes": "1"})
    assert response.status_code == 200, page_text(response)
    codes = re.findall(r"<li data-code>([0-9a-f-]+)</li>", page_text(response))
    assert len(codes) == 10, page_text(response)
    return codes


def sign_out(client: FlaskClient) -> None:
    client.post("/logout")


def password_step(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """The password step of a two-factor sign-in: lands on the code page."""
    response = login(client, email, password)
    assert response.status_code == 302, page_text(response)
    assert "/tf-validate" in response.headers["Location"]


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account/").status_code == 200


def make_stale(client: FlaskClient) -> None:
    """Pretend the sign-in happened an hour ago, past SECURITY_FRESHNESS and its grace."""
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - 3600
        session.pop("fs_gexp", None)
