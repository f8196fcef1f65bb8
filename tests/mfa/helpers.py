"""Helpers for the second-factor tests: enrol an authenticator, make recovery codes, sign
in up to the second step."""

from __future__ import annotations

import html
import re
import time

import pyotp
from flask.testing import FlaskClient

from tests.account.helpers import PASSWORD, page_text
from tests.conftest import login


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


def password_step(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """The password step of a two-factor sign-in: lands on the code page."""
    response = login(client, email, password)
    assert response.status_code == 302, page_text(response)
    assert "/tf-validate" in response.headers["Location"]
