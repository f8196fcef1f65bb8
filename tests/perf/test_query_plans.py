"""Query plans at scale: no request scans the user, membership, session or audit tables.

A few tens of thousands of seeded rows make the planners choose as they would at a million;
every SELECT a real request runs is explained with its own parameters.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, request_started
from flask.testing import FlaskClient

from tests.conftest import _fresh_g, login
from tests.support import db as dbsupport

USERS = 50_000
WATCHED = ("user", "roles_users", "user_session", "audit_event")
FULL_SCAN_SAFE = ("USING INDEX", "USING COVERING INDEX", "USING INTEGER PRIMARY KEY")


@pytest.fixture(scope="module")
def seeded_app(
    backend: str, migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """An app on a database of its own, seeded once per module and backend, then analyzed."""
    import bench.seed as seed
    from console import create_app
    from console.extensions import db

    if backend == "sqlite":
        target = tmp_path_factory.mktemp("plans") / "plans.db"
        shutil.copy(migrated_database.removeprefix("sqlite:///"), target)
        url = f"sqlite:///{target}"
    else:
        url = dbsupport.create_postgres_database()
        dbsupport.migrate(url)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-" + "x" * 32,
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
                "argon2__rounds": 1,
                "argon2__memory_cost": 1024,
                "argon2__parallelism": 1,
            },
        }
    )
    request_started.connect(_fresh_g, app)
    try:
        with pytest.MonkeyPatch.context() as patch, app.app_context():
            patch.setattr(seed, "SESSIONS_PER_USER", 1)
            patch.setattr(seed, "EVENTS_PER_USER", 2)
            # Seeding runs on an engine without the console's statement timeout: on a busy
            # machine a COPY may take longer than a request is allowed to.
            bulk = seed.seeding_engine(db.engine.url)
            try:
                seed.seed_accounts(bulk, USERS)
                seed.seed_sessions(bulk, USERS)
                seed.seed_audit(bulk, USERS)
                seed.reset_sequences(bulk)
                _live_sessions(bulk)
                _refresh_dashboard()
                seed.analyze(bulk)
            finally:
                bulk.dispose()
            db.session.remove()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if backend == "postgresql":
            dbsupport.drop_postgres_database(url)


def _live_sessions(engine: sa.Engine) -> None:
    """The seeded sessions seen in the last hours, so that the session lists have pages."""
    from flask_security import naive_utcnow

    now = naive_utcnow()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE user_session SET last_seen_at = :now, created_at = :now "
                "WHERE user_id % 3 = 0"
            ),
            {"now": now},
        )


def _refresh_dashboard() -> None:
    """The dashboard's snapshot as the periodic refresh leaves it."""
    from console.dashboard import snapshot

    snapshot.refresh()


@dataclass
class Captured:
    """The statements and parameters sent to the database."""

    statements: list[tuple[str, Any]] = field(default_factory=list)


