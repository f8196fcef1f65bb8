"""Recovery codes: made with the first factor, shown once, downloadable, each usable once."""

from __future__ import annotations

import base64
import re

import pytest

from tests.account.helpers import is_signed_in, page_text, sign_out
from tests.mfa.helpers import enrol_totp, generate_recovery_codes, password_step
from tests.support.concurrency import simultaneous
from tests.support.events import actions


@pytest.fixture
def codes(member_client):
    enrol_totp(member_client)
    return generate_recovery_codes(member_client)


def _stored(member):
    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    return db.session.get(User, member.id).mf_recovery_codes or []


def _warnings(body):
    return set(re.findall(r'data-warning="([a-z_]+)"', body))


def test_after_setup_the_user_is_sent_to_make_recovery_codes(member_client):
    enrol_totp(member_client)
    response = member_client.get("/account/second-factor-added")
    assert response.headers["Location"].endswith("/mf-recovery-codes")
    generate_recovery_codes(member_client)
    response = member_client.get("/account/second-factor-added")
    assert response.headers["Location"].endswith("/account/")


def test_recovery_codes_clear_their_warning(member_client):
    enrol_totp(member_client)
    generate_recovery_codes(member_client)
    body = page_text(member_client.get("/account/"))
    assert "no_recovery_codes" not in _warnings(body)
    assert "10 left" in body


def test_the_center_warns_when_few_codes_are_left(member_client, member, codes):
    from flask_security.proxies import _security

    from console.extensions import db
    from console.models import User

    user = db.session.get(User, member.id)
    for code in codes[:8]:
        assert _security.mf_recovery_codes_util.check_recovery_code(user, code)
    db.session.commit()
    body = page_text(member_client.get("/account/"))
    assert "2 left" in body
    assert "few_recovery_codes" in _warnings(body)
    assert "no_recovery_codes" not in _warnings(body)


def test_codes_are_shown_once_with_a_text_download(member_client, member, events, outbox):
    enrol_totp(member_client)
    response = member_client.post("/mf-recovery-codes", data={"generate_new_codes": "1"})
    body = page_text(response)
    shown = re.findall(r"<li data-code>([0-9a-f-]+)</li>", body)
    assert len(shown) == 10
    link = re.search(
        r'download="recovery-codes.txt" href="data:text/plain;charset=utf-8;base64,([^"]+)"', body
    )
    text = base64.b64decode(link.group(1)).decode()
    assert all(code in text for code in shown)
    assert "mfa.recovery_codes.generated" in actions(events)
    assert any("recovery codes were generated" in m.subject for m in outbox())
    # Encrypted at rest.
    stored = ",".join(_stored(member))
    assert not any(code in stored for code in shown)


def test_codes_are_never_shown_again(member_client, codes):
    for path in ("/mf-recovery-codes", "/mf-recovery-codes?show_codes=1", "/account/", "/tf-setup"):
        body = page_text(member_client.get(path, follow_redirects=True))
        assert not any(code in body for code in codes), path
    as_json = member_client.get("/mf-recovery-codes", headers={"Accept": "application/json"})
    assert as_json.status_code == 403
    assert not any(code in page_text(as_json) for code in codes)


def test_the_center_counts_remaining_codes(member_client, codes):
    body = page_text(member_client.get("/account/"))
    assert "10 left" in body


def test_new_codes_replace_the_old_ones(member_client, member, codes):
    fresh = generate_recovery_codes(member_client)
    assert set(fresh).isdisjoint(codes)
    sign_out(member_client)
    password_step(member_client, member.email)
    old = member_client.post("/mf-recovery", data={"code": codes[0]})
    assert old.status_code == 200 and not is_signed_in(member_client)
    assert member_client.post("/mf-recovery", data={"code": fresh[0]}).status_code == 302


def test_a_code_signs_in_once(member_client, member, codes, events, outbox):
    sign_out(member_client)
    password_step(member_client, member.email)
    assert member_client.post("/mf-recovery", data={"code": codes[3]}).status_code == 302
    assert is_signed_in(member_client)
    assert "mfa.recovery_code.used" in actions(events)
    assert any("recovery code was used" in m.subject for m in outbox())
    assert len(_stored(member)) == 9
    sign_out(member_client)
    password_step(member_client, member.email)
    again = member_client.post("/mf-recovery", data={"code": codes[3]})
    assert again.status_code == 200
    assert not is_signed_in(member_client)


def test_codes_are_forgiving_about_case_spaces_and_dashes(member_client, member, codes):
    sign_out(member_client)
    password_step(member_client, member.email)
    typed = " " + codes[5].upper().replace("-", "") + " "
    assert member_client.post("/mf-recovery", data={"code": typed}).status_code == 302


@pytest.mark.settings(CONSOLE_LOCKOUT_THRESHOLD=1000)
def test_bad_codes_are_refused_without_an_error(member_client, member, codes):
    full_width = "".join(
        chr(0xFF10 + int(c)) if c.isdigit() else chr(0xFF41 + ord(c) - 97) if c != "-" else c
        for c in codes[0]
    )
    bad = ["", "   ", codes[0] * 50, full_width, "zzzz-zzzz-zzzz", "0000-0000-0000", "\x00" * 14]
    sign_out(member_client)
    password_step(member_client, member.email)
    for value in bad:
        response = member_client.post("/mf-recovery", data={"code": value})
        assert response.status_code in (200, 400), (value, page_text(response))
        assert not is_signed_in(member_client), value
    json_response = member_client.post("/mf-recovery", json={"code": codes[0] * 50})
    assert json_response.status_code == 400
    assert len(_stored(member)) == 10


def test_spending_is_atomic_when_both_reads_are_stale(app, member, codes, stale):
    """Two requests that both found the code: the conditional UPDATE lets one spend it."""
    from flask_security.proxies import _security

    from console.extensions import db

    util = _security.mf_recovery_codes_util
    first = util.check_recovery_code(member, codes[1])
    # The second request read the list before the first one wrote: it compares against
    # the old stored text, which is no longer there.
    original = util._stored_raw
    util._stored_raw = lambda user: ",".join(stale)
    try:
        second = util.check_recovery_code(member, codes[1])
    finally:
        util._stored_raw = original
    db.session.commit()
    assert [first, second] == [True, False]


@pytest.fixture
def stale(app, member, codes):
    from console.extensions import db
    from console.models import User

    db.session.expire_all()
    return list(db.session.get(User, member.id).mf_recovery_codes)


def test_two_concurrent_spends_exactly_one_succeeds(app, member, codes):
    from flask_security.proxies import _security

    util = _security.mf_recovery_codes_util
    results = simultaneous(app, member.id, lambda user: util.check_recovery_code(user, codes[2]))
    assert results == [False, True]
    assert len(_stored(member)) == 9
