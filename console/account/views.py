"""The security center and the profile page: parse, authorize, call one flow, render."""

from __future__ import annotations

import base64
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import url_for_security
from flask_security.proxies import _security
from markupsafe import Markup

from ..core import factors, links, nav, sections
from ..core.errors import render_error, wants_json
from ..core.freshness import fresh_for_changes
from ..core.guards import signed_in
from ..core.htmx import is_htmx, render_page_or_fragment
from . import flows
from .forms import ProfileForm
from .summary import summarize

bp = Blueprint("account", __name__)

# The account's own pages other features provide; linked from the center when they exist.
RELATED_PAGES = ("sessions", "activity", "passkeys")


@bp.get("/")
@signed_in
def security() -> Any:
    """The whole security state of the signed-in account on one page."""
    user = flows.real(current_user)
    return render_template(
        "account/security.html",
        summary=summarize(user),
        related=_related_pages(),
        more=[i for i in nav.visible("account") if not i.endpoint.startswith("account.")],
        account_sections=[
            (section, Markup(render_template(section.template, **section.context(user))))  # noqa: S704 - autoescaped template output
            for section in sections.visible("account")
        ],
        user=user,
    )


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
@fresh_for_changes
def profile() -> Any:
    """Display name, language and time zone; the email address changes elsewhere."""
    user = flows.real(current_user)
    form = ProfileForm(obj=user) if request.method == "GET" else ProfileForm()
    saved = False
    if form.validate_on_submit():
        changes = flows.update_profile(user, form.profile_values())
        saved = True
        message = _("Your profile was saved.") if changes else _("Nothing to change.")
        if not is_htmx():
            flash(message, "success")
            return redirect(url_for("account.profile"))
    response = render_page_or_fragment(
        "account/profile.html", "account/_profile_form.html", form=form, saved=saved, user=user
    )
    if form.errors:
        response.status_code = 422 if is_htmx() else 200
    return response


@bp.get("/second-factor-added")
@signed_in
def factor_added() -> Any:
    """Where Flask-Security sends the user after a two-factor change: a first factor
    should come with recovery codes, so that is the next step."""
    user = flows.real(current_user)
    if factors.has_second_factor(user) and not _security.mf_recovery_codes_util.remaining(user):
        flash(_("Now generate recovery codes, in case you lose your second factor."), "info")
        return redirect(url_for_security("mf_recovery_codes"))
    return redirect(url_for("account.security"))


def recovery_codes_guard() -> Any:
    """Recovery codes are shown once, when made: Flask-Security would show them again on
    GET /mf-recovery-codes?show_codes and in its JSON answer to a GET."""
    if request.endpoint != "security.mf_recovery_codes" or request.method != "GET":
        return None
    if wants_json():
        return render_error(403)
    if "show_codes" in request.args:
        return redirect(url_for_security("mf_recovery_codes"))
    return None


def b64encode(text: str) -> str:
    """Base64 of `text` as UTF-8, for data: links (the recovery codes download)."""
    return base64.b64encode(str(text).encode()).decode("ascii")


def _related_pages() -> dict[str, str]:
    found = {key: links.url_for(f"account.{key}") for key in RELATED_PAGES}
    return {key: url for key, url in found.items() if url}