class Capture:
    """Records every statement while active: `with Capture(app) as captured: ...`."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.captured = Captured()

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        self.captured.statements.append((statement, parameters))

    def __enter__(self) -> Captured:
        from console.extensions import db

        with self.app.app_context():
            self.engine = db.engine
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self.captured

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


def _is_read(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("SELECT", "WITH"))


def _sqlite_aliases(statement: str) -> dict[str, str]:
    """alias -> table for `FROM table AS alias` in the statement."""
    pairs = re.findall(r'(?:FROM|JOIN|,)\s+"?(\w+)"?\s+AS\s+"?(\w+)"?', statement)
    return {alias: table for table, alias in pairs}


def _plan(app: Flask, statement: str, parameters: Any) -> list[str]:
    from console.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if db.engine.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                return [row[3] for row in cursor.fetchall()]
            cursor.execute("EXPLAIN " + statement, parameters)
            return [row[0] for row in cursor.fetchall()]
        finally:
            raw.close()


def _rowid_walk(statement: str, name: str, plan: list[str]) -> bool:
    """SQLite reports a walk in primary-key order as a bare SCAN: it reads no more than the
    LIMIT when the statement orders by that key, sorts nothing and filters nothing."""
    flat = " ".join(statement.split())
    return (
        re.search(rf'ORDER BY "?{name}"?\.id( DESC| ASC)?( LIMIT|$)', flat) is not None
        and " LIMIT " in f"{flat} "
        and " WHERE " not in f" {flat} "
        and not any("TEMP B-TREE" in line for line in plan)
    )


def _full_scans(dialect: str, statement: str, plan: list[str]) -> list[str]:
    """The watched tables the plan reads whole."""
    scanned = []
    if dialect == "sqlite":
        aliases = _sqlite_aliases(statement)
        for line in plan:
            match = re.match(r"SCAN (?:TABLE )?\"?(\w+)\"?", line.strip())
            if not match or any(safe in line for safe in FULL_SCAN_SAFE):
                continue
            table = aliases.get(match.group(1), match.group(1))
            if table in WATCHED and not _rowid_walk(statement, match.group(1), plan):
                scanned.append(table)
    else:
        for line in plan:
            match = re.search(r'Seq Scan on "?(\w+)"?', line)
            if match and match.group(1) in WATCHED:
                scanned.append(match.group(1))
    return scanned


def assert_no_full_scan(app: Flask, captured: Captured) -> None:
    """Explain every SELECT captured; fail with each offending statement and its plan."""
    from console.extensions import db

    with app.app_context():
        dialect = db.engine.dialect.name
    reads = [(s, p) for s, p in captured.statements if _is_read(s)]
    assert reads, "the request ran no query at all"
    offending = []
    for statement, parameters in reads:
        plan = _plan(app, statement, parameters)
        tables = _full_scans(dialect, statement, plan)
        if tables:
            offending.append(
                f"full scan of {', '.join(sorted(set(tables)))}:\n{statement}\n"
                f"parameters: {parameters!r}\nplan:\n  " + "\n  ".join(plan)
            )
    assert not offending, "\n\n".join(offending)


@pytest.fixture(scope="module")
def operator_client(seeded_app: Flask) -> FlaskClient:
    """A test client signed in as the seeded operator."""
    import bench.seed as seed

    client = seeded_app.test_client()
    with seeded_app.app_context():
        response = login(client, seed.OPERATOR_EMAIL, seed.OPERATOR_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _get(app: Flask, client: FlaskClient, url: str) -> str:
    with app.app_context():
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _next_link(body: str, argument: str) -> str:
    """The first link in `body` that carries `argument` (a "next page" link)."""
    match = re.search(rf'href="([^"]*[?&;]{argument}=[^"]*)"', body)
    assert match, f"no link with {argument}= on the page"
    return html.unescape(match.group(1))


def test_sign_in_lookup(seeded_app: Flask) -> None:
    import bench.seed as seed

    client = seeded_app.test_client()
    with Capture(seeded_app) as captured, seeded_app.app_context():
        response = login(client, seed.OPERATOR_EMAIL, seed.OPERATOR_PASSWORD)
    assert response.status_code == 302
    assert_no_full_scan(seeded_app, captured)


def test_sign_in_lookup_of_another_case(seeded_app: Flask) -> None:
    import bench.seed as seed

    client = seeded_app.test_client()
    with Capture(seeded_app) as captured, seeded_app.app_context():
        response = login(client, seed.email_of(1234).upper(), "not the password")
    assert response.status_code == 200
    assert_no_full_scan(seeded_app, captured)


PAGES = {
    "user loader and session check": "/api/me",
    "dashboard": "/admin/dashboard/",
    "users: first page": "/admin/users/",
    "users: prefix search on email": "/admin/users/?q=user00012",
    "users: prefix search on name": "/admin/users/?q=Grace",
    "users: active": "/admin/users/?active=yes",
    "users: inactive": "/admin/users/?active=no",
    "users: confirmed": "/admin/users/?confirmed=yes",
    "users: unconfirmed": "/admin/users/?confirmed=no",
    "users: role": "/admin/users/?role=2",
    "users: with MFA": "/admin/users/?mfa=yes",
    "users: without MFA": "/admin/users/?mfa=no",
    "users: locked": "/admin/users/?locked=yes",
    "users: not locked": "/admin/users/?locked=no",
    "users: signed in after": "/admin/users/?login_after=2026-10-01",
    "users: signed in before": "/admin/users/?login_before=2026-01-01",
    "users: created from": "/admin/users/?created_from=2026-06-01",
    "users: created to": "/admin/users/?created_to=2024-01-01",
    "users: by email": "/admin/users/?sort=email&dir=asc",
    "users: by name": "/admin/users/?sort=name&dir=asc",
    "users: by last sign-in": "/admin/users/?sort=last_login&dir=desc",
    "user detail": "/admin/users/1234/",
    "roles list": "/admin/roles/",
    "role members": "/admin/roles/details/?id=4",
    "role edit": "/admin/roles/edit/?id=4",
    "sessions list": "/admin/sessions/",
    "sessions by email": "/admin/sessions/?email=user00012",
    "sessions by age": "/admin/sessions/?age=7d",
    "audit list": "/admin/audit/",
    "audit by action": "/admin/audit/?action=user.login_failed",
    "audit by actor": "/admin/audit/?actor=user00012",
    "audit by subject": "/admin/audit/?subject=1234",
    "MFA list": "/admin/mfa/",
    "outbox": "/admin/outbox/",
    "account: security center": "/account/",
    "account: profile": "/account/profile",
    "account: sessions": "/account/sessions/",
    "account: activity": "/account/activity",
    "account: passkeys": "/account/passkeys",
}


@pytest.mark.parametrize("url", list(PAGES.values()), ids=list(PAGES))
def test_page(seeded_app: Flask, operator_client: FlaskClient, url: str) -> None:
    with Capture(seeded_app) as captured:
        _get(seeded_app, operator_client, url)
    assert_no_full_scan(seeded_app, captured)


NEXT_PAGES = {
    "users": ("/admin/users/", "after"),
    "users by email": ("/admin/users/?sort=email&dir=asc", "after"),
    "users by last sign-in": ("/admin/users/?sort=last_login&dir=desc", "after"),
    "role members": ("/admin/roles/details/?id=4", "after"),
    "sessions": ("/admin/sessions/", "before"),
    "audit by action": ("/admin/audit/?action=user.login", "before"),
}


@pytest.mark.parametrize("first, argument", list(NEXT_PAGES.values()), ids=list(NEXT_PAGES))
def test_next_page(
    seeded_app: Flask, operator_client: FlaskClient, first: str, argument: str
) -> None:
    following = _next_link(_get(seeded_app, operator_client, first), argument)
    with Capture(seeded_app) as captured:
        _get(seeded_app, operator_client, following)
    assert_no_full_scan(seeded_app, captured)


# The filters whose page is read in order off an index that starts with the filter's own
# column: URL, and the column the index condition must name. The old plans (a role's member
# ids sorted whole, a "has MFA" OR probing every account's keys) read rows in proportion to
# the matches, not to the page.
FLAT_PAGES = {
    "users: small role": ("/admin/users/?role=2", "role_id"),
    "users: role everyone holds": ("/admin/users/?role=4", "role_id"),
    "users: small role, oldest first": ("/admin/users/?role=2&dir=asc", "role_id"),
    "users: with MFA": ("/admin/users/?mfa=yes", "has_second_factor"),
    "users: without MFA": ("/admin/users/?mfa=no", "has_second_factor"),
    "users: with MFA, oldest first": ("/admin/users/?mfa=yes&dir=asc", "has_second_factor"),
}
# PostgreSQL plan nodes that read every matching row before the LIMIT can stop: a sort, a
# hash built from one side, a bitmap (unordered) scan, a hashed subquery, a full scan.
WHOLE_SET_NODES = ("Sort", "Hash", "HashAggregate", "Bitmap", "Seq Scan", "Materialize")


def _page_statement(captured: Captured) -> tuple[str, Any]:
    """The user list's page query (it returns the sort key with each row)."""
    pages = [(s, p) for s, p in captured.statements if "sort_key" in s and _is_read(s)]
    assert len(pages) == 1, [s for s, _ in captured.statements]
    return pages[0]


