"""The new-device sign-in notice: told once for a browser and network the account has not
used recently, never for a known one or the first sign-in, at most once per interval; its
"this wasn't me" link ends every session and sends a password reset, once."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.account.helpers import PASSWORD, is_signed_in, page_text
from tests.support.events import actions

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
FIREFOX_NEWER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:129.0) Gecko/20100101 Firefox/129.0"
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
)
HOME, OFFICE, CAFE = "203.0.113.5", "198.51.100.7", "2001:db8:1:2::9"
SUBJECT = "New sign-in to your account"


def sign_in(app: Flask, email: str, agent: str, ip: str) -> FlaskClient:
    """A fresh browser with `agent` at `ip`, signed in as `email`."""
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": ip, "HTTP_USER_AGENT": agent})
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, page_text(response)
    return client


def notices(outbox: Any) -> list[Any]:
    return [m for m in outbox() if m.subject == SUBJECT]


def link_path(message: Any) -> str:
    found = re.search(r"https?://[^\s\"'<>]*(/account/not-me/[^\s\"'<>]+)", message.body_text)
    assert found, message.body_text
    return found.group(1)


def devices_of(user: Any) -> list[Any]:
    from console.account.models import KnownDevice
    from console.extensions import db

    db.session.expire_all()
    stmt = sa.select(KnownDevice).where(KnownDevice.user_id == user.id).order_by(KnownDevice.id)
    return list(db.session.scalars(stmt))


def age_devices(user: Any, **fields: timedelta) -> None:
    """Move the user's device dates back: age_devices(user, last_seen_at=timedelta(days=91))."""
    from console.extensions import db

    for device in devices_of(user):
        for name, back in fields.items():
            if getattr(device, name) is not None:
                setattr(device, name, getattr(device, name) - back)
    db.session.commit()


def test_the_first_sign_in_of_an_account_sends_nothing(app, member, outbox):
    sign_in(app, member.email, FIREFOX, HOME)
    assert notices(outbox) == []
    (device,) = devices_of(member)
    assert (device.fingerprint, device.network) == ("Firefox|Windows", "203.0.113.0/24")


def test_a_new_device_is_told_once_with_its_place_time_and_link(
    app, member, outbox, events, monkeypatch
):
    from console.account import devices
    from console.extensions import db

    class FakeGeoIP:
        def get(self, ip: str) -> dict[str, Any]:
            assert ip == OFFICE
            city = {"names": {"en": "Lyon", "ja": "リヨン"}}
            return {"city": city, "country": {"names": {"en": "France", "de": "Frankreich"}}}

    app.config["CONSOLE_GEOIP_DATABASE"] = "/srv/geoip/GeoLite2-City.mmdb"
    monkeypatch.setattr(devices, "_reader", lambda path: FakeGeoIP())
    member.timezone = "Asia/Tokyo"
    db.session.commit()

    sign_in(app, member.email, FIREFOX, HOME)
    sign_in(app, member.email, SAFARI, OFFICE)

    (notice,) = notices(outbox)
    assert notice.recipient_list() == [member.email]
    body = notice.body_text
    assert "Safari 17 on Mac OS X 14.5" in body
    assert "Approximate place: Lyon, France" in body
    assert OFFICE in body
    assert "JST" in body  # the time in the account holder's zone
    assert "/account/not-me/" in body and "/account/not-me/" in notice.body_html
    assert actions(events).count("account.new_device.notified") == 1
    assert len(devices_of(member)) == 2


def test_no_place_without_a_readable_geoip_database(app, member, outbox, tmp_path):
    app.config["CONSOLE_GEOIP_DATABASE"] = str(tmp_path / "missing.mmdb")
    sign_in(app, member.email, FIREFOX, HOME)
    sign_in(app, member.email, SAFARI, OFFICE)
    (notice,) = notices(outbox)
    assert "Approximate place" not in notice.body_text


def test_a_known_device_is_not_told_even_after_an_update_on_the_same_network(app, member, outbox):
    sign_in(app, member.email, FIREFOX, HOME)
    sign_in(app, member.email, FIREFOX_NEWER, "203.0.113.77")
    sign_in(app, member.email, FIREFOX, HOME)
    assert notices(outbox) == []
    assert len(devices_of(member)) == 1


def test_a_known_browser_on_a_new_network_is_told(app, member, outbox):
    sign_in(app, member.email, FIREFOX, HOME)
    sign_in(app, member.email, FIREFOX, CAFE)
    assert len(notices(outbox)) == 1
    assert {d.network for d in devices_of(member)} == {"203.0.113.0/24", "2001:db8:1::/48"}


