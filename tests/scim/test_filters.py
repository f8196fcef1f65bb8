"""Filters as SQL: the operators on each kind of attribute, and/or/not with the RFC's
precedence, dates, and `userName eq` answered by the unique index on lower(email)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from .conftest import Scim, new_user, scim_error


def _names(scim: Scim, text: str) -> list[str]:
    response = scim.get(f"/Users?filter={quote(text)}&sortBy=userName")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["userName"] for r in response.get_json()["Resources"]]


def _people(scim: Scim) -> None:
    for email, extra in (
        ("ann@example.com", {"displayName": "Ann Lee", "externalId": "A-1", "locale": "fr"}),
        ("ben@example.org", {"displayName": "Ben Ito", "externalId": "b-2", "active": False}),
        ("cat@example.com", {"name": {"givenName": "Cat", "familyName": "Wu"}}),
    ):
        response = scim.post("/Users", new_user(email, **extra))
        assert response.status_code == 201, response.get_data(as_text=True)


def test_operators_on_text_bool_and_ids(scim: Scim) -> None:
    _people(scim)
    assert _names(scim, 'userName eq "BEN@EXAMPLE.ORG"') == ["ben@example.org"]
    assert _names(scim, 'userName sw "a" or userName sw "c"') == [
        "ann@example.com",
        "cat@example.com",
    ]
    assert _names(scim, 'emails.value ew ".org"') == ["ben@example.org"]
    assert _names(scim, 'emails[type eq "work" and value co "at@"]') == ["cat@example.com"]
    assert _names(scim, 'displayName co "ee"') == ["ann@example.com"]
    assert _names(scim, 'name.familyName eq "wu"') == ["cat@example.com"]
    # externalId is case-exact.
    assert _names(scim, 'externalId eq "a-1"') == []
    assert _names(scim, 'externalId eq "A-1"') == ["ann@example.com"]
    assert _names(scim, "active eq false") == ["ben@example.org"]
    assert _names(scim, 'locale pr and not (userName eq "x@example.com")') == ["ann@example.com"]
    # ne and not include the accounts without a value.
    assert _names(scim, 'displayName ne "Ann Lee" and userName ne "scim@example.com"') == [
        "ben@example.org",
        "cat@example.com",
    ]
    assert "cat@example.com" in _names(scim, 'not (displayName eq "Ann Lee")')
    # "and" binds tighter than "or".
    assert _names(scim, 'userName sw "ann" or userName sw "ben" and active eq true') == [
        "ann@example.com"
    ]
    # A percent sign is a character, not a wildcard.
    assert _names(scim, 'userName co "%"') == []
    cat = scim.get('/Users?filter=userName eq "cat@example.com"').get_json()["Resources"][0]
    assert _names(scim, f'id eq "{cat["id"]}"') == ["cat@example.com"]
    assert _names(scim, 'id eq "not-a-number"') == []


def test_dates_compare_in_utc(scim: Scim) -> None:
    from flask_security import naive_utcnow

    _people(scim)
    before = (naive_utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = (naive_utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert len(_names(scim, f'meta.created gt "{before}"')) == 4
    assert _names(scim, f'meta.lastModified gt "{after}"') == []
    assert len(_names(scim, f'meta.created lt "{after}" and meta.created ge "{before}"')) == 4
    contains = quote('meta.created co "2020"')
    scim_error(scim.get(f"/Users?filter={contains}"), 400, "invalidFilter")
    not_a_date = quote('meta.created gt "yesterday"')
    scim_error(scim.get(f"/Users?filter={not_a_date}"), 400)


def test_groups_filter_by_name_and_member(scim: Scim, make_user: Callable[..., Any]) -> None:
    ida = make_user("ida@example.com", roles=["Support"])
    make_user("joe@example.com", roles=["Sales"])
    body = scim.get("/Groups?filter=" + quote('displayName sw "sup"')).get_json()
    assert [g["displayName"] for g in body["Resources"]] == ["Support"]
    body = scim.get("/Groups?filter=" + quote(f'members eq "{ida.id}"')).get_json()
    assert [g["displayName"] for g in body["Resources"]] == ["Support"]
    body = scim.get("/Groups?sortBy=displayName&sortOrder=descending").get_json()
    assert [g["displayName"] for g in body["Resources"]] == [
        "Support",
        "SCIM provisioning",
        "Sales",
    ]


def test_user_name_eq_reads_the_unique_index(app: Any, scim: Scim, backend: str) -> None:
    from console.core.models import models
    from console.extensions import db
    from console.scim import query
    from console.scim.resources import UserResource

    statement = query.user_statement().where(
        query.filters.condition('userName eq "ann@example.com"', UserResource, query.user_columns())
    )
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as connection:
        if backend == "sqlite":
            plan = " ".join(
                str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            )
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}"))
    assert "ix_user_email_lower" in plan, plan
    assert models().User.__table__.name == "user"
