"""The operators' webhook pages: the endpoints, a new one (its secret shown once), one
endpoint's deliveries, and pausing, resuming, deleting (after a confirmation) and retrying.
Views parse, call one flow, render."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from ..core.admin import PermissionMixin
from ..settings import setting
from . import flows
from .errors import WebhookError
from .forms import EndpointForm, actions_by_group
from .models import PENDING, WebhookEndpoint

ENDPOINT = "webhooks"
# Which form field a refusal of the flow belongs to.
FIELD_OF = {
    "url": "url",
    "unresolved": "url",
    "private": "url",
    "description": "description",
    "no_events": "event_types",
    "unknown_event": "event_types",
}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _actor() -> Any:
    return current_user._get_current_object()


class WebhooksAdmin(PermissionMixin, BaseView):
    """Webhook endpoints, for holders of webhooks:manage."""

    permission = flows.PERMISSION

    def is_visible(self) -> bool:
        # The console's own navigation lists this page.
        return False

    def _endpoint_or_404(self, endpoint_id: int) -> WebhookEndpoint:
        found = flows.find_endpoint(_actor(), endpoint_id)
        if found is None:
            abort(404)
        return found

    @expose("/")
    def index(self) -> Any:
        """Every endpoint with its state and what waits for it."""
        return render_template(
            "webhooks/list.html",
            summaries=flows.list_endpoints(_actor()),
            type_label=flows.event_type_label,
        )

    def _form_page(self, form: EndpointForm, status: int = 200) -> Any:
        return render_template(
            "webhooks/new.html",
            form=form,
            groups=flows.groups(),
            by_group=actions_by_group(),
            chosen=set(form.event_types.data or ()),
        ), status

    @expose("/new/", methods=("GET", "POST"))
    def new_view(self) -> Any:
        """The form; a valid POST registers the endpoint and shows its secret, once."""
        form = EndpointForm()
        if request.method != "POST":
            return self._form_page(form)
        if not form.validate_on_submit():
            return self._form_page(form, 400)
        try:
            endpoint, secret = flows.create_endpoint(
                _actor(),
                url=form.url.data or "",
                description=form.description.data or "",
                event_types=form.event_types.data or [],
            )
        except WebhookError as error:
            getattr(form, FIELD_OF.get(error.code, "url")).errors.append(str(error))
            return self._form_page(form, 400)
        response = render_template(
            "webhooks/created.html",
            endpoint=endpoint,
            secret=secret,
            type_label=flows.event_type_label,
        )
        return response, 200, {"Cache-Control": "no-store"}

    @expose("/<int:endpoint_id>/")
    def detail_view(self, endpoint_id: int) -> Any:
        """One endpoint: its settings, its deliveries newest first (keyset pages)."""
        endpoint = self._endpoint_or_404(endpoint_id)
        size = int(setting("CONSOLE_PAGE_SIZE"))
        before = _int(request.args.get("before"))
        rows = flows.deliveries(_actor(), endpoint, before=before, limit=size + 1)
        return render_template(
            "webhooks/detail.html",
            endpoint=endpoint,
            deliveries=rows[:size],
            before=before,
            next_before=rows[size - 1].id if len(rows) > size else None,
            head_id=flows.head_id(endpoint),
            pending=PENDING,
            type_label=flows.event_type_label,
        )

    @expose("/<int:endpoint_id>/disable/", methods=("POST",))
    def disable_view(self, endpoint_id: int) -> Any:
        """Pause the endpoint."""
        endpoint = self._endpoint_or_404(endpoint_id)
        if flows.set_enabled(_actor(), endpoint, False):
            flash(_("The endpoint is paused; new events are not queued for it."), "success")
        return redirect(self.get_url(".detail_view", endpoint_id=endpoint_id))

    @expose("/<int:endpoint_id>/enable/", methods=("POST",))
    def enable_view(self, endpoint_id: int) -> Any:
        """Resume the endpoint; what waits for it goes out."""
        endpoint = self._endpoint_or_404(endpoint_id)
        if flows.set_enabled(_actor(), endpoint, True):
            flash(_("The endpoint is active again."), "success")
        return redirect(self.get_url(".detail_view", endpoint_id=endpoint_id))

    @expose("/<int:endpoint_id>/delete/", methods=("GET", "POST"))
    def delete_view(self, endpoint_id: int) -> Any:
        """Ask first; the confirmed POST deletes the endpoint and its deliveries."""
        endpoint = self._endpoint_or_404(endpoint_id)
        back = self.get_url(".detail_view", endpoint_id=endpoint_id)
        if request.method != "POST" or request.form.get("confirm") != "yes":
            return render_template("webhooks/confirm_delete.html", endpoint=endpoint, back=back)
        flows.delete_endpoint(_actor(), endpoint)
        flash(_("The endpoint was deleted."), "success")
        return redirect(self.get_url(".index"))

    @expose("/deliveries/<int:delivery_id>/retry/", methods=("POST",))
    def retry_view(self, delivery_id: int) -> Any:
        """Try a waiting delivery again now."""
        found = flows.find_delivery(_actor(), delivery_id)
        if found is None:
            abort(404)
        back = self.get_url(".detail_view", endpoint_id=found.endpoint_id)
        try:
            flows.retry_delivery(_actor(), found)
        except WebhookError as error:
            flash(str(error), "error")
        else:
            flash(_("The delivery is being tried again."), "success")
        return redirect(back)
