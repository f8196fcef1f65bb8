"""Answers Flask-Security would give that end a session on GET or reveal an account."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user
from flask_security.forms import _build_form_from_request
from flask_security.utils import do_flash, get_message, url_for_security


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


def same_answer_for_unknown_username_recovery() -> Any:
    """An unknown address asking for its username is answered like a known one.

    Flask-Security (5.9, generic responses on) redirects a known address to the sign-in page
    but shows the form again for an unknown one, so the status code reveals the account.
    """
    if (
        request.method != "POST"
        or request.endpoint != "security.recover_username"
        or request.is_json
        or not current_app.config.get("SECURITY_RETURN_GENERIC_RESPONSES")
    ):
        return None
    form = _build_form_from_request("username_recovery_form")
    if form.validate_on_submit():
        return None  # a known address: Flask-Security sends the mail and redirects
    not_found = get_message("USER_DOES_NOT_EXIST")[0]
    if set(form.errors) == {"email"} and all(e == not_found for e in form.errors["email"]):
        do_flash(*get_message("USERNAME_RECOVERY_REQUEST"))
        return redirect(url_for_security("login"))
    return None
