"""Operator views for roles: a plain Flask-Admin view with the console's routes and pages."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, make_response, redirect, request
from flask_admin import BaseView, expose
from flask_admin.helpers import get_form_data
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts import find_user_by_email
from ..core import links, policy
from ..core.admin import PermissionMixin
from ..core.htmx import is_htmx
from ..core.models import models
from ..core.permissions import catalogue, groups, has_permission, undeclared
from ..extensions import db
from ..mixins import ConsoleRoleMixin
from ..settings import setting
from . import flows
from .forms import AddMemberForm, DeleteRoleForm, RemoveMemberForm, RoleForm
from .guardrails import count_members
from .queries import member_counts, members_page, ordered_permissions, other_roles, roles_page


def _actor() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _page_size() -> int:
    return max(1, min(int(setting("CONSOLE_PAGE_SIZE")), int(setting("CONSOLE_PAGE_SIZE_MAX"))))


class RoleAdmin(PermissionMixin, BaseView):
    """Roles: a keyset-paged list, create, edit, a paged member page and a guarded delete.

    A plain Flask-Admin view: a model view would count and OFFSET the table and scaffold a
    form field holding every account, so the console's routes are the only ones.
    """

    permission = "roles:read"
    write_permission = "roles:write"

    def _require_write(self) -> None:
        if not has_permission(self.write_permission):
            abort(403)

    def render(self, template: str, **context: Any) -> str:
        context.setdefault("can_write", has_permission(self.write_permission))
        return super().render(
            template,
            catalogue=catalogue(),
            permission_groups=groups(),
            ordered_permissions=ordered_permissions,
            undeclared=undeclared,
            **context,
        )

    def _render(self, template: str, **context: Any) -> Response:
        """A page or fragment of an endpoint that serves both (one cache entry each)."""
        response = make_response(self.render(template, **context))
        response.headers.add("Vary", "HX-Request")
        return response

    def _role_or_404(self, role_id: Any) -> ConsoleRoleMixin:
        Role = models().Role
        try:
            role = db.session.get(Role, int(role_id))
        except (TypeError, ValueError):
            role = None
        if role is None:
            abort(404)
        return role

    # -- list ---------------------------------------------------------------------------

    @expose("/")
    def index_view(self) -> Response:
        """The roles with their member counts (one grouped query for the whole page)."""
        roles, next_after = roles_page(request.args.get("after") or None, _page_size())
        return self._render(
            "roles/_rows.html" if is_htmx() else "roles/list.html",
            roles=roles,
            counts=member_counts(role.id for role in roles),
            next_after=next_after,
        )

    # -- create and edit ----------------------------------------------------------------

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        """A new role: its name, description, permissions and MFA rule."""
        self._require_write()
        form = RoleForm(get_form_data())
        if request.method == "POST" and form.validate():
            try:
                role = flows.create_role(_actor(), **form.role_values())
            except flows.REFUSALS as error:
                flash(str(error), "error")
            else:
                flash(_("The role %(role)s was created.", role=role.name), "success")
                return redirect(self.get_url(".details_view", id=role.id))
        return self.render("roles/create.html", form=form)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        """Change the role; permissions nobody declared are shown and kept as they are."""
        self._require_write()
        role = self._role_or_404(request.args.get("id"))
        form = RoleForm(get_form_data(), obj=role)
        if request.method == "GET":
            form.version.data = flows.content_tag(role)
        if request.method == "POST" and form.validate():
            # The page always sends the version it was built from; a form without one (a
            # script's) saves over whatever is stored, as before.
            expected = {form.version.data} if form.version.data else None
            try:
                changes = flows.update_role(_actor(), role, expected=expected, **form.role_values())
            except flows.RoleError as error:
                flash(str(error), "error")
                if error.code == "stale":
                    # The current role, to review and change again.
                    db.session.expire_all()
                    role = self._role_or_404(role.id)
                    fresh = RoleForm(obj=role)
                    fresh.version.data = flows.content_tag(role)
                    return self.render("roles/edit.html", model=role, form=fresh), 409
            except flows.REFUSALS as error:
                flash(str(error), "error")
            else:
                if changes:
                    flash(
                        _("The changes to the role %(role)s were saved.", role=role.name), "success"
                    )
                else:
                    flash(_("Nothing to save: no field was changed."), "info")
                return redirect(self.get_url(".details_view", id=role.id))
        return self.render("roles/edit.html", model=role, form=form)

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
            "roles/details.html",
            member_count=count_members(role),
            add_form=AddMemberForm(),
            **context,
        )

    @expose("/members/add/", methods=("POST",))
    def add_member(self) -> Response:
        """Give the role to the account with the email address typed."""
        self._require_write()
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
        """Take the role from one member, once confirmed (the page's dialog, or a
        confirmation page without JavaScript)."""
        User = models().User
        self._require_write()
        role = self._role_or_404(request.args.get("id"))
        form = RemoveMemberForm(get_form_data())
        user = db.session.get(User, form.user_id.data) if form.validate() else None
        if user is None:
            flash(_("That account no longer exists."), "error")
        elif request.form.get("confirmed") != "1":
            # Without JavaScript the button's question is this page.
            return make_response(
                self.render("roles/confirm_remove_member.html", model=role, member=user)
            )
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
    def delete_view(self) -> Any:
        """GET asks for confirmation (and a role for the members); POST deletes."""
        Role = models().Role
        self._require_write()
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
        return self.render("roles/delete.html", model=role, form=form, member_count=members)


class PermissionsView(PermissionMixin, BaseView):
    """A read-only reference: every permission the console and the application declare."""

    permission = "roles:read"

    @expose("/")
    def index(self) -> Response:
        return make_response(self.render("roles/permissions.html", permission_groups=groups()))
