"""CSV export of the filtered list: streamed, no secrets, formula cells neutralized."""

from __future__ import annotations

import csv
import io

import pytest

from tests.users.conftest import BASE


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralize(start):
    from console.users.export import neutralize

    assert neutralize(f"{start}SUM(A1)") == f"'{start}SUM(A1)"
    assert neutralize("plain") == "plain"
    assert neutralize(None) == ""


def test_export_follows_the_filters_and_neutralizes(signed_in_operator, make_user):
    make_user("formula@example.com", name='=HYPERLINK("http://evil")', username="@cmd")
    make_user("plus@example.com", name="+1 555", active=False)
    make_user("other@example.com", name="Other")
    response = signed_in_operator.get(f"{BASE}export.csv", query_string={"active": "yes"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_email = {row["email"]: row for row in rows}
    assert "plus@example.com" not in by_email
    assert by_email["formula@example.com"]["name"] == '\'=HYPERLINK("http://evil")'
    assert by_email["formula@example.com"]["username"] == "'@cmd"
    header = rows[0].keys()
    for secret in ("password", "tf_totp_secret", "fs_uniquifier", "mf_recovery_codes"):
        assert secret not in header
    searched = signed_in_operator.get(f"{BASE}export.csv", query_string={"q": "oth"})
    assert [r["email"] for r in csv.DictReader(io.StringIO(searched.get_data(as_text=True)))] == [
        "other@example.com"
    ]


def test_export_reads_in_batches(app, make_user):
    from console.users.query import ListParams, iterate_filtered

    for i in range(5):
        make_user(f"e{i}@example.com")
    batches = [len(users) for users, _mfa in iterate_filtered(ListParams(), batch=2)]
    assert batches == [2, 2, 1]
