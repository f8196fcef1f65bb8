"""The dashboard's snapshot: computed on the first view, then outside the request, by one
worker at a time, read with one primary-key lookup."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_security import naive_utcnow

from tests.conftest import login


def _figure(body: str, key: str) -> str | None:
    match = re.search(rf'data-figure="{key}"[^>]*>([^<]*)<', body)
    return match.group(1).strip() if match else None


def _age(seconds: int) -> None:
    """Make the stored snapshot `seconds` old."""
    from console.dashboard.models import DashboardSnapshot
    from console.extensions import db

    db.session.execute(
        sa.update(DashboardSnapshot).values(computed_at=naive_utcnow() - timedelta(seconds=seconds))
    )
    db.session.commit()


def _total() -> int | None:
    from console.dashboard import snapshot

    current = snapshot.load()
    return current.users.total if current else None


def test_batches_add_up_to_the_same_figures(app, population):
    from console.dashboard import figures

    now = naive_utcnow()
    whole = figures.compute_user_figures(now, batch=100_000)
    in_twos = figures.compute_user_figures(now, batch=2)
    assert whole == in_twos
    assert (whole.total, whole.with_mfa, whole.locked, whole.dormant) == (8, 2, 1, 1)


def test_a_cold_start_shows_the_figures_on_the_first_view(signed_in_operator, population):
    assert _total() is None
    response = signed_in_operator.get("/admin/dashboard/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="snapshot-empty"' not in body
    assert 'data-testid="snapshot-time"' in body
    assert _figure(body, "users-total") == "8"
    assert _figure(body, "mfa-coverage") == "25%"
    assert _figure(body, "dormant") == "1"
    assert _total() == 8


def test_while_another_worker_computes_the_page_says_so_and_does_not_wait(
    signed_in_operator, population
):
    from console.dashboard import snapshot

    assert snapshot.claim(naive_utcnow()), "another worker has started the first computation"
    response = signed_in_operator.get("/admin/dashboard/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="snapshot-empty"' in body
    assert _figure(body, "users-total") is None
    # A plain link reloads the page without JavaScript; the form asks for a recompute.
    assert re.search(r'<a href="/admin/dashboard/" data-testid="snapshot-reload">', body)
    assert 'action="/admin/dashboard/refresh"' in body
    # The sign-in chart comes from the daily counters and needs no snapshot.
    assert _figure(body, "sign-ins-30") == "6"
    response.close()
    assert _total() is None, "the worker that holds the claim computes, nobody else"


def test_a_failed_first_computation_shows_the_empty_state(
    signed_in_operator, population, monkeypatch
):
    from console.dashboard import figures, snapshot

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(figures, "compute_user_figures", broken)
    response = signed_in_operator.get("/admin/dashboard/")
    assert response.status_code == 200
    assert 'data-testid="snapshot-empty"' in response.get_data(as_text=True)
    response.close()
    monkeypatch.undo()
    assert snapshot.claim(naive_utcnow()), "the failed computation gave its claim back"


def test_the_page_reads_one_row_and_counts_nothing(
    signed_in_operator, population, make_user, count_queries
):
    from console.dashboard import snapshot

    snapshot.refresh()
    # Work the fixtures' own commits left for the end of a request (webhook deliveries of
    # their events) is done by this one, not by the measured ones.
    signed_in_operator.get("/admin/dashboard/").close()
    with count_queries() as before:
        signed_in_operator.get("/admin/dashboard/").close()
    for n in range(5):
        make_user(f"more-{n}@example.com", password=None, roles=["Support"])
    snapshot.refresh()
    with count_queries() as after:
        signed_in_operator.get("/admin/dashboard/").close()

    assert len(before) == len(after)
    reads = [s for s in after.statements if "dashboard_snapshot" in s]
    assert len(reads) == 1 and "WHERE dashboard_snapshot.id" in reads[0]
    for statement in after.statements:
        flat = " ".join(statement.split())
        assert not re.search(r"count\(.*FROM \"?(user|roles_users|user_session)\"?\b", flat), flat


def test_a_stale_snapshot_is_recomputed_after_the_response(
    signed_in_operator, population, make_user
):
    from console.dashboard import snapshot

    snapshot.refresh()
    _age(6 * 60)  # older than CONSOLE_DASHBOARD_REFRESH (5 minutes)
    make_user("newcomer@example.com", password=None)

    response = signed_in_operator.get("/admin/dashboard/")
    # The page answers from the snapshot it has, without waiting for the recount.
    assert _figure(response.get_data(as_text=True), "users-total") == "8"
    response.close()
    assert _total() == 9
    body = signed_in_operator.get("/admin/dashboard/").get_data(as_text=True)
    assert _figure(body, "users-total") == "9"


def test_a_fresh_snapshot_is_left_alone(signed_in_operator, population, make_user):
    from console.dashboard import snapshot

    snapshot.refresh()
    make_user("newcomer@example.com", password=None)
    signed_in_operator.get("/admin/dashboard/").close()
    assert _total() == 8


@pytest.mark.settings(CONSOLE_DASHBOARD_REFRESH=timedelta(minutes=1))
def test_the_refresh_period_is_a_setting(signed_in_operator, population, make_user):
    from console.dashboard import snapshot

    snapshot.refresh()
    _age(90)
    make_user("newcomer@example.com", password=None)
    signed_in_operator.get("/admin/dashboard/").close()
    assert _total() == 9


def test_one_worker_at_a_time_claims_the_recompute(app, population):
    from console.dashboard import snapshot
    from console.dashboard.models import DashboardSnapshot
    from console.extensions import db

    snapshot.refresh()
    now = naive_utcnow()
    assert not snapshot.claim(now), "a fresh snapshot needs no recompute"
    _age(6 * 60)
    assert snapshot.claim(now)
    assert not snapshot.claim(now), "another worker already recomputes"
    assert not snapshot.refresh_if_claimed()

    # A worker that died while recomputing does not block the others for ever.
    later = now + timedelta(minutes=6)
    assert snapshot.claim(later)
    snapshot.store(*snapshot.compute(later), later)
    row = db.session.scalar(sa.select(DashboardSnapshot).execution_options(populate_existing=True))
    assert row.refreshing_since is None and row.computed_at == later


def test_a_failed_recompute_releases_the_claim_and_spares_the_request(
    signed_in_operator, population, monkeypatch
):
    from console.dashboard import figures, snapshot

    snapshot.refresh()
    _age(6 * 60)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(figures, "compute_user_figures", broken)
    response = signed_in_operator.get("/admin/dashboard/")
    assert response.status_code == 200
    response.close()
    monkeypatch.undo()
    assert snapshot.claim(naive_utcnow()), "the failed worker gave its claim back"


def test_operators_can_ask_for_a_recompute(signed_in_operator, population, make_user):
    from console.dashboard import snapshot

    snapshot.refresh()
    make_user("newcomer@example.com", password=None)
    response = signed_in_operator.post("/admin/dashboard/refresh")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/dashboard/")
    response.close()
    assert _total() == 9


def test_asking_for_a_recompute_needs_users_read(client, make_user):
    make_user("plain@example.com", password="plain password 123")
    login(client, "plain@example.com", "plain password 123")
    assert client.post("/admin/dashboard/refresh").status_code == 403


def test_the_cli_refreshes_the_snapshot(app, population):
    from console.dashboard import snapshot

    result = app.test_cli_runner().invoke(args=["console", "dashboard", "refresh"])
    assert result.exit_code == 0, result.output
    assert "8 users" in result.output
    current = snapshot.load()
    assert current is not None and current.users.total == 8
    assert {r.name: r.members for r in current.users.roles}["Support"] == 2
