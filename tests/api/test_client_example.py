"""examples/api_client.py offboards a user against a live server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.api.live import serving

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "api_client.py"


def test_offboarding_example(
    app: Any, operator: Any, make_user: Any, make_token: Any, client: Any
) -> None:
    from console.extensions import db
    from tests.conftest import login
    from tests.support.keys import add_stored_key

    leaver = make_user("leaver@example.com", password="leaver password 1")
    # Signed in before the key was added, so a password alone opened the session.
    assert login(client, leaver.email, "leaver password 1").status_code == 302
    add_stored_key(leaver.id, "YubiKey")
    token = make_token(operator)
    with serving(app) as base:
        result = subprocess.run(
            [sys.executable, str(EXAMPLE), leaver.email, "Left the company"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "CONSOLE_URL": base, "CONSOLE_TOKEN": token},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Ended 1 session(s)" in out and "Reset their second factors" in out
    assert "Deactivated" in out
    for action in ("session.revoked", "mfa.reset", "admin.user.deactivated"):
        assert action in out
    db.session.expire_all()
    assert db.session.get(type(leaver), leaver.id).active is False