def _driven_by(dialect: str, plan: list[str], column: str) -> bool:
    """Whether the plan's first (outermost) scan finds its rows by an index condition on
    `column`: the page is then read off an index led by the filter, not found by walking
    another order and testing each row."""
    if dialect == "sqlite":
        scans = [line.strip() for line in plan if re.match(r"\s*(SEARCH|SCAN) ", line)]
        return (
            bool(scans)
            and re.match(rf"SEARCH \w+ USING (COVERING )?INDEX \w+ \({column}=", scans[0])
            is not None
        )
    nodes = "\n".join(plan).split("->")
    scan = next((node for node in nodes if re.match(r"\s*(Index|Index Only) Scan", node)), "")
    return any(
        line.strip().startswith("Index Cond:") and column in line for line in scan.splitlines()
    )


def flat_problems(dialect: str, plan: list[str], column: str) -> list[str]:
    """Why `plan` would not read a page in order off an index led by `column` (empty when it
    does): it must sort nothing, build nothing from every match, and its outermost scan must
    find its rows through an index condition on `column`."""
    problems = []
    if dialect == "sqlite":
        problems += [line for line in plan if "TEMP B-TREE" in line or "LIST SUBQUERY" in line]
    else:
        if not plan[0].lstrip().startswith("Limit"):
            problems.append("no Limit at the top: " + plan[0])
        problems += [
            line
            for line in plan
            if any(re.search(rf"(^|->)\s*(Parallel )?{node}\b", line) for node in WHOLE_SET_NODES)
            or "SubPlan" in line
        ]
    if not _driven_by(dialect, plan, column):
        problems.append(f"its first scan finds no rows by {column}")
    return problems


