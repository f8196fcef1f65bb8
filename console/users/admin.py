"""The operators' user pages: a Flask-Admin view with actions, rendered the console's way."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context
from flask_admin import BaseView, expose
from flask_admin.actions import ActionsMixin, action
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core import dates, links, policy, sections
from ..core.admin import PermissionMixin
from ..core.htmx import render_page_or_fragment
from ..core.models import models
from ..core.permissions import has_permission
from ..core.redirects import next_url
from ..core.sanitize import safe_html
from ..core.user_fields import host_user_fields
from ..extensions import db
from ..mixins import ConsoleRoleMixin, ConsoleUserMixin
from ..settings import setting
from . import bulk, export, flows, query
from .forms import NotesForm, UserCreateForm, edit_form


def _all_roles() -> list[ConsoleRoleMixin]:
    Role = models().Role
    return list(db.session.scalars(select(Role).order_by(Role.name)))


class UserAdmin(PermissionMixin, ActionsMixin, BaseView):
    """Users: list, detail, create/invite, edit, notes, actions and CSV export.

    A plain Flask-Admin view with its actions: Flask-Admin's model views count and OFFSET
    the table, so the console's keyset list and forms are the only routes.
    """

    permission = "users:read"
    write_permission = "users:write"

    def __init__(self, **kwargs: Any) -> None:
        BaseView.__init__(self, **kwargs)
        ActionsMixin.__init__(self)
        self.init_actions()

    def is_action_allowed(self, name: str) -> bool:
        return has_permission(self.write_permission) and name in flows.ACTIONS

    def _require_write(self) -> None:
        if not has_permission(self.write_permission):
            abort(403)

    def _user_or_404(self, user_id: int) -> ConsoleUserMixin:
        User = models().User
        user = db.session.get(User, user_id, options=[selectinload(User.roles)])
        if user is None:
            abort(404)
        return user

    # --- list ---------------------------------------------------------------------------

    def _params(self) -> query.ListParams:
        return query.ListParams.from_args(
            request.args, setting("CONSOLE_PAGE_SIZE"), setting("CONSOLE_PAGE_SIZE_MAX")
        )

    @expose("/")
    def index_view(self) -> Any:  # type: ignore[override]
        """The list page, or its rows for htmx (search as you type, next page)."""
        params = self._params()
        page = query.Page([], {}, None) if params.errors else query.load_page(params)
        actions, _confirmations = self.get_actions_list()
        response = render_page_or_fragment(
            "users/list.html",
            "users/_rows.html",
            params=params,
            listing=page,
            roles=_all_roles(),
            actions=actions,
            can_write=has_permission(self.write_permission),
            # Rows that outrank the operator get no checkbox (their roles are loaded already).
            protected={
                user.id
                for user in page.users
                if policy.missing_permissions(current_user._get_current_object(), user)
            },
            sorts=query.SORTS,
            bad_day=dates.BAD_DAY,
            # "Every matching user" applies to the filters these rows were listed with.
            matching_filters=bulk.filter_args(params),
            # The CSV import's page, when the application offers it.
            import_url=links.url_for("users.import"),
        )
        if params.errors:
            response.status_code = 400
        return response

    @expose("/export.csv")
    def export_csv(self) -> Response:
        """The filtered list as CSV, streamed in batches."""
        params = self._params()
        if params.errors:
            abort(400)
        response = Response(
            stream_with_context(export.csv_lines(params)), mimetype="text/csv; charset=utf-8"
        )
        response.headers["Content-Disposition"] = 'attachment; filename="users.csv"'
        return response

    # --- one user -----------------------------------------------------------------------

    @expose("/<int:user_id>/")
    def user_view(self, user_id: int) -> Any:
        """Profile, roles, notes, then the sections other features contribute."""
        user = self._user_or_404(user_id)
        actor = current_user._get_current_object()
        offered = set(flows.offered_actions(actor, user))
        contributed = [
            (
                section,
                Markup(render_template(section.template, user=user, **section.context(user))),  # noqa: S704
            )
            for section in sections.visible("user")
        ]
        return render_template(
            "users/detail.html",
            user=user,
            host_fields=host_user_fields().values(),
            mfa=query.mfa_methods([user]).get(user.id, []),
            sections=contributed,
            notes_html=safe_html(user.notes),
            notes_form=NotesForm(data={"notes": user.notes or "", "version": user.edit_version}),
            actions=[(n, label) for n, label in self.get_actions_list()[0] if n in offered],
            can_write=flows.may_change(actor, user),
            can_invite=flows.may_invite(actor, user),
            refusal=policy.refusal(actor, self.write_permission, target=user),
            # Offered by the impersonation feature when its flow would accept this operator.
            impersonate_url=links.url_for("user.impersonate", user),
        )

    @expose("/new/", methods=("GET", "POST"))
    def new_view(self) -> Any:
        """Invite a new user: email, name, username and roles; they choose their password."""
        self._require_write()
        roles = _all_roles()
        form = UserCreateForm(request.form if request.method == "POST" else None, roles=roles)
        if request.method == "POST" and form.validate():
            try:
                user = flows.create_user(
                    current_user._get_current_object(),
                    email=form.email.data.strip(),
                    name=(form.name.data or "").strip(),
                    username=(form.username.data or "").strip(),
                    roles=form.selected_roles(),
                )
            except (flows.UserFlowError, policy.PolicyError, ValueError) as error:
                flash(str(error), "error")
            else:
                flash(_("%(email)s was created and invited by mail.", email=user.email), "success")
                return redirect(self.get_url(".user_view", user_id=user.id))
        status = 400 if request.method == "POST" else 200
        return render_template("users/form.html", form=form, user=None), status

    @expose("/<int:user_id>/edit/", methods=("GET", "POST"))
    def change_view(self, user_id: int) -> Any:
        """Edit profile, roles and active, refused when the form's version is stale."""
        self._require_write()
        user = self._user_or_404(user_id)
        refused = policy.refusal(
            current_user._get_current_object(), self.write_permission, target=user
        )
        if refused is not None:
            flash(str(refused), "error")
            return redirect(self.get_url(".user_view", user_id=user.id))
        roles = _all_roles()
        if request.method == "GET":
            form = edit_form(obj=user, roles=roles, data={"version": user.edit_version})
            form.roles.data = [role.id for role in user.roles]
            return render_template("users/form.html", form=form, user=user)
        form = edit_form(request.form, roles=roles)
        if form.validate():
            try:
                changes = flows.update_user(
                    current_user._get_current_object(),
                    user,
                    version=form.version.data,
                    values=form.profile_values(),
                    roles=form.selected_roles(),
                )
            except flows.UserFlowError as error:
                flash(str(error), "error")
                if error.code == "stale":
                    db.session.expire_all()
                    user = self._user_or_404(user_id)
                    fresh = edit_form(obj=user, roles=roles, data={"version": user.edit_version})
                    fresh.roles.data = [role.id for role in user.roles]
                    return render_template("users/form.html", form=fresh, user=user), 409
            except policy.PolicyError as error:
                flash(str(error), "error")
            else:
                if changes:
                    flash(_("The changes to %(email)s were saved.", email=user.email), "success")
                else:
                    flash(_("Nothing to save: no field was changed."), "info")
                return redirect(self.get_url(".user_view", user_id=user.id))
        return render_template("users/form.html", form=form, user=user), 400

    @expose("/<int:user_id>/notes/", methods=("POST",))
    def notes_view(self, user_id: int) -> Any:
        """Save the operator notes (cleaned to a small HTML subset)."""
        self._require_write()
        user = self._user_or_404(user_id)
        form = NotesForm(request.form)
        if not form.validate():
            flash(_("The notes could not be saved: they are too long."), "error")
        else:
            try:
                if flows.update_notes(
                    current_user._get_current_object(),
                    user,
                    version=form.version.data,
                    html=form.notes.data or "",
                ):
                    flash(_("Notes saved."), "success")
            except (flows.UserFlowError, policy.PolicyError) as error:
                flash(str(error), "error")
        return redirect(self.get_url(".user_view", user_id=user_id))

    @expose("/<int:user_id>/invite/", methods=("POST",))
    def invite_view(self, user_id: int) -> Any:
        """Send the invitation mail again."""
        self._require_write()
        user = self._user_or_404(user_id)
        try:
            flows.send_invitation(current_user._get_current_object(), user)
        except (flows.UserFlowError, policy.PolicyError) as error:
            flash(str(error), "error")
        else:
            flash(_("A new invitation was sent to %(email)s.", email=user.email), "success")
        return redirect(self.get_url(".user_view", user_id=user_id))

    # --- actions: confirm, then run (one user or many) ----------------------------------

    @action("activate", bulk.ACTION_LABELS["activate"])
    def action_activate(self, ids: list[int]) -> flows.BulkResult:
        return flows.run_action(current_user._get_current_object(), "activate", ids)

    @action("deactivate", bulk.ACTION_LABELS["deactivate"])
    def action_deactivate(self, ids: list[int]) -> flows.BulkResult:
        return flows.run_action(current_user._get_current_object(), "deactivate", ids)

    @action("send_password_reset", bulk.ACTION_LABELS["send_password_reset"])
    def action_send_password_reset(self, ids: list[int]) -> flows.BulkResult:
        return flows.run_action(current_user._get_current_object(), "send_password_reset", ids)

    @action("require_password_change", bulk.ACTION_LABELS["require_password_change"])
    def action_require_password_change(self, ids: list[int]) -> flows.BulkResult:
        return flows.run_action(current_user._get_current_object(), "require_password_change", ids)

    @action("unlock", bulk.ACTION_LABELS["unlock"])
    def action_unlock(self, ids: list[int]) -> flows.BulkResult:
        return flows.run_action(current_user._get_current_object(), "unlock", ids)

    @action("delete", bulk.ACTION_LABELS["delete"])
    def action_delete(self, ids: list[int], hard: bool = False) -> flows.BulkResult:
        return flows.run_action(current_user._get_current_object(), "delete", ids, hard=hard)

    @expose("/action/", methods=("POST",))
    def run_action_view(self) -> Any:
        """First POST shows what will happen; the confirmed POST does it."""
        User = models().User
        self._require_write()
        name = request.form.get("action", "")
        back = next_url(self.get_url(".index_view"))
        if name not in self._actions_data or not self.is_action_allowed(name):
            flash(_("Choose an action to run."), "error")
            return redirect(back)
        if request.form.get("scope") == "matching":
            return self._run_on_matching(name, back)
        ids = sorted({int(i) for i in request.form.getlist("rowid") if i.isdigit()})
        if not ids:
            flash(_("Select at least one user first."), "error")
            return redirect(back)
        if len(ids) > setting("CONSOLE_PAGE_SIZE_MAX"):
            flash(
                ngettext(
                    "Select at most %(num)d user at a time.",
                    "Select at most %(num)d users at a time.",
                    setting("CONSOLE_PAGE_SIZE_MAX"),
                ),
                "error",
            )
            return redirect(back)
        users = list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.email)))
        label = dict(self.get_actions_list()[0])[name]
        hard = name == "delete" and request.form.get("mode") == "hard"
        expected = users[0].email if len(users) == 1 else str(len(users))
        typed = (request.form.get("typed") or "").strip()
        if request.form.get("confirm") != "yes" or (hard and typed.lower() != expected.lower()):
            if request.form.get("confirm") == "yes":
                flash(_("To delete permanently, type exactly what is asked."), "error")
            return render_template(
                "users/confirm.html",
                action=name,
                label=label,
                users=users,
                back=back,
                expected=expected,
                hard=hard,
            ), (400 if request.form.get("confirm") == "yes" else 200)
        handler = self._actions_data[name][0]
        result = (
            handler([u.id for u in users], hard=True) if hard else handler([u.id for u in users])
        )
        self._report(label, result)
        if name == "delete" and hard:
            back = self.get_url(".index_view")
        return redirect(back)

    def _run_on_matching(self, name: str, back: str) -> Any:
        """Every account the list's filters match: count them on the confirmation page, then
        run the action over them as a job and show its progress."""
        if "filters" not in request.form:
            # The rows carry the filters; a list showing no row has none to apply.
            flash(_("No users match the search and filters."), "error")
            return redirect(back)
        # The list's filters as its URL carried them ("active=yes&role=3").
        params = bulk.list_params(dict(parse_qsl(request.form.get("filters", "")[:2000])))
        if params.errors:
            flash(str(dates.BAD_DAY), "error")
            return redirect(back)
        label = bulk.ACTION_LABELS[name]
        hard = name == "delete" and request.form.get("mode") == "hard"
        total = bulk.count_matching(params)
        if not total:
            flash(_("No users match the search and filters."), "error")
            return redirect(back)
        confirmed = request.form.get("confirm") == "yes"
        typed = (request.form.get("typed") or "").strip()
        if not confirmed or (hard and typed != str(total)):
            if confirmed:
                flash(_("To delete permanently, type exactly what is asked."), "error")
            return render_template(
                "users/confirm_matching.html",
                action=name,
                label=label,
                total=total,
                filters=bulk.filter_args(params),
                described=bulk.describe_filters(bulk.filter_args(params)),
                sample=bulk.sample(params),
                back=back,
                hard=hard,
            ), (400 if confirmed else 200)
        job = bulk.start(current_user._get_current_object(), name, params, hard=hard)
        flash(_("%(action)s runs as a job; its progress is below.", action=label), "success")
        return redirect(links.url_for("job", job) or back)

    def _report(self, label: Any, result: flows.BulkResult) -> None:
        if result.done:
            flash(
                ngettext(
                    "%(action)s: done for %(num)d user.",
                    "%(action)s: done for %(num)d users.",
                    result.done,
                    action=label,
                ),
                "success",
            )
        if result.unchanged:
            flash(
                ngettext(
                    "%(num)d user needed no change.",
                    "%(num)d users needed no change.",
                    result.unchanged,
                ),
                "info",
            )
        for reason in result.refused:
            flash(reason, "error")
