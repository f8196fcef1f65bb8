"""GET requests that Flask-Security would let end a session: answered without side effects."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, session, url_for
from flask_login import current_user


def no_sign_out_on_get() -> Any:
    """A signed-in user opening /tf-validate outside a factor change is sent home.

    Flask-Security signs the user out there ("illegal state"), so a link or image on any
    other site could sign a user out with a GET.
    """
    if (
        request.method == "GET"
        and request.endpoint == "security.two_factor_token_validation"
        and current_user.is_authenticated
        and session.get("tf_state") != "validating_profile"
    ):
        return redirect(url_for("console.home"))
    return None
