"""The operators' CSV import pages: upload, the dry run's preview, then apply as a job.

A long file is checked by a job: its preview shows the check's progress, refreshed by HTMX
polling (a meta refresh inside <noscript> without JavaScript), as the jobs page does, and
the counts, the first errors and Apply once the check is done."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from ..core import links, policy
from ..core.admin import PermissionMixin
from ..core.htmx import is_htmx
from ..jobs import flows as jobs_flows
from ..jobs.admin import POLL_SECONDS
from ..settings import setting
from . import flows, upload
from .errors import UploadError, text
from .forms import UploadForm
from .models import ImportUpload

ENDPOINT = "imports"


class ImportAdmin(PermissionMixin, BaseView):
    """Import users from CSV: for holders of users:write (roles:write for rows with roles,
    asked per row by the flows)."""

    permission = "users:write"

    def is_visible(self) -> bool:
        # Reached from the users list, not from the navigation.
        return False

    def _upload_or_404(self, upload_id: int) -> ImportUpload:
        found = flows.find(current_user._get_current_object(), upload_id)
        if found is None:
            abort(404)
        return found

    def _form_page(self, form: UploadForm, error: str | None = None, status: int = 200) -> Any:
        return render_template(
            "imports/upload.html",
            form=form,
            error=error,
            columns=upload.COLUMNS,
            separator=upload.ROLE_SEPARATOR,
            max_bytes=upload._size_text(int(setting("CONSOLE_IMPORT_MAX_BYTES"))),
            max_rows=int(setting("CONSOLE_IMPORT_MAX_ROWS")),
            languages=setting("CONSOLE_LANGUAGES"),
        ), status

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        """The upload form; a posted file is stored and dry-run (a long one by a job), then
        previewed."""
        form = UploadForm(request.form)
        if request.method != "POST":
            return self._form_page(form)
        stream = request.files.get("file")
        if stream is None or not stream.filename:
            return self._form_page(form, text("no_file"), 400)
        try:
            stored = flows.store(
                stream.stream,
                filename=stream.filename,
                actor=current_user._get_current_object(),
                invite=bool(form.invite.data),
            )
        except UploadError as error:
            return self._form_page(form, str(error), 400)
        return redirect(self.get_url(".preview", upload_id=stored.id))

    @expose("/<int:upload_id>/")
    def preview(self, upload_id: int) -> Any:
        """The dry run: counts, the first rows with errors, Apply and Cancel; while a check
        job runs, its progress (the progress alone for an HTMX poll, which reloads the page
        once the check has ended)."""
        found = self._upload_or_404(upload_id)
        if found.job_id is not None:
            return redirect(links.url_for("job", found.job_id) or self.get_url(".index"))
        check = flows.check_job(found)
        checked = flows.checked(found)
        if is_htmx() and request.args.get("poll"):
            body = ""
            if check is not None:
                body = render_template(
                    "imports/_check.html", upload=found, job=check, poll_seconds=POLL_SECONDS
                )
            response = make_response(body)
            response.headers.add("Vary", "HX-Request")
            if checked or check is None or not check.active:
                response.headers["HX-Refresh"] = "true"
            return response
        errors = (found.preview or {}).get("errors", []) if checked else []
        counts = flows.counts(found)
        problems = counts[flows.INVALID] + counts[flows.REFUSED]
        actor = current_user._get_current_object()
        response = make_response(
            render_template(
                "imports/preview.html",
                upload=found,
                checked=checked,
                check=check,
                poll_seconds=POLL_SECONDS,
                check_url=(
                    links.url_for("job", check)
                    if check is not None and jobs_flows.may_see(actor, check)
                    else None
                ),
                counts=counts,
                errors=errors,
                more=max(0, problems - len(errors)),
                can_apply=flows.would_change(found),
            )
        )
        response.headers.add("Vary", "HX-Request")
        return response

    @expose("/<int:upload_id>/apply/", methods=("POST",))
    def apply_view(self, upload_id: int) -> Any:
        """Start the job; its page shows the progress and the report."""
        found = self._upload_or_404(upload_id)
        back = self.get_url(".preview", upload_id=found.id)
        if not flows.checked(found):
            flash(text("checking"), "info")
            return redirect(back)
        if not flows.would_change(found):
            flash(_("Nothing in this file would change an account."), "info")
            return redirect(back)
        try:
            job = flows.apply(
                current_user._get_current_object(),
                found,
                invite=request.form.get("invite") == "yes",
            )
        except (UploadError, policy.PolicyError) as error:
            flash(str(error), "error")
            return redirect(back)
        flash(_("The import runs as a job; its progress is below."), "success")
        return redirect(links.url_for("job", job) or back)

    @expose("/<int:upload_id>/cancel/", methods=("POST",))
    def cancel_view(self, upload_id: int) -> Any:
        """Forget the upload (stopping its check job); no account was touched."""
        found = self._upload_or_404(upload_id)
        try:
            flows.discard(current_user._get_current_object(), found)
        except (UploadError, policy.PolicyError) as error:
            flash(str(error), "error")
            return redirect(self.get_url(".preview", upload_id=upload_id))
        flash(_("The import was cancelled; nothing was changed."), "info")
        return redirect(url_for("users.index_view"))
