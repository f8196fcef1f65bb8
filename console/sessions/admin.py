"""Operators' Sessions view: every live session across users, filtered, keyset-paged, ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..core import policy
from ..core.admin import PermissionMixin
from ..core.htmx import hx_redirect, is_htmx, render_page_or_fragment
from ..core.permissions import has_permission
from ..core.redirects import next_url
from ..mixins import ConsoleUserMixin
from ..settings import setting
from . import flows, labels, store

ENDPOINT = "sessions_admin"


def _cursor(raw: str | None) -> tuple[datetime, int] | None:
    """'2026-11-22T10:00:00.123456_42' -> (last_seen, id); anything else is no cursor."""
    if not raw:
        return None
    seen, _sep, record_id = raw.rpartition("_")
    try:
        return datetime.fromisoformat(seen), int(record_id)
    except ValueError:
        return None


class SessionsAdmin(PermissionMixin, BaseView):
    """Live sessions of every user; ending them needs sessions:revoke."""

    permission = "sessions:read"

    def is_visible(self) -> bool:
        # The console's own navigation lists this page.
        return False

    @expose("/")
    def index(self) -> Any:
        args = request.args
        filters = store.Filters(
            email=args.get("email", "")[:255],
            ip=args.get("ip", "")[:64],
            age=args.get("age", "") if args.get("age", "") in store.AGES else "",
            method=args.get("method", "") if args.get("method", "") in labels.METHODS else "",
        )
        size = int(setting("CONSOLE_PAGE_SIZE"))
        before = _cursor(args.get("before"))
        if args.get("before") and before is None:
            flash(_("That page link is no longer valid; showing the first page."), "warning")
        rows = store.live_page(
            filters, store.now(), flows.idle_timeout(), limit=size + 1, before=before
        )
        next_cursor = None
        if len(rows) > size:
            last = rows[size - 1]
            next_cursor = f"{last.last_seen_at.isoformat()}_{last.id}"
        return render_page_or_fragment(
            "sessions/admin_list.html",
            "sessions/_admin_rows.html",
            rows=rows[:size],
            filters=filters,
            next_cursor=next_cursor,
            ages=store.AGES,
            methods=labels.METHODS,
            can_revoke=has_permission("sessions:revoke"),
            protected=policy.outranking_ids(
                current_user._get_current_object(), {row.user_id for row in rows[:size]}
            ),
            current_session=flows.current(),
        )

    @expose("/end", methods=["POST"])
    def end(self) -> Any:
        """End the sessions named by `key` (one or many); a confirmation page comes first."""
        if not has_permission("sessions:revoke"):
            abort(403)
        back = next_url(url_for(f"{ENDPOINT}.index"))
        keys = [k[:16] for k in request.form.getlist("key") if k][:500]
        records = flows.sessions_by_keys(keys)
        if not records:
            flash(_("Choose at least one session to end."), "warning")
            return hx_redirect(back) if is_htmx() else redirect(back)
        if request.form.get("confirmed") != "1":
            return render_template("sessions/confirm_end.html", records=records, back=back)
        count, refusals = flows.end_sessions(records, actor=current_user._get_current_object())
        if count or not refusals:
            flash(ngettext("Ended %(num)d session.", "Ended %(num)d sessions.", count), "success")
        for refusal in refusals:
            flash(refusal, "error")
        return hx_redirect(back) if is_htmx() else redirect(back)

    @expose("/tokens/<family>/revoke", methods=["POST"])
    def revoke_token(self, family: str) -> Any:
        """Revoke one API refresh-token family of any user."""
        if not has_permission("sessions:revoke"):
            abort(403)
        tracker = flows.find_family(family[:64])
        if tracker is None or not flows.refresh_tokens_enabled():
            abort(404)
        back = next_url(url_for(f"{ENDPOINT}.index"))
        try:
            if flows.revoke_family(tracker, actor=current_user._get_current_object()):
                flash(_("The API token was revoked."), "success")
        except policy.PolicyError as error:
            flash(str(error), "error")
        return hx_redirect(back) if is_htmx() else redirect(back)


def user_section_context(user: ConsoleUserMixin) -> dict[str, Any]:
    """What the Sessions section of the operator's user detail page shows."""
    return {
        "sessions_of_user": flows.live_for(user),
        "session_families_of_user": flows.live_families(user),
        "sessions_can_revoke": policy.may(
            current_user._get_current_object(), "sessions:revoke", target=user
        ),
    }
