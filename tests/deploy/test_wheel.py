"""The built wheel carries templates, static files, translations and migrations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

# Run inside the fresh environment, from a directory outside the repository.
PROBE = textwrap.dedent(
    """
    import json, console
    from app import app
    client = app.test_client()
    page = client.get("/login")
    css = client.get("/static/console/console.css")
    css.close()
    print(json.dumps({
        "console": console.__file__,
        "templates": str(console.resource_dir("templates")),
        "status": page.status_code,
        "css": css.status_code,
        "has_form": 'name="password"' in page.get_data(as_text=True),
    }))
    """
)


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, once for the module."""
    out = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)], cwd=REPO
    )
    [wheel] = out.glob("security_console-*.whl")
    return wheel


def test_the_wheel_holds_every_resource(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "console/__init__.py",
        "console/templates/console/base.html",
        "console/templates/security/base.html",
        "console/static/console/console.js",
        "console/static/vendor/htmx-2.0.11/htmx.min.js",
        "console/migrations/env.py",
        "console/migrations/alembic.ini",
        "console/migrations/versions/c31fcff8689d_accounts_roles_passkeys_refresh_tokens_.py",
    }
    assert expected <= names
    for source in (REPO / "translations").rglob("*"):
        if source.is_file() and source.suffix in (".pot", ".po", ".mo"):
            assert f"console/translations/{source.relative_to(REPO / 'translations')}" in names
    assert not any(name.startswith(("tests/", "console/tests/")) for name in names)
    assert not any("__pycache__" in name for name in names)


def test_an_app_outside_the_repository_serves_pages_from_the_installed_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)])
    # The dependencies come from this environment's site-packages (appended after the new
    # environment's own, so the console itself can only come from the wheel).
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
        ).stdout.strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    project = tmp_path / "elsewhere"
    project.mkdir()
    (project / "app.py").write_text("from console import create_app\n\napp = create_app()\n")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "FLASK_APP")
    }
    env["DATABASE_URL"] = f"sqlite:///{project / 'site.db'}"
    _run(
        [str(python), "-m", "flask", "--app", "app", "db", "upgrade", "heads"], cwd=project, env=env
    )
    probe = _run([str(python), "-c", PROBE], cwd=project, env=env)
    found = json.loads(probe.stdout.strip().splitlines()[-1])

    assert Path(found["console"]).is_relative_to(venv)
    assert Path(found["templates"]).is_relative_to(venv)
    assert found["status"] == 200 and found["has_form"]
    assert found["css"] == 200
