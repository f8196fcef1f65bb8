"""Notices to the account holder after a change to their account's security, with a link to
their security center; the text of each is the one its action declares (console.core.actions).
Sent by the profile and email flows here, and by the flows of other features that change
an account's security on its holder's behalf (second factors, API tokens)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_security import naive_utcnow

from ..core import actions
from ..core.notify import Phrase, notify


def send_notice(user: Any, action: str, recipient: str | None = None, **values: Any) -> None:
    """Mail `user` (or `recipient`) the notice `action` declares; a mail failure is kept
    for a retry and never undoes the change."""
    declared = actions.get(action)
    notify(
        user,
        "account/notice",
        declared.notice_subject or _l("A change to your account"),
        recipient=recipient,
        message=Phrase(declared.notice, **values),
        when=naive_utcnow(),
        center_url=_center_url(),
    )


def _center_url() -> str:
    # Outside a request (a job, the CLI) without SERVER_NAME no absolute link can be built.
    try:
        return url_for("account.security", _external=True)
    except RuntimeError:
        return ""
