"""The import pages through the HTTP client: upload, preview, apply or cancel, the job page."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa

from console.core.models import models
from console.extensions import db
from console.imports.models import ImportUpload
from tests.conftest import MEMBER_PASSWORD, login

from .conftest import IMPORT, csv_bytes


def _post_file(client: Any, data: bytes, invite: bool = False, name: str = "people.csv") -> Any:
    form: dict[str, Any] = {"file": (io.BytesIO(data), name)}
    if invite:
        form["invite"] = "y"
    return client.post(IMPORT, data=form, content_type="multipart/form-data")


def _uploads() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ImportUpload))


def test_the_users_list_links_to_the_import_page(signed_in_operator):
    page = signed_in_operator.get("/admin/users/").get_data(as_text=True)
    assert 'data-testid="import-users"' in page and IMPORT in page
    form = signed_in_operator.get(IMPORT)
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert (
        'enctype="multipart/form-data"' in html and 'for="file"' in html and 'for="invite"' in html
    )
    assert "separated by |" in html


def test_upload_preview_apply_and_the_job_page(signed_in_operator, make_user):
    make_user("kept@example.com", password=None, name="Kept")
    data = csv_bytes("email,name", "fresh@example.com,Fresh", "kept@example.com,", "nope,Nope")
    response = _post_file(signed_in_operator, data)
    assert response.status_code == 302
    preview = signed_in_operator.get(response.headers["Location"])
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert 'data-count="created">1<' in html and 'data-count="unchanged">1<' in html
    assert 'data-count="invalid">1<' in html and 'data-code="email_invalid"' in html
    assert "disabled" not in html.split('data-testid="import-apply"')[1].split(">")[0]
    User = models().User
    assert db.session.scalar(sa.select(User).where(User.email == "fresh@example.com")) is None

    upload_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    applied = signed_in_operator.post(f"{IMPORT}{upload_id}/apply/", data={})
    assert applied.status_code == 302 and "/admin/jobs/" in applied.headers["Location"]
    job_page = signed_in_operator.get(applied.headers["Location"]).get_data(as_text=True)
    assert "Import users from CSV" in job_page and "people.csv" in job_page
    assert 'data-code="email_invalid"' in job_page and "Row 4: nope" in job_page
    assert db.session.scalar(sa.select(User).where(User.email == "fresh@example.com")) is not None
    # The preview of an applied upload is its job.
    again = signed_in_operator.get(response.headers["Location"])
    assert again.status_code == 302 and again.headers["Location"] == applied.headers["Location"]


def test_nothing_to_change_disables_apply_and_cancel_forgets_the_upload(
    signed_in_operator, operator
):
    response = _post_file(signed_in_operator, csv_bytes("email", operator.email))
    html = signed_in_operator.get(response.headers["Location"]).get_data(as_text=True)
    button = html.split('data-testid="import-apply"')[1].split(">")[0]
    assert "disabled" in button
    upload_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    refused = signed_in_operator.post(f"{IMPORT}{upload_id}/apply/")
    assert refused.status_code == 302 and _uploads() == 1
    cancelled = signed_in_operator.post(f"{IMPORT}{upload_id}/cancel/")
    assert cancelled.status_code == 302 and _uploads() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"email\nbj\xf6rn@example.com\n", "not UTF-8"),
        (b"a@example.com,Ann\n", "must name the columns"),
        (b"name\nAnn\n", "has no email column"),
        (b"email,shoe size\na@example.com,42\n", "Unknown column"),
    ],
)
def test_a_bad_file_is_answered_with_its_reason_and_stores_nothing(
    signed_in_operator, data, message
):
    response = _post_file(signed_in_operator, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _uploads() == 0


def test_no_file_is_answered_with_a_message(signed_in_operator):
    response = signed_in_operator.post(IMPORT, data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a CSV file" in response.get_data(as_text=True)


@pytest.mark.settings(CONSOLE_IMPORT_MAX_BYTES=1000)
def test_an_over_size_file_is_refused(signed_in_operator):
    response = _post_file(signed_in_operator, b"email\n" + b"someone@example.com\n" * 100)
    assert response.status_code == 400 and "larger than" in response.get_data(as_text=True)
    assert _uploads() == 0


def test_the_pages_are_for_users_write_and_an_upload_for_its_operator(
    client, member, signed_in_operator, helpdesk
):
    response = _post_file(signed_in_operator, csv_bytes("email", "x@example.com"))
    preview = response.headers["Location"]
    signed_in_operator.post("/logout")
    assert login(client, helpdesk.email, "helpdesk password 1").status_code == 302
    assert client.get(IMPORT).status_code == 200
    assert client.get(preview).status_code == 404
    client.post("/logout")
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    assert client.get(IMPORT).status_code == 403
    assert 'data-testid="import-users"' not in client.get("/admin/users/").get_data(as_text=True)
