"""A file longer than CONSOLE_IMPORT_PREVIEW_INLINE_ROWS is dry-run by a job, not within the
upload's request: its preview shows the check's progress, then the same counts, errors and
Apply as a short file's; Cancel while it checks stops it and applies nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from console.core.models import models
from console.extensions import db
from console.imports import flows
from console.imports.models import ImportUpload
from console.jobs import flows as jobs_flows
from console.jobs import runner
from console.jobs.models import Job, JobReportLine

from .conftest import IMPORT, csv_bytes

# Two to create, one unchanged, three with errors (an address, a duplicate, a role).
FILE = csv_bytes(
    "email,name,roles",
    "one@example.com,One,",
    "kept@example.com,,",
    "nope,Nope,",
    "one@example.com,Again,",
    "two@example.com,Two,No Such Role",
    "three@example.com,Three,",
)
COUNTS = {"created": 2, "updated": 0, "unchanged": 1, "invalid": 3, "refused": 0}
ERRORS = [("4", "email_invalid"), ("5", "duplicate"), ("6", "role_unknown")]


def _post_file(client: Any, data: bytes = FILE) -> Any:
    form = {"file": (io.BytesIO(data), "people.csv")}
    return client.post(IMPORT, data=form, content_type="multipart/form-data")


def _upload_id(location: str) -> int:
    return int(location.rstrip("/").rsplit("/", 1)[1])


def _shown(html: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """The counts and the error rows (row number, code) a preview page shows."""
    counts = {key: int(num) for key, num in re.findall(r'data-count="(\w+)">(\d+)<', html)}
    rows = re.findall(r'<tr data-code="(\w+)"><td>(\d+)</td>', html)
    return counts, [(row, code) for code, row in rows]


def _checks() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Job).where(Job.kind == flows.CHECK_KIND)))


def _emails() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(models().User.email)))


def _apply_button(html: str) -> str:
    return html.split('data-testid="import-apply"')[1].split(">")[0]


@pytest.fixture
def kept(make_user: Any) -> Any:
    return make_user("kept@example.com", password=None, name="Kept")


@pytest.mark.settings(CONSOLE_IMPORT_PREVIEW_INLINE_ROWS=3, CONSOLE_JOBS_BATCH_SIZE=2)
def test_a_long_file_is_checked_by_a_job_and_previewed_as_a_short_one(
    app, signed_in_operator, kept, monkeypatch
):
    monkeypatch.setitem(app.config, "CONSOLE_IMPORT_PREVIEW_INLINE_ROWS", 100)
    inline = _post_file(signed_in_operator)
    inline_html = signed_in_operator.get(inline.headers["Location"]).get_data(as_text=True)
    assert _shown(inline_html) == (COUNTS, ERRORS) and _checks() == []
    signed_in_operator.post(f"{IMPORT}{_upload_id(inline.headers['Location'])}/cancel/")

    monkeypatch.setitem(app.config, "CONSOLE_IMPORT_PREVIEW_INLINE_ROWS", 3)
    response = _post_file(signed_in_operator)
    assert response.status_code == 302
    [check] = _checks()
    # Three batches of two rows, and one that finds the end.
    assert check.state == "done" and check.processed == check.total == 6
    assert check.outcomes == {"created": 2, "unchanged": 1, "invalid": 3}
    report = db.session.scalars(
        sa.select(JobReportLine.code).where(JobReportLine.job_id == check.id)
    ).all()
    assert sorted(report) == sorted(code for _row, code in ERRORS)
    page = signed_in_operator.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and _shown(html) == _shown(inline_html)
    assert 'data-testid="import-check"' not in html and "http-equiv" not in html
    assert "disabled" not in _apply_button(html)
    assert not {"one@example.com", "three@example.com"} & _emails()

    applied = signed_in_operator.post(
        f"{IMPORT}{_upload_id(response.headers['Location'])}/apply/", data={}
    )
    assert applied.status_code == 302 and "/admin/jobs/" in applied.headers["Location"]
    assert {"one@example.com", "three@example.com"} <= _emails()
    assert "two@example.com" not in _emails()


@pytest.mark.settings(CONSOLE_IMPORT_PREVIEW_INLINE_ROWS=0)
def test_a_checked_file_that_changes_nothing_cannot_be_applied(signed_in_operator, operator):
    response = _post_file(signed_in_operator, csv_bytes("email", operator.email))
    html = signed_in_operator.get(response.headers["Location"]).get_data(as_text=True)
    assert [job.state for job in _checks()] == ["done"]
    assert 'data-count="unchanged">1<' in html and "disabled" in _apply_button(html)


@pytest.mark.settings(CONSOLE_IMPORT_PREVIEW_INLINE_ROWS=3)
def test_the_check_dry_runs_as_the_request_would(operator, kept, store):
    upload = store(operator, FILE)
    assert flows.checked(upload) and flows.check_job(upload).state == "done"
    checked_by_job = dict(upload.preview)
    assert checked_by_job.pop("job") == flows.check_job(upload).id
    assert checked_by_job.pop("done") is True
    assert checked_by_job == flows.dry_run(operator, upload)


@pytest.mark.settings(CONSOLE_IMPORT_PREVIEW_INLINE_ROWS=3)
def test_the_command_runs_the_check_with_a_progress_bar(app, operator, kept, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(FILE)
    command = ["console", "users", "import", str(path), "--as", operator.email]
    result = app.test_cli_runner().invoke(args=[*command, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "6 row(s): to create 2, to update 0, unchanged 1, with errors 3" in result.output
    assert "Row 4: nope:" in result.output and "Dry run: nothing was changed." in result.output
    assert [job.origin for job in _checks()] == ["cli"]
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    assert {"one@example.com", "three@example.com"} <= _emails()


@pytest.mark.settings(CONSOLE_IMPORT_PREVIEW_INLINE_ROWS=3)
class TestWhileTheCheckWaits:
    """Jobs go through a queue no worker reads: the check stays queued until run here."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
        return {
            **app_config,
            "CONSOLE_JOBS_IMMEDIATE": False,
            "CONSOLE_JOBS_SQLITE_PATH": str(tmp_path / "queue.db"),
        }

    def test_the_preview_shows_the_progress_then_the_counts_and_apply(
        self, signed_in_operator, kept
    ):
        response = _post_file(signed_in_operator)
        preview = response.headers["Location"]
        [check] = _checks()
        assert check.state == "queued"
        html = signed_in_operator.get(preview).get_data(as_text=True)
        assert 'data-testid="import-check"' in html and 'data-job-state="queued"' in html
        assert f'hx-get="{preview}?poll=1"' in html
        assert '<noscript><meta http-equiv="refresh"' in html
        assert (
            'data-testid="import-apply"' not in html and 'data-testid="import-counts"' not in html
        )
        assert 'data-testid="import-cancel"' in html
        poll = signed_in_operator.get(f"{preview}?poll=1", headers={"HX-Request": "true"})
        fragment = poll.get_data(as_text=True)
        assert fragment.lstrip().startswith('<div id="import-check"')
        assert "HX-Refresh" not in poll.headers
        # Apply waits for the check.
        early = signed_in_operator.post(f"{IMPORT}{_upload_id(preview)}/apply/", data={})
        assert early.status_code == 302 and early.headers["Location"].endswith(preview)
        assert db.session.get(ImportUpload, _upload_id(preview)).applied_at is None

        assert runner.run(check.id).state == "done"
        poll = signed_in_operator.get(f"{preview}?poll=1", headers={"HX-Request": "true"})
        assert poll.headers["HX-Refresh"] == "true"
        html = signed_in_operator.get(preview).get_data(as_text=True)
        assert _shown(html) == (COUNTS, ERRORS) and "http-equiv" not in html
        assert "disabled" not in _apply_button(html)
        assert not {"one@example.com", "three@example.com"} & _emails()

    def test_cancel_while_checking_stops_the_check_and_applies_nothing(
        self, signed_in_operator, kept
    ):
        response = _post_file(signed_in_operator)
        upload_id = _upload_id(response.headers["Location"])
        [check] = _checks()
        cancelled = signed_in_operator.post(f"{IMPORT}{upload_id}/cancel/")
        assert cancelled.status_code == 302
        assert db.session.get(ImportUpload, upload_id) is None
        assert [job.state for job in _checks()] == ["cancelled"]
        # A worker that picks the message up later has nothing to run.
        assert runner.run(check.id) is None
        assert not {"one@example.com", "three@example.com"} & _emails()

    def test_a_stopped_check_cannot_be_applied(self, signed_in_operator, operator, kept):
        response = _post_file(signed_in_operator)
        preview = response.headers["Location"]
        [check] = _checks()
        jobs_flows.cancel(operator, check)
        html = signed_in_operator.get(preview).get_data(as_text=True)
        assert 'data-testid="import-check-stopped"' in html
        assert 'data-testid="import-apply"' not in html and "http-equiv" not in html
        refused = signed_in_operator.post(f"{IMPORT}{_upload_id(preview)}/apply/", data={})
        assert refused.status_code == 302
        upload = db.session.get(ImportUpload, _upload_id(preview))
        assert upload.applied_at is None and not flows.would_change(upload)
        assert not {"one@example.com", "three@example.com"} & _emails()
