"""GET /audit/events/export: the page's CSV and JSON Lines exports over the API, streamed in
keyset batches, filtered like the list, audited, and refused without audit:read."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import sqlalchemy as sa

from tests.api.conftest import BASE, problem

EXPORT = "/audit/events/export"


@pytest.fixture
def trail(operator: Any, make_user: Any) -> dict[str, Any]:
    """Three events about two users; one carries a cell a spreadsheet would run."""
    from console.audit import flows
    from console.extensions import db

    alice = make_user("alice@example.com", password=None)
    bob = make_user("bob@example.org", password=None)
    flows.record("user.login", actor=alice, subject=alice)
    flows.record("user.login_failed", subject=bob)
    flows.record(
        "admin.user.updated",
        actor=operator,
        subject=bob,
        details={"changes": {"name": ["Bob", '=HYPERLINK("http://x")'], "password": ["a", "b"]}},
    )
    db.session.commit()
    return {"alice": alice, "bob": bob}


def _exports(operator: Any) -> list[Any]:
    from console.audit.models import AuditEvent
    from console.extensions import db

    db.session.expire_all()
    stmt = sa.select(AuditEvent).where(AuditEvent.action == "audit.exported")
    return [e for e in db.session.scalars(stmt) if e.actor_id == operator.id]


def test_csv_is_streamed_filtered_neutralized_and_audited(
    operator_api: Any, operator: Any, trail: dict[str, Any]
) -> None:
    from console.audit.flows import EXPORT_COLUMNS

    response = operator_api.get(f"{EXPORT}?format=csv&subject=bob@")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit.csv"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert [r["action"] for r in rows] == ["admin.user.updated", "user.login_failed"]
    assert {r["subject_email"] for r in rows} == {"bob@example.org"}
    assert "=HYPERLINK" in rows[0]["details"] and rows[0]["details"].startswith("{")
    assert rows[0]["created_at"].endswith("Z")
    # The export is an event of its own, by the token's owner, with the filter it used.
    (exported,) = _exports(operator)
    assert json.loads(exported.details) == {"format": "csv", "subject": "bob@"}


def test_csv_cells_that_start_a_formula_are_defused(operator_api: Any, make_user: Any) -> None:
    from console.audit import flows
    from console.extensions import db

    flows.record("user.login_failed", subject=make_user("=cmd@example.com", password=None))
    db.session.commit()
    body = operator_api.get(f"{EXPORT}?format=csv&action=user.login_failed").get_data(as_text=True)
    (row,) = list(csv.DictReader(io.StringIO(body)))
    assert row["subject_email"] == "'=cmd@example.com"


def test_jsonl_keeps_details_structured(operator_api: Any, trail: dict[str, Any]) -> None:
    response = operator_api.get(f"{EXPORT}?format=jsonl&action=admin.")
    assert response.status_code == 200
    assert response.mimetype == "application/jsonl"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit.jsonl"'
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["action"] for line in lines] == ["admin.user.updated"]
    assert lines[0]["details"]["changes"]["password"] == ["[redacted]", "[redacted]"]
    assert lines[0]["created_at"].endswith("Z")


def test_jsonl_is_served_under_the_name_the_client_accepts(
    operator_api: Any, trail: dict[str, Any]
) -> None:
    query = f"{EXPORT}?format=jsonl&action=user."
    # Each body is read before the next request, as a server sends one response at a time.
    ndjson = operator_api.get(query, headers={"Accept": "application/x-ndjson"})
    assert ndjson.mimetype == "application/x-ndjson"
    ndjson_lines = ndjson.get_data().splitlines()
    plain = operator_api.get(query, headers={"Accept": "*/*"})
    assert plain.mimetype == "application/jsonl"
    # One format under two names: the same lines.
    assert plain.get_data().splitlines() == ndjson_lines and len(ndjson_lines) == 2


def test_the_export_matches_the_list_with_the_same_filters(
    operator_api: Any, trail: dict[str, Any]
) -> None:
    query = "actor=alice@&action=user."
    listed = [e["id"] for e in operator_api.get(f"/audit/events?{query}").get_json()["items"]]
    body = operator_api.get(f"{EXPORT}?format=jsonl&{query}").get_data(as_text=True)
    exported = [json.loads(line)["id"] for line in body.splitlines()]
    assert listed and exported == listed


def test_rows_are_read_in_keyset_batches_as_they_are_sent(
    app: Any,
    operator_api: Any,
    trail: dict[str, Any],
    count_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Memory stays flat: each batch is one `id <` query, run only when the previous
    batch has gone out; nothing is counted."""
    from console.audit import flows
    from console.extensions import db

    for index in range(5):
        flows.record("user.login_failed", subject=trail["bob"], details={"n": index})
    db.session.commit()
    monkeypatch.setattr(flows, "EXPORT_BATCH", 2)
    client = operator_api.client
    headers = {"Authorization": f"Bearer {operator_api.token}"}
    with count_queries() as counter:
        response = client.get(
            f"{BASE}{EXPORT}?format=jsonl&action=user.login_failed",
            headers=headers,
            buffered=False,
        )
        chunks = response.response
        reads = []
        received = []
        for chunk in chunks:
            received.append(chunk)
            reads.append(sum("FROM audit_event" in s for s in counter.statements))
        response.close()
    lines = b"".join(received).decode().splitlines()
    assert len(lines) == 6  # 5 + trail's one failed sign-in
    # A chunk per batch of two, each sent before the next batch was read.
    assert len([c for c in received if c]) == 3
    assert reads[0] < reads[-1]
    scans = [s for s in counter.statements if "FROM audit_event" in s and "LIMIT" in s]
    assert len(scans) >= 3
    # (SQLite's dialect writes every LIMIT with an OFFSET of 0: the cursor is `id <`.)
    assert not any("count(" in s.lower() for s in scans), scans
    assert sum("audit_event.id <" in s for s in scans) >= 2


def test_needs_audit_read_and_writes_nothing_when_refused(
    api_as: Any, operator: Any, make_user: Any, trail: dict[str, Any]
) -> None:
    reader = api_as(make_user(permissions=["users:read"]))
    problem(reader.get(f"{EXPORT}?format=csv"), 403, "permission_denied")
    assert _exports(operator) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=xml", "format"),
        ("format=csv&ip=not-an-address", "ip"),
        ("format=csv&since=yesterday", "since"),
        ("format=csv&since=2026-02-02&until=2026-01-01", "until"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(
    operator_api: Any, operator: Any, query: str, field: str
) -> None:
    from console.audit.models import AuditEvent
    from console.extensions import db

    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    body = problem(operator_api.get(f"{EXPORT}?{query}"), 422, "invalid_request")
    assert field in json.dumps(body["errors"])
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before


def test_csv_is_the_format_when_none_is_asked_for(operator_api: Any, trail: dict[str, Any]) -> None:
    response = operator_api.get(EXPORT)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith("id,")


def test_the_document_describes_both_formats(client: Any) -> None:
    document = client.get(f"{BASE}/openapi.json").get_json()
    operation = document["paths"][f"{BASE}{EXPORT}"]["get"]
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"text/csv", "application/jsonl", "application/x-ndjson"}
    assert "Content-Disposition" in operation["responses"]["200"]["headers"]
    (fmt,) = [p for p in operation["parameters"] if p["name"] == "format"]
    assert not fmt["required"] and fmt["schema"]["enum"] == ["csv", "jsonl"]
    assert fmt["schema"]["default"] == "csv"
    names = {p["name"] for p in operation["parameters"]}
    assert {"actor", "subject", "action", "ip", "since", "until"} <= names
