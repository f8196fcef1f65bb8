"""`flask console users import`: the dry run's counts and errors, then the job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from console.core.models import models
from console.extensions import db
from console.imports.models import ImportUpload

from .conftest import csv_bytes


def _invoke(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["console", "users", "import", *args])


def _emails() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(models().User.email)))


@pytest.fixture
def people(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_bytes("email;name", "cli-one@example.com;One", "cli-two@example.com;Two", "oops;X")
    )
    return path


def test_a_dry_run_prints_the_counts_and_errors_and_changes_nothing(app, operator, people):
    result = _invoke(app, str(people), "--as", operator.email, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "3 row(s): to create 2, to update 0, unchanged 0, with errors 1" in result.output
    assert "Row 4: oops:" in result.output and "Dry run: nothing was changed." in result.output
    assert "cli-one@example.com" not in _emails()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportUpload)) == 0


def test_an_import_runs_the_job_and_prints_its_report(app, operator, people):
    result = _invoke(app, str(people), "--as", operator.email)
    assert result.exit_code == 0, result.output
    assert "done" in result.output.lower() and "Created 2" in result.output
    assert {"cli-one@example.com", "cli-two@example.com"} <= _emails()
    again = _invoke(app, str(people), "--as", operator.email)
    assert again.exit_code == 0 and "unchanged 2" in again.output
    assert "Nothing to change." in again.output


def test_the_operator_must_exist_and_invitations_need_the_public_address(app, operator, people):
    unknown = _invoke(app, str(people), "--as", "nobody@example.com")
    assert unknown.exit_code != 0 and "No active account" in unknown.output
    no_address = _invoke(app, str(people), "--as", operator.email, "--invite")
    assert no_address.exit_code != 0 and "SERVER_NAME" in no_address.output
    assert "cli-one@example.com" not in _emails()


def test_a_bad_file_is_an_error_message(app, operator, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"name\nAnn\n")
    result = _invoke(app, str(path), "--as", operator.email)
    assert result.exit_code != 0 and "no email column" in result.output
