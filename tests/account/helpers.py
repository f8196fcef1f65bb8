"""Helpers for the account holder's pages: read a page, sign out, age a sign-in."""

from __future__ import annotations

import time
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import MEMBER_PASSWORD

PASSWORD = MEMBER_PASSWORD


def page_text(response: Any) -> str:
    return response.get_data(as_text=True)


def sign_out(client: FlaskClient) -> None:
    client.post("/logout")


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/account/").status_code == 200


def make_stale(client: FlaskClient) -> None:
    """Pretend the sign-in happened an hour ago, past SECURITY_FRESHNESS and its grace."""
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - 3600
        session.pop("fs_gexp", None)
