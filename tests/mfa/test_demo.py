"""Demo keys: made once, shown with their providers, never signing anyone in."""

from __future__ import annotations

import sqlalchemy as sa


def test_demo_keys_are_made_once_and_listed(app, make_user, signed_in_operator):
    from console.extensions import db
    from console.mfa import demo
    from console.models import WebAuthn

    for index in range(6):
        make_user(f"demo{index}@example.com", password=None)
    demo.seed()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(WebAuthn))
    assert count >= 2
    demo.seed()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebAuthn)) == count
    page = signed_in_operator.get("/admin/mfa/").get_data(as_text=True)
    for key in db.session.scalars(sa.select(WebAuthn)):
        assert key.name in page