def test_at_most_one_notice_per_interval(app, member, outbox):
    sign_in(app, member.email, FIREFOX, HOME)
    sign_in(app, member.email, SAFARI, OFFICE)
    sign_in(app, member.email, CHROME_ANDROID, CAFE)
    assert len(notices(outbox)) == 1
    # Remembered all the same: the same device later is known.
    assert len(devices_of(member)) == 3

    age_devices(member, notified_at=timedelta(hours=2))
    sign_in(app, member.email, CHROME_ANDROID, "192.0.2.44")
    assert len(notices(outbox)) == 2


def test_a_device_unused_for_the_window_is_new_again(app, member, outbox):
    sign_in(app, member.email, FIREFOX, HOME)
    age_devices(member, last_seen_at=timedelta(days=91))
    sign_in(app, member.email, FIREFOX, HOME)
    assert len(notices(outbox)) == 1


def test_the_purge_forgets_old_devices_but_keeps_the_latest(app, member):
    from console.account import new_device

    sign_in(app, member.email, FIREFOX, HOME)
    sign_in(app, member.email, SAFARI, OFFICE)
    age_devices(member, last_seen_at=timedelta(days=200))
    # Nudge one to be the latest: it stays, so the account is still known to have signed in.
    latest = devices_of(member)[1]
    latest.last_seen_at += timedelta(days=1)
    from console.extensions import db

    db.session.commit()
    assert new_device.purge_everything() == 1
    assert [d.id for d in devices_of(member)] == [latest.id]


@pytest.mark.settings(CONSOLE_NEW_DEVICE_NOTICE=False)
def test_the_notice_can_be_turned_off(app, member, outbox):
    sign_in(app, member.email, FIREFOX, HOME)
    sign_in(app, member.email, SAFARI, OFFICE)
    assert notices(outbox) == []
    assert devices_of(member) == []


def test_this_was_not_me_ends_every_session_and_sends_a_reset_once(app, member, outbox, events):
    home = sign_in(app, member.email, FIREFOX, HOME)
    intruder = sign_in(app, member.email, SAFARI, OFFICE)
    path = link_path(notices(outbox)[0])

    # Opening the link changes nothing (mail scanners fetch links): it offers the button.
    browser = app.test_client()
    page = browser.get(path)
    assert page.status_code == 200
    assert "Safari on Mac OS X" in page_text(page)
    assert is_signed_in(home) and is_signed_in(intruder)

    done = browser.post(path)
    assert done.status_code == 200, page_text(done)
    assert 'data-testid="not-me-done"' in page_text(done)
    assert not is_signed_in(home) and not is_signed_in(intruder)
    resets = [m for m in outbox() if "/reset/" in m.body_text]
    assert len(resets) == 1 and resets[0].recipient_list() == [member.email]
    assert actions(events).count("account.new_device.reported") == 1
    # The reported device is forgotten: signing in from it again is told again (later).
    assert [d.fingerprint for d in devices_of(member)] == ["Firefox|Windows"]

    again = browser.post(path)
    assert again.status_code == 400
    assert "already used" in page_text(again)
    assert len([m for m in outbox() if "/reset/" in m.body_text]) == 1


@pytest.mark.parametrize("token", ["garbage", "eyJhIjoxfQ.ZZZZZZ.tampered-signature"])
def test_a_tampered_link_is_refused_with_a_clear_page(app, member, token):
    client = app.test_client()
    for response in (
        client.get(f"/account/not-me/{token}"),
        client.post(f"/account/not-me/{token}"),
    ):
        assert response.status_code == 400
        assert 'data-testid="link-refused"' in page_text(response)
        assert "not valid" in page_text(response)


def test_a_link_signed_for_another_device_is_refused(app, member, outbox):
    from console.account import new_device

    sign_in(app, member.email, FIREFOX, HOME)
    sign_in(app, member.email, SAFARI, OFFICE)
    notice_device = devices_of(member)[1]
    forged = new_device.make_token(member.id, devices_of(member)[0].id, notice_device.notified_at)
    response = app.test_client().post(f"/account/not-me/{forged}")
    assert response.status_code == 400 and "already used" in page_text(response)


def test_an_expired_link_is_refused_with_a_clear_page(app, member, outbox, monkeypatch):
    from itsdangerous import TimestampSigner

    sign_in(app, member.email, FIREFOX, HOME)
    stamp = TimestampSigner.get_timestamp
    eight_days = int(timedelta(days=8).total_seconds())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: stamp(self) - eight_days)
    sign_in(app, member.email, SAFARI, OFFICE)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", stamp)
    path = link_path(notices(outbox)[0])

    home = sign_in(app, member.email, FIREFOX, HOME)
    response = app.test_client().post(path)
    assert response.status_code == 400
    assert "expired" in page_text(response)
    assert is_signed_in(home)
