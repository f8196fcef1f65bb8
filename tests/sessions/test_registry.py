"""The registry decides every authenticated request: ends, fixation, timeouts, remember-me."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.sessions import store
from tests.conftest import login
from tests.sessions.conftest import FAST_HASHING, PASSWORD, records_of, session_id_of
from tests.support.events import flat

pytestmark = FAST_HASHING


def _signed_in(client) -> bool:
    response = client.get("/account/sessions/")
    return response.status_code == 200


def _sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_in_creates_a_record_holding_only_the_hash(browser_of, member):
    client = browser_of(member)
    sid = session_id_of(client)
    [record] = records_of(member)
    assert record.token_hash == store.digest(sid)
    assert sid not in (record.token_hash, record.key, record.remember_hash)
    assert record.auth_method == "password"
    assert record.second_factor is None
    assert record.ended_at is None
    assert record.expires_at - record.created_at == timedelta(days=14)
    assert _signed_in(client)


def test_a_revoked_session_is_signed_out_on_its_next_request(browser_of, member, events):
    first, second = browser_of(member), browser_of(member)
    assert _signed_in(second)
    second_hash = store.digest(session_id_of(second))
    other = next(r for r in records_of(member) if r.token_hash == second_hash)
    ended = first.post(f"/account/sessions/{other.key}/end")
    assert ended.status_code == 302
    response = second.get("/account/sessions/")
    assert _sent_to_sign_in(response)
    assert not _signed_in(second)
    assert _signed_in(first)
    assert ("session.revoked", other.short_id) in [(a, d.get("session")) for a, d in flat(events)]


def test_a_revoked_sessions_remember_cookie_cannot_sign_back_in(app, browser_of, member):
    first = browser_of(member)
    second = browser_of(member, remember="y")
    cookie = second.get_cookie("remember_token")
    assert cookie is not None and cookie.value.startswith("~")
    assert member.fs_uniquifier not in cookie.value.split("|")[0].split("~")[1]

    # The browser restarts: only the remember cookie is left, and it signs back in.
    second.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert _signed_in(second)
    record = next(r for r in records_of(member) if r.remember_hash)
    assert record.token_hash == store.digest(session_id_of(second))

    first.post("/account/sessions/end-others", data={"confirmed": "1"})
    second.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    response = second.get("/account/sessions/")
    assert _sent_to_sign_in(response)
    assert second.get_cookie("remember_token") is None
    # Replaying the old cookie value changes nothing.
    second.set_cookie("remember_token", cookie.value)
    assert not _signed_in(second)


def test_a_plain_flask_login_remember_cookie_is_refused(app, client, member):
    from flask_login.utils import encode_cookie

    with app.test_request_context():
        forged = encode_cookie(member.fs_uniquifier)
    client.set_cookie("remember_token", forged)
    assert not _signed_in(client)


def test_session_fixation_fails(app, member):
    victim = app.test_client()
    victim.get("/login")
    with victim.session_transaction() as sess:
        sess["_sid"] = "planted-by-an-attacker"
    planted = victim.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert login(victim, member.email, PASSWORD).status_code == 302
    assert session_id_of(victim) != "planted-by-an-attacker"
    assert _signed_in(victim)

    attacker = app.test_client()
    attacker.set_cookie(app.config["SESSION_COOKIE_NAME"], planted)
    assert not _signed_in(attacker)
    [record] = records_of(member)
    assert record.token_hash != store.digest("planted-by-an-attacker")


def test_a_session_without_a_registry_id_is_not_trusted(app, client, member):
    with client.session_transaction() as sess:
        sess["_user_id"] = member.fs_uniquifier
        sess["_fresh"] = True
    assert _sent_to_sign_in(client.get("/account/sessions/"))


@pytest.mark.settings(CONSOLE_SESSION_IDLE_TIMEOUT=timedelta(minutes=30))
def test_idle_timeout(clock, browser_of, member, events):
    client = browser_of(member)
    clock.advance(minutes=29)
    assert _signed_in(client)
    clock.advance(minutes=29)
    assert _signed_in(client)  # the last request counted as activity
    clock.advance(minutes=31)
    assert _sent_to_sign_in(client.get("/account/sessions/"))
    [record] = records_of(member)
    assert record.end_reason == "idle"
    assert ("session.expired", "idle") in [(a, d.get("reason")) for a, d in flat(events)]


@pytest.mark.settings(
    CONSOLE_SESSION_IDLE_TIMEOUT=timedelta(hours=1),
    CONSOLE_SESSION_ABSOLUTE_TIMEOUT=timedelta(hours=3),
)
def test_absolute_timeout_holds_however_active_the_session(clock, browser_of, member):
    client = browser_of(member)
    for _ in range(5):
        clock.advance(minutes=35)
        assert _signed_in(client)
    clock.advance(minutes=20)  # 3 h 15 min after sign-in, last seen 20 min ago
    assert _sent_to_sign_in(client.get("/account/sessions/"))
    [record] = records_of(member)
    assert record.end_reason == "absolute"


def test_last_seen_is_written_at_most_once_per_interval(clock, browser_of, member):
    client = browser_of(member)
    [record] = records_of(member)
    signed_in_at = record.last_seen_at
    clock.advance(seconds=30)
    assert _signed_in(client)
    assert records_of(member)[0].last_seen_at == signed_in_at
    clock.advance(seconds=31)
    assert _signed_in(client)
    assert records_of(member)[0].last_seen_at == clock.moment


def test_deactivating_a_user_ends_their_sessions(app, browser_of, member, operator, events):
    from console.extensions import db
    from console.sessions import flows

    first, second = browser_of(member), browser_of(member)
    assert _signed_in(first) and _signed_in(second)
    app.extensions["security"].datastore.deactivate_user(member)
    ended = flows.end_all_sessions(member, actor=operator, reason="deactivated")
    db.session.commit()
    assert ended == 2
    assert all(r.end_reason == "deactivated" for r in records_of(member))
    assert _sent_to_sign_in(first.get("/account/sessions/"))
    assert _sent_to_sign_in(second.get("/account/sessions/"))
    revoked = [d for a, d in flat(events) if a == "session.revoked"]
    assert len(revoked) == 2 and all(d["actor"] is operator for d in revoked)


def test_a_deactivated_user_is_refused_even_without_the_flow(app, browser_of, member):
    from console.extensions import db

    client = browser_of(member)
    app.extensions["security"].datastore.deactivate_user(member)
    db.session.commit()
    assert _sent_to_sign_in(client.get("/account/sessions/"))
    [record] = records_of(member)
    assert record.end_reason == "deactivated"


def test_the_session_check_is_one_indexed_query(clock, browser_of, member, count_queries):
    client = browser_of(member)
    assert _signed_in(client)
    with count_queries() as counter:
        response = client.get("/account/sessions/")
    assert response.status_code == 200
    checks = [s for s in counter.statements if "user_session.token_hash = " in s]
    assert len(checks) == 1, counter.statements
    assert '"user"' in checks[0] or "user." in checks[0]
    assert not any("fs_uniquifier = " in s or "fs_uniquifier=" in s for s in counter.statements)
    assert not any(s.lstrip().upper().startswith("UPDATE USER_SESSION") for s in counter.statements)


def test_the_lookup_column_has_a_unique_index(app):
    import sqlalchemy as sa

    from console.extensions import db

    inspector = sa.inspect(db.engine)
    unique = {tuple(c["column_names"]) for c in inspector.get_unique_constraints("user_session")}
    unique |= {
        tuple(i["column_names"]) for i in inspector.get_indexes("user_session") if i["unique"]
    }
    assert ("token_hash",) in unique
    assert ("remember_hash",) in unique


def test_sign_out_ends_the_record(browser_of, member, events):
    client = browser_of(member)
    client.post("/logout")
    [record] = records_of(member)
    assert record.end_reason == "signed_out"
    assert "session.signed_out" in [a for a, _ in flat(events)]


def test_a_new_sign_in_on_the_same_browser_replaces_the_old_session(app, browser_of, member):
    client = browser_of(member)
    old = session_id_of(client)
    client.post("/logout")
    assert login(client, member.email, PASSWORD).status_code == 302
    assert session_id_of(client) != old
    live = [r for r in records_of(member) if r.ended_at is None]
    assert len(live) == 1


def test_password_change_ends_the_other_sessions_and_keeps_this_one(browser_of, member, events):
    first, second = browser_of(member), browser_of(member)
    response = first.post(
        "/change",
        data={
            "password": PASSWORD,
            "new_password": "a brand new passphrase 77",
            "new_password_confirm": "a brand new passphrase 77",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _signed_in(first)
    assert _sent_to_sign_in(second.get("/account/sessions/"))
    reasons = {r.end_reason for r in records_of(member) if r.ended_at is not None}
    assert reasons == {"password_changed"}
    assert "session.ended_others" in [a for a, _ in flat(events)]


def test_htmx_request_of_an_ended_session_gets_hx_redirect(browser_of, member):
    first, second = browser_of(member), browser_of(member)
    first.post("/account/sessions/end-others", data={"confirmed": "1"})
    response = second.get("/account/sessions/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "/login" in response.headers["HX-Redirect"]


def test_json_request_of_an_ended_session_gets_401(browser_of, member):
    first, second = browser_of(member), browser_of(member)
    first.post("/account/sessions/end-others", data={"confirmed": "1"})
    response = second.get("/account/sessions/", headers={"Accept": "application/json"})
    assert response.status_code == 401, response.headers.get("Location")


def test_re_authentication_rotates_the_session_id(browser_of, member):
    client = browser_of(member)
    before = session_id_of(client)
    response = client.post("/verify", data={"password": PASSWORD})
    assert response.status_code in (200, 302)
    assert session_id_of(client) != before
    assert _signed_in(client)
    assert len([r for r in records_of(member) if r.ended_at is None]) == 1


def test_purge_deletes_dead_records_and_reports_unseen_expiry(
    app, clock, browser_of, member, events
):
    from console.extensions import db
    from console.sessions.models import SessionRecord

    browser_of(member)
    browser_of(member).post("/logout")
    clock.advance(hours=9)
    fresh = browser_of(member)
    result = app.test_cli_runner().invoke(args=["console", "sessions", "purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 2 session records." in result.output
    remaining = list(db.session.scalars(select(SessionRecord)))
    assert [r.token_hash for r in remaining] == [store.digest(session_id_of(fresh))]
    assert [d["reason"] for a, d in flat(events) if a == "session.expired"] == ["idle"]


@pytest.mark.settings(CONSOLE_SESSION_PURGE_PROBABILITY=1.0)
def test_requests_purge_opportunistically(app, clock, browser_of, member):
    browser_of(member)
    clock.advance(days=15)
    client = app.test_client()
    response = client.get("/login")
    response.close()
    assert records_of(member) == []


@pytest.mark.parametrize(
    ("signal_name", "reason", "extra"),
    [
        ("tf_profile_changed", "mfa_changed", {"method": "authenticator"}),
        ("wan_deleted", "mfa_changed", {"name": "key"}),
        ("change_email_confirmed", "email_changed", {"old_email": "old@example.com"}),
    ],
)
def test_own_factor_and_email_changes_end_the_other_sessions(
    app, browser_of, member, signal_name, reason, extra
):
    from flask import g
    from flask_security import signals

    other = browser_of(member)
    with app.test_request_context("/tf-setup", method="POST"):
        for name in list(vars(g)):
            delattr(g, name)
        from flask_login import login_user

        login_user(member)  # this browser's session, the one that stays
        getattr(signals, signal_name).send(app, user=member, **extra)
    live = [r for r in records_of(member) if r.ended_at is None]
    assert len(live) == 1
    assert [r.end_reason for r in records_of(member) if r.ended_at] == [reason]
    assert _sent_to_sign_in(other.get("/account/sessions/"))
