"""The example host application runs with the README's commands, outside the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")

PROBE = textwrap.dedent(
    """
    import json
    from console.accounts import create_operator
    from console.extensions import db
    from examples.host_app.app import create_app
    from examples.host_app.models import Report

    # The form posts below carry no CSRF token; everything else is the example's own set-up.
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        create_operator("boss@example.com", "boss password 123")
        db.session.add(Report(title="Quarterly numbers"))
        db.session.commit()
    client = app.test_client()
    seen = {"home": client.get("/").status_code}
    anonymous = client.get("/reports")
    seen["anonymous"] = [anonymous.status_code, anonymous.headers.get("Location")]
    signed_in = client.post(
        "/console/login", data={"email": "boss@example.com", "password": "boss password 123"}
    )
    seen["sign_in"] = signed_in.status_code
    seen["reports"] = client.get("/reports").get_data(as_text=True)
    seen["directory"] = client.get("/directory").get_data(as_text=True)
    seen["console"] = client.get("/console/admin/outbox/").status_code
    print(json.dumps(seen))
    """
)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_example_host_migrates_and_serves_its_pages_and_the_console(tmp_path):
    """`flask db upgrade heads` builds both histories; the pages work as the README says."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["PYTHONPATH"] = str(REPO)
    app = ["--app", "examples.host_app.app"]
    _run([str(FLASK), *app, "db", "upgrade", "heads"], tmp_path, env)
    assert (tmp_path / "instance" / "host_app.db").is_file()
    seen = json.loads(_run([sys.executable, "-c", PROBE], tmp_path, env).splitlines()[-1])

    assert seen["home"] == 200
    assert seen["anonymous"][0] == 302
    assert seen["anonymous"][1].startswith("/console/login?next=")
    assert seen["sign_in"] == 302
    assert "Signed in as boss@example.com" in seen["reports"]
    assert "Quarterly numbers" in seen["reports"]  # the host's own table, migrated
    assert "Active accounts: 1" in seen["directory"]
    assert seen["console"] == 200
