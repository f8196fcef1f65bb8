"""The import's rules: a dry run writes nothing, each bad row is named and skipped, the
rest apply through the users' flows, and a second run of the same file changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from console.core.models import models
from console.extensions import db
from console.imports import flows
from console.imports.errors import UploadError
from console.imports.models import ImportChunk, ImportKey, ImportUpload
from console.jobs.models import Job, JobReportLine

from .conftest import csv_bytes


def _user(email: str) -> Any:
    User = models().User
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def _count(model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _report(job: Job) -> dict[str, str]:
    lines = db.session.scalars(sa.select(JobReportLine).where(JobReportLine.job_id == job.id))
    return {line.item: line.code for line in lines}


def test_a_dry_run_writes_nothing_and_applying_creates_the_accounts(
    operator, make_user, store, events
):
    make_user("existing@example.com", password=None, name="Old Name")
    data = csv_bytes(
        "email,name,username,roles,language,time zone",
        "new@example.com,New Person,newbie,Auditor,de,Europe/Paris",
        "existing@example.com,New Name,,,,",
    )
    from console.accounts import ensure_role

    ensure_role("Auditor", ["audit:read"])
    db.session.commit()
    users_before = _count(models().User)
    upload = store(operator, data)

    assert flows.counts(upload) == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "invalid": 0,
        "refused": 0,
    }
    assert _count(models().User) == users_before
    assert _user("existing@example.com").name == "Old Name"
    assert not [e for e in events if e["action"].startswith("admin.user.")]

    job = flows.apply(operator, upload)
    assert job.state == "done" and job.outcomes == {"created": 1, "updated": 1}
    created = _user("new@example.com")
    assert (created.name, created.username, created.locale, created.timezone) == (
        "New Person",
        "newbie",
        "de",
        "Europe/Paris",
    )
    assert [role.name for role in created.roles] == ["Auditor"]
    assert _user("existing@example.com").name == "New Name"
    actions = [e["action"] for e in events]
    assert actions.count("admin.users.imported") == 1
    assert actions.count("admin.user.created") == 1 and actions.count("admin.user.updated") == 1
    # The stored rows go when the job is done; the upload's counts stay.
    assert _count(ImportChunk) == 0 and _count(ImportKey) == 0
    assert db.session.get(ImportUpload, upload.id).job_id == job.id


def test_importing_the_same_file_again_changes_nothing(operator, store, events):
    data = csv_bytes(
        "email,name,language",
        "one@example.com,One,fr",
        "two@example.com,Two,",
    )
    first = flows.apply(operator, store(operator, data))
    assert first.outcomes == {"created": 2}
    events.clear()

    again = store(operator, data)
    assert flows.counts(again)["unchanged"] == 2 and not flows.would_change(again)
    job = flows.apply(operator, again)
    assert job.outcomes == {"unchanged": 2}
    assert [e["action"] for e in events] == ["admin.users.imported", "admin.job.started"]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("not-an-address,X,,,,", "email_invalid"),
        (",No Address,,,,", "email_missing"),
        ("lookalike@example.com,,,,,", None),  # the first of two look-alike rows applies
        ("lookalіke@example.com,,,,,", "lookalike_row"),  # Cyrillic і
        ("dup@example.com,,,,,", None),
        ("DUP@example.com,,,,,", "duplicate"),
        ("role@example.com,,,Nobody,,", "role_unknown"),
        ("lang@example.com,,,,xx,", "language"),
        ("zone@example.com,,,,,Mars/Olympus", "timezone"),
        ("cells@example.com,,", "cells"),
        ("name1@example.com,,samename,,,", None),
        ("name2@example.com,,SAMENAME,,,", "username_duplicate"),
        ("bad-username@example.com,,has space,,,", "username_invalid"),
        ("taken@example.com,,takenname,,,", "username_taken"),
        ("оperator@example.com,,,,,", "lookalike_account"),  # Cyrillic о
        ("grant@example.com,,,Full,,", None),
    ],
)
def test_each_bad_row_is_named_and_skipped(operator, make_user, store, line, code):
    make_user("holder@example.com", password=None, username="takenname")
    make_user("full-holder@example.com", password=None, roles=["Full"], permissions=["users:read"])
    header = "email,name,username,roles,language,timezone"
    earlier = {
        "lookalіke@example.com,,,,,": "lookalike@example.com,,,,,",
        "DUP@example.com,,,,,": "dup@example.com,,,,,",
        "name2@example.com,,SAMENAME,,,": "name1@example.com,,samename,,,",
    }
    lines = [header, *([earlier[line]] if line in earlier else []), line]
    upload = store(operator, csv_bytes(*lines))
    errors = upload.preview["errors"]
    if code is None:
        assert errors == []
        return
    assert [error["code"] for error in errors] == [code], errors
    assert errors[0]["row"] == len(lines)
    job = flows.apply(operator, upload) if flows.would_change(upload) else None
    if job is not None:
        assert list(_report(job).values()) == [code]
        assert job.outcomes.get("invalid") == 1


def test_a_bom_and_semicolons_and_quoted_roles_are_read(operator, store):
    from console.accounts import ensure_role

    ensure_role("Auditor", ["audit:read"])
    ensure_role("Helpdesk", ["users:read"])
    db.session.commit()
    data = csv_bytes(
        "Time zone;E-mail;Roles",
        'Europe/Berlin;semi@example.com;"Auditor|Helpdesk"',
        ';"quoted;name@example.com";',
        "",
        "UTC;after-blank@example.com;",
        bom=True,
        newline="\r\n",
    )
    upload = store(operator, data)
    assert upload.columns == ["timezone", "email", "roles"]
    assert upload.rows == 3
    assert [e["row"] for e in upload.preview["errors"]] == [3]  # "quoted;name" is no address
    flows.apply(operator, upload)
    user = _user("semi@example.com")
    assert user.timezone == "Europe/Berlin"
    assert sorted(role.name for role in user.roles) == ["Auditor", "Helpdesk"]
    assert _user("after-blank@example.com").timezone == "UTC"


def test_roles_replace_the_accounts_roles_and_empty_cells_change_nothing(
    operator, make_user, store
):
    user = make_user(
        "member@example.com",
        password=None,
        name="Kept",
        roles=["Auditor"],
        permissions=["audit:read"],
    )
    from console.accounts import ensure_role

    ensure_role("Helpdesk", ["users:read"])
    db.session.commit()
    job = flows.apply(
        operator, store(operator, csv_bytes("email,name,roles", "member@example.com,,Helpdesk"))
    )
    assert job.outcomes == {"updated": 1}
    user = _user(user.email)
    assert user.name == "Kept" and [role.name for role in user.roles] == ["Helpdesk"]


def test_an_account_the_operator_may_not_act_on_is_refused_in_the_report(
    helpdesk, make_user, store
):
    make_user("auditor@example.com", password=None, roles=["Auditor"], permissions=["audit:read"])
    make_user("plain@example.com", password=None)
    data = csv_bytes(
        "email,name",
        "auditor@example.com,Changed",
        "plain@example.com,Changed",
        "auditor@example.com,",  # unchanged rows need no permission... but are duplicates
    )
    upload = store(helpdesk, data)
    assert flows.counts(upload)["refused"] == 1
    job = flows.apply(helpdesk, upload)
    assert job.outcomes == {"refused": 1, "updated": 1, "invalid": 1}
    report = _report(job)
    assert report["Row 2: auditor@example.com"] == "outranked"
    assert _user("auditor@example.com").name is None
    assert _user("plain@example.com").name == "Changed"


def test_granting_a_role_needs_roles_write_and_the_roles_permissions(
    helpdesk, make_user, operator, store
):
    from console.accounts import ensure_role

    ensure_role("Auditor", ["audit:read"])
    db.session.commit()
    upload = store(helpdesk, csv_bytes("email,roles", "newcomer@example.com,Auditor"))
    assert [e["code"] for e in upload.preview["errors"]] == ["permission"]

    roles_operator = make_user(
        "roles-op@example.com",
        password=None,
        roles=["RoleAdmin"],
        permissions=["users:read", "users:write", "roles:write"],
    )
    upload = store(roles_operator, csv_bytes("email,roles", "newcomer@example.com,Auditor"))
    assert [e["code"] for e in upload.preview["errors"]] == ["grant_unheld"]


# A job mails links: with no request to read the console's address from, SERVER_NAME gives it.
@pytest.mark.settings(SERVER_NAME="console.test")
def test_invitations_are_sent_only_when_asked(operator, store, outbox):
    flows.apply(operator, store(operator, csv_bytes("email", "quiet@example.com")))
    assert not [m for m in outbox() if "quiet@example.com" in m.recipient_list()]

    flows.apply(operator, store(operator, csv_bytes("email", "invited@example.com"), invite=True))
    assert len([m for m in outbox() if "invited@example.com" in m.recipient_list()]) == 1
    assert _user("invited@example.com").invited_at is not None
    assert _user("quiet@example.com").invited_at is None


@pytest.mark.settings(CONSOLE_JOBS_BATCH_SIZE=2, SERVER_NAME="console.test")
def test_an_interrupted_import_resumes_and_applies_nothing_twice(
    operator, store, stored_events, monkeypatch, outbox
):
    from console.jobs import flows as job_flows
    from console.users import flows as user_flows

    real = user_flows.add_user
    seen: list[str] = []

    def crash_on_the_fourth(actor: Any, **values: Any) -> Any:
        user = real(actor, **values)
        seen.append(values["email"])
        if values["email"] == "p3@example.com":
            raise RuntimeError("worker lost")
        return user

    monkeypatch.setattr(user_flows, "add_user", crash_on_the_fourth)
    data = csv_bytes("email", *(f"p{i}@example.com" for i in range(6)))
    job = flows.apply(operator, store(operator, data, invite=True))
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.state == "failed" and "worker lost" in job.error
    # Rows 2 and 3 (p0, p1) committed with the cursor; p2 and p3 rolled back together.
    assert job.cursor == 3 and job.processed == 2
    assert [_user(f"p{i}@example.com") is not None for i in range(6)] == [True] * 2 + [False] * 4

    monkeypatch.setattr(user_flows, "add_user", real)
    job_flows.resume(operator, job)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.state == "done" and job.outcomes == {"created": 6} and job.processed == 6
    created = stored_events("admin.user.created")
    assert sorted(created.values()) == [1] * 6
    assert sorted(stored_events("admin.user.invited").values()) == [1] * 6
    for i in range(6):
        email = f"p{i}@example.com"
        assert len([m for m in outbox() if email in m.recipient_list()]) == 1


@pytest.mark.settings(CONSOLE_JOBS_BATCH_SIZE=150)
def test_a_file_of_many_chunks_is_read_across_their_edges(operator, store):
    from console.imports import upload as uploads

    lines = ["email,name"]
    for i in range(1500):
        # A quoted line break inside a cell: a record is never split between two chunks.
        lines.append(f'many{i}@example.com,"Person {i}\nsecond line {"x" * 40}"')
    upload = store(operator, csv_bytes(*lines))
    assert upload.rows == 1500
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportChunk)) > 1
    numbers = [row.number for row in uploads.rows(upload, after=700)]
    assert numbers == list(range(701, 1502))
    assert flows.counts(upload)["created"] == 1500
    job = flows.apply(operator, upload)
    assert job.outcomes == {"created": 1500} and job.cursor == 1501
    assert _user("many1499@example.com").name.startswith("Person 1499\nsecond line")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        ("email,name\nzoë@example.com,Zoë\n".encode("latin-1"), "not_utf8"),
        (b"a@example.com,Ann\n", "no_header"),
        (b"name,username\nAnn,ann\n", "no_email_column"),
        (b"email,colour\na@example.com,red\n", "unknown_column"),
        (b"email,Email\na@example.com,a@example.com\n", "duplicate_column"),
        (b"email,name\n", "no_rows"),
        (b"email\n" + b"x@example.com\n" * 20, "too_large"),
        (b"email\na@example.com\nb@example.com\nc@example.com\n", "too_many_rows"),
    ],
)
@pytest.mark.settings(CONSOLE_IMPORT_MAX_BYTES=200, CONSOLE_IMPORT_MAX_ROWS=2)
def test_a_bad_file_gets_a_clear_message_and_nothing_is_stored(operator, store, data, code):
    with pytest.raises(UploadError) as raised:
        store(operator, data)
    assert raised.value.code == code and str(raised.value)
    assert _count(ImportUpload) == 0 and _count(ImportChunk) == 0 and _count(ImportKey) == 0


def test_an_upload_cannot_be_applied_twice_and_cancel_forgets_it(operator, store):
    upload = store(operator, csv_bytes("email", "once@example.com"))
    flows.apply(operator, upload)
    with pytest.raises(UploadError):
        flows.apply(operator, db.session.get(ImportUpload, upload.id))

    other = store(operator, csv_bytes("email", "never@example.com"))
    flows.discard(operator, other)
    assert db.session.get(ImportUpload, other.id) is None
    assert _user("never@example.com") is None


def test_old_uploads_are_purged(operator, store):
    from datetime import timedelta

    from flask_security import naive_utcnow

    old = store(operator, csv_bytes("email", "old@example.com"))
    young = store(operator, csv_bytes("email", "young@example.com"))
    old.created_at = naive_utcnow() - timedelta(days=30)
    db.session.commit()
    old_id, young_id = old.id, young.id
    assert flows.purge() == 1
    db.session.expire_all()
    assert db.session.scalars(sa.select(ImportUpload.id)).all() == [young_id] != [old_id]
