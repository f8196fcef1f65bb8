"""The security center and the profile page: parse, authorize, call one flow, render."""

from __future__ import annotations

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ..core import links, nav, sections
from ..core.freshness import fresh_for_changes
from ..core.guards import signed_in
from ..core.htmx import is_htmx, render_page_or_fragment
from . import devices, flows, new_device
from .forms import NotMeForm, ProfileForm
from .summary import summarize

bp = Blueprint("account", __name__)

# The account's own pages other features provide; linked from the center when they exist
# (passkeys from their own section), and never listed a second time among the other pages.
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


# Why a "this wasn't me" link is refused, in words for the person who followed it.
LINK_REFUSALS = {
    "invalid": _l("This link is not valid. Check that you opened the whole link from the mail."),
    "expired": _l(
        "This link has expired. If you do not recognise a recent sign-in, reset your password "
        "from the sign-in page and end your other sessions."
    ),
    "used": _l("This link was already used, or a newer notice replaced it."),
}


@bp.route("/not-me/<token>", methods=["GET", "POST"])
def not_me(token: str) -> Any:
    """The link of a new-device notice: GET explains (mail scanners fetch links, so it
    changes nothing), the button posts and ends every session and sends a password reset."""
    form = NotMeForm()
    try:
        if form.validate_on_submit():
            _, reset_sent = new_device.report(token)
            return render_template("account/not_me.html", done=True, reset_sent=reset_sent)
        _, device = new_device.check_link(token)
    except new_device.LinkRefused as refused:
        page = render_template("account/not_me.html", refusal=LINK_REFUSALS[refused.code])
        return page, 400
    return render_template(
        "account/not_me.html",
        form=form,
        device=devices.describe(device.fingerprint),
        when=device.notified_at,
    )


def _related_pages() -> dict[str, str]:
    found = {key: links.url_for(f"account.{key}") for key in RELATED_PAGES}
    return {key: url for key, url in found.items() if url}
