"""Fixtures for the account holder's pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.account.helpers import PASSWORD
from tests.conftest import login


@pytest.fixture
def member_client(client: FlaskClient, member: Any) -> FlaskClient:
    """A test client signed in (freshly) as `member`."""
    response = login(client, member.email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
