"""Operator views for roles: Flask-Admin's ModelView machinery in the console's templates."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, make_response, redirect, request
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.helpers import get_form_data
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts import find_user_by_email
from ..core import links, policy
from ..core.admin import PermissionMixin
from ..core.htmx import is_htmx
from ..core.permissions import PERMISSIONS, has_permission
from ..extensions import db
from ..models import Role, User
from ..settings import setting
from . import flows
from .forms import AddMemberForm, DeleteRoleForm, RemoveMemberForm, RoleForm
from .guardrails import count_members
from .queries import member_counts, members_page, ordered_permissions, other_roles

WRITE_PERMISSION = "roles:write"


def _actor() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _page_size() -> int:
    return max(1, min(int(setting("CONSOLE_PAGE_SIZE")), int(setting("CONSOLE_PAGE_SIZE_MAX"))))


class RoleAdmin(PermissionMixin, ModelView):
    """Roles: a keyset-paged list, create, edit, a paged member page and a guarded delete."""

    permission = "roles:read"
    # Every exposed method that can change data needs roles:write as well.
    write_views = frozenset(
        {
            "create_view",
            "edit_view",
            "delete_view",
            "action_view",
            "ajax_update",
            "add_member",
            "remove_member",
        }
    )

    form = RoleForm
    # Scaffolding would turn the `users` backref into a select of every account.
    form_excluded_columns = ("users",)
    column_list = ("name", "description", "members", "require_mfa", "permissions")
    column_sortable_list = ()
    column_default_sort = "name"
    simple_list_pager = True
    can_view_details = True
    can_export = False
    can_set_page_size = False
    action_disallowed_list = ["delete"]

    list_template = "roles/list.html"
    create_template = "roles/create.html"
    edit_template = "roles/edit.html"
    details_template = "roles/details.html"
    delete_template = "roles/delete.html"

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if name in self.write_views and not has_permission(WRITE_PERMISSION):
            abort(403)
        return None

    def render(self, template: str, **context: Any) -> str:
        context.setdefault("can_write", has_permission(WRITE_PERMISSION))
        return super().render(
            template, PERMISSIONS=PERMISSIONS, ordered_permissions=ordered_permissions, **context
        )

    def _render(self, template: str, **context: Any) -> Response:
        response = make_response(self.render(template, **context))
        response.headers.add("Vary", "HX-Request")
        return response

    def _role_or_404(self, role_id: Any) -> Role:
        try:
            role = db.session.get(Role, int(role_id))
        except (TypeError, ValueError):
            role = None
        if role is None:
            abort(404)
        return role

    # -- list ---------------------------------------------------------------------------

    def get_list(  # type: ignore[override]
        self,
        page: int | None,
        sort_column: Any,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
        after: str | None = None,
    ) -> tuple[None, Any]:
        """Roles by name after `after` (keyset on the unique name): no COUNT, no OFFSET."""
        query = self.get_query().order_by(Role.name)
        if after:
            query = query.filter(Role.name > after)
        if page_size:
            query = query.limit(page_size)
        return None, (query.all() if execute else query)

    @expose("/")
    def index_view(self) -> Response:
        """The roles with their member counts (one grouped query for the whole page)."""
        size = _page_size()
        after = request.args.get("after") or None
        _, rows = self.get_list(None, None, False, None, None, page_size=size + 1, after=after)
        next_after = rows[size - 1].name if len(rows) > size else None
        roles = rows[:size]
        template = "roles/_rows.html" if is_htmx() else self.list_template
        return self._render(
            template,
            roles=roles,
            counts=member_counts(role.id for role in roles),
            next_after=next_after,
        )

    # -- create and edit (Flask-Admin's views, our flows) --------------------------------

    def create_model(self, form: RoleForm) -> Any:
        try:
            return flows.create_role(_actor(), **form.role_values())
        except flows.REFUSALS as error:
            flash(str(error), "error")
            return False

    def update_model(self, form: RoleForm, model: Role) -> bool:
        try:
            flows.update_role(_actor(), model, **form.role_values())
        except flows.REFUSALS as error:
            flash(str(error), "error")
            return False
        return True

    def delete_model(self, model: Role) -> bool:
        try:
            flows.delete_role(_actor(), model)
        except flows.REFUSALS as error:
            flash(str(error), "error")
            return False
        return True

    def get_save_return_url(self, model: Role, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    # -- the role's page ----------------------------------------------------------------

    @expose("/details/")
    def details_view(self) -> Response:
        """The role, its member count and one keyset page of members."""
        role = self._role_or_404(request.args.get("id"))
        after = request.args.get("after", type=int)
        members, next_after = members_page(role, after, _page_size())
        context = {
            "model": role,
            "members": members,
            # Members this operator may not change: no Remove button is offered for them.
            "protected": policy.outranking_ids(_actor(), {member.id for member in members}),
            "next_after": next_after,
            "user_url": links.url_for_user,
        }
        if is_htmx():
            return self._render("roles/_members.html", **context)
        return self._render(
            self.details_template,
            member_count=count_members(role),
            add_form=AddMemberForm(),
            **context,
        )

    @expose("/members/add/", methods=("POST",))
    def add_member(self) -> Response:
        """Give the role to the account with the email address typed."""
        role = self._role_or_404(request.args.get("id"))
        form = AddMemberForm(get_form_data())
        if not form.validate():
            flash(_("Type the email address of an account."), "error")
            return redirect(self.get_url(".details_view", id=role.id))
        user = find_user_by_email(form.email.data)
        if user is None:
            flash(_("No account has the email address %(email)s.", email=form.email.data), "error")
            return redirect(self.get_url(".details_view", id=role.id))
        try:
            flows.add_member(_actor(), role, user)
        except flows.REFUSALS as error:
            flash(str(error), "error")
        else:
            flash(
                _("%(user)s now has the role %(role)s.", user=user.email, role=role.name),
                "success",
            )
        return redirect(self.get_url(".details_view", id=role.id))

    @expose("/members/remove/", methods=("POST",))
    def remove_member(self) -> Response:
        """Take the role from one member."""
        role = self._role_or_404(request.args.get("id"))
        form = RemoveMemberForm(get_form_data())
        user = db.session.get(User, form.user_id.data) if form.validate() else None
        if user is None:
            flash(_("That account no longer exists."), "error")
        else:
            try:
                flows.remove_member(_actor(), role, user)
            except flows.REFUSALS as error:
                flash(str(error), "error")
            else:
                flash(
                    _("%(user)s no longer has the role %(role)s.", user=user.email, role=role.name),
                    "success",
                )
        return redirect(self.get_url(".details_view", id=role.id))

    # -- delete, with a confirmation page that works without JavaScript -----------------

    @expose("/delete/", methods=("GET", "POST"))
    def delete_view(self) -> Response:
        """GET asks for confirmation (and a role for the members); POST deletes."""
        role = self._role_or_404(request.values.get("id"))
        members = count_members(role)
        form = DeleteRoleForm(get_form_data(), id=role.id, confirm="yes")
        others = other_roles(role) if members else []
        form.reassign_to.choices = [("", _("Choose a role"))] + [
            (str(other.id), other.name) for other in others
        ]
        if request.method == "POST" and form.validate():
            target = db.session.get(Role, form.reassign_to.data) if form.reassign_to.data else None
            name = role.name
            try:
                moved = flows.delete_role(_actor(), role, reassign_to=target)
            except flows.REFUSALS as error:
                flash(str(error), "error")
            else:
                if moved and target is not None:
                    flash(
                        _(
                            "The role %(role)s was deleted; %(count)s members now have %(target)s.",
                            role=name,
                            count=moved,
                            target=target.name,
                        ),
                        "success",
                    )
                else:
                    flash(_("The role %(role)s was deleted.", role=name), "success")
                return redirect(self.get_url(".index_view"))
        elif request.method == "POST":
            flash(_("Choose a role to move the members to."), "error")
        return self._render(self.delete_template, model=role, form=form, member_count=members)


class PermissionsView(PermissionMixin, BaseView):
    """A read-only reference: every permission the console checks, with what it allows."""

    permission = "roles:read"

    @expose("/")
    def index(self) -> Response:
        return make_response(self.render("roles/permissions.html", PERMISSIONS=PERMISSIONS))