def assert_flat_page(app: Flask, captured: Captured, column: str) -> None:
    """The page statement is read in order off an index whose condition names `column`."""
    from console.extensions import db

    with app.app_context():
        dialect = db.engine.dialect.name
    statement, parameters = _page_statement(captured)
    plan = _plan(app, statement, parameters)
    problems = flat_problems(dialect, plan, column)
    assert not problems, (
        "not flat: " + "; ".join(problems) + f"\n{statement}\nparameters: {parameters!r}\n"
        "plan:\n  " + "\n  ".join(plan)
    )


@pytest.mark.parametrize("url, column", list(FLAT_PAGES.values()), ids=list(FLAT_PAGES))
def test_filtered_page_reads_its_rows_in_order(
    seeded_app: Flask, operator_client: FlaskClient, url: str, column: str
) -> None:
    with Capture(seeded_app) as captured:
        body = _get(seeded_app, operator_client, url)
    assert_flat_page(seeded_app, captured, column)
    following = _next_link(body, "after")
    with Capture(seeded_app) as captured:
        _get(seeded_app, operator_client, following)
    assert_flat_page(seeded_app, captured, column)


def test_the_seeded_flags_are_the_registry_s(seeded_app: Flask) -> None:
    """The plans above are read over the flags the factor registry would keep."""
    from console.core import factor_flag
    from console.extensions import db
    from console.models import User

    with seeded_app.app_context(), db.engine.connect() as connection:
        ids = list(connection.execute(sa.select(User.id)).scalars())
        assert len(ids) == USERS
        assert factor_flag.refresh(connection, ids) == 0
        connection.rollback()


def test_the_flat_check_sees_a_sort_and_a_probe(seeded_app: Flask) -> None:
    """The plan reading itself: the old shapes of both filters are reported (a role's
    member ids sorted, a walk of the creation order probing each row's membership or keys)."""
    from console.extensions import db

    with seeded_app.app_context():
        dialect = db.engine.dialect.name
    members = (
        'SELECT "user".id FROM "user" WHERE "user".id IN '
        "(SELECT user_id FROM roles_users WHERE role_id = 4) "
        'ORDER BY "user".create_datetime DESC, "user".id DESC LIMIT 51'
    )
    probe = (
        'SELECT "user".id FROM "user" WHERE "user".tf_totp_secret IS NOT NULL OR EXISTS '
        '(SELECT 1 FROM webauthn WHERE webauthn.user_id = "user".id) '
        'ORDER BY "user".create_datetime DESC, "user".id DESC LIMIT 51'
    )
    walk = (
        'SELECT "user".id FROM "user" WHERE EXISTS (SELECT 1 FROM roles_users '
        'WHERE roles_users.user_id = "user".id AND roles_users.role_id = 4) '
        'ORDER BY "user".create_datetime DESC, "user".id DESC LIMIT 51'
    )
    for statement, column in (
        (members, "role_id"),
        (walk, "role_id"),
        (probe, "has_second_factor"),
    ):
        plan = _plan(seeded_app, statement, ())
        assert flat_problems(dialect, plan, column), plan


def test_the_check_sees_a_full_scan(seeded_app: Flask) -> None:
    """The plan reading itself: an unindexed filter, also under an alias, is reported."""
    from console.extensions import db

    with seeded_app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%(notes)s"
    parameters: Any = ("x",) if sqlite else {"notes": "x"}
    for statement in (
        f'SELECT id FROM "user" WHERE notes = {mark}',
        f'SELECT u.id FROM "user" AS u WHERE u.notes = {mark}',
    ):
        with pytest.raises(AssertionError, match="full scan of user"):
            assert_no_full_scan(seeded_app, Captured([(statement, parameters)]))
