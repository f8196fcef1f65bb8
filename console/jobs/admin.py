"""The operators' jobs page: recent jobs with their state and progress, one job's report,
and stopping or resuming a job (after a confirmation).

Progress refreshes by HTMX polling while a job is queued or running; without JavaScript the
page reloads itself (a meta refresh inside <noscript>) and has a reload link.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from ..core import jobs as registry
from ..core import policy
from ..core.admin import PermissionMixin
from ..core.htmx import is_htmx, render_page_or_fragment
from ..extensions import db
from ..settings import setting
from . import flows
from .errors import JobError
from .models import Job

ENDPOINT = "jobs"
# Seconds between two refreshes of a page showing a queued or running job.
POLL_SECONDS = 2
REPORT_PAGE = 100


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class JobsAdmin(PermissionMixin, BaseView):
    """Jobs of the kinds the operator may see (each kind names its permission)."""

    def is_visible(self) -> bool:
        # The console's own navigation lists this page.
        return False

    def is_accessible(self) -> bool:
        return bool(
            current_user.is_authenticated
            and flows.visible_kinds(current_user._get_current_object())
        )

    def _job_or_404(self, job_id: int) -> Job:
        job = db.session.get(Job, job_id)
        # A job of a kind the operator may not see does not exist for them.
        if job is None or not flows.may_see(current_user._get_current_object(), job):
            abort(404)
        return job

    @expose("/")
    def index(self) -> Any:
        """Recent jobs, newest first, keyset-paged; the table alone for an HTMX poll."""
        size = int(setting("CONSOLE_PAGE_SIZE"))
        before = _int(request.args.get("before"))
        jobs = flows.recent(current_user._get_current_object(), before=before, limit=size + 1)
        next_before = jobs[size - 1].id if len(jobs) > size else None
        jobs = jobs[:size]
        return render_page_or_fragment(
            "jobs/list.html",
            "jobs/_list.html",
            jobs=jobs,
            before=before,
            next_before=next_before,
            polling=flows.any_active(jobs),
            poll_seconds=POLL_SECONDS,
            kinds=registry.kinds(),
        )

    @expose("/<int:job_id>/")
    def job_view(self, job_id: int) -> Any:
        """One job: state, progress, counts, its report, and what the operator may do."""
        job = self._job_or_404(job_id)
        actor = current_user._get_current_object()
        context = {
            "job": job,
            "kind": registry.find(job.kind),
            "can_manage": flows.may_manage(actor, job),
            "stale": flows.is_stale(job),
            "poll_seconds": POLL_SECONDS,
        }
        if is_htmx():
            response = make_response(render_template("jobs/_progress.html", **context))
            response.headers.add("Vary", "HX-Request")
            if request.args.get("poll") and not job.active:
                # The job ended while the page watched it: reload it whole, with the report.
                response.headers["HX-Refresh"] = "true"
            return response
        after = _int(request.args.get("after"))
        lines = flows.report(job, after=after, limit=REPORT_PAGE + 1)
        response = make_response(
            render_template(
                "jobs/detail.html",
                **context,
                report=lines[:REPORT_PAGE],
                report_after=after,
                report_next=lines[REPORT_PAGE - 1].id if len(lines) > REPORT_PAGE else None,
            )
        )
        response.headers.add("Vary", "HX-Request")
        return response

    @expose("/<int:job_id>/cancel/", methods=("GET", "POST"))
    def cancel_view(self, job_id: int) -> Any:
        """Ask first; the confirmed POST stops the job (between two batches)."""
        job = self._job_or_404(job_id)
        back = self.get_url(".job_view", job_id=job.id)
        if request.method != "POST" or request.form.get("confirm") != "yes":
            return render_template(
                "jobs/confirm_cancel.html", job=job, kind=registry.find(job.kind), back=back
            )
        try:
            flows.cancel(current_user._get_current_object(), job)
        except (JobError, policy.PolicyError) as error:
            flash(str(error), "error")
        else:
            if job.active:
                flash(_("The job stops after the batch it is working on."), "success")
            else:
                flash(_("The job was stopped."), "success")
        return redirect(back)

    @expose("/<int:job_id>/resume/", methods=("POST",))
    def resume_view(self, job_id: int) -> Any:
        """Queue a failed or interrupted job again, from its last committed batch."""
        job = self._job_or_404(job_id)
        try:
            flows.resume(current_user._get_current_object(), job)
        except (JobError, policy.PolicyError) as error:
            flash(str(error), "error")
        else:
            flash(_("The job was queued again; it goes on from where it stopped."), "success")
        return redirect(self.get_url(".job_view", job_id=job.id))
