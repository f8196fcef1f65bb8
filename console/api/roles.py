"""/roles: the role list, a role, its edits and its members, each a thin adapter over
console.roles (queries, the role form and the role flows)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, request, url_for
from flask.views import MethodView
from flask_babel import lazy_gettext as _l

from ..core import policy
from ..core.models import models
from ..core.permissions import is_declared, undeclared
from ..extensions import db
from ..mixins import ConsoleRoleMixin
from ..roles import flows
from ..roles.forms import RoleForm
from ..roles.guardrails import count_members
from ..roles.queries import member_counts, members_page, ordered_permissions, roles_page
from ..settings import setting
from . import auth
from .fields import MAX_ID, PageSchema, id_in_range
from .handlers import blueprint, documents_problems
from .problems import ApiProblem
from .users import formdata, user_or_404

blp = blueprint("api_roles", __name__, "Roles: list, read, create, edit, delete, members")

READ = "roles:read"
WRITE = "roles:write"
NAME_MAX_LENGTH = 80


class RoleSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    permissions = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Every permission the role carries: declared, then undeclared"},
    )
    undeclared_permissions = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={
            "description": "Granted outside the console: kept by every edit, never granted by one"
        },
    )
    require_mfa = ma.fields.Boolean(required=True)
    member_count = ma.fields.Integer(required=True)


class RolePageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(RoleSchema), required=True)


class RoleListQuery(ma.Schema):
    after = ma.fields.String(
        validate=ma.validate.Length(max=NAME_MAX_LENGTH),
        metadata={"description": "The cursor of the page to read (from `next`)"},
    )
    size = ma.fields.Integer(validate=ma.validate.Range(min=1, max=200))


class RoleCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(max=NAME_MAX_LENGTH))
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255))
    permissions = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=255)),
        validate=ma.validate.Length(max=500),
        metadata={
            "description": "The declared permissions the role is to carry; undeclared ones "
            "already on the role are kept whether listed or not"
        },
    )
    require_mfa = ma.fields.Boolean()


class RoleUpdateSchema(RoleCreateSchema):
    name = ma.fields.String(validate=ma.validate.Length(max=NAME_MAX_LENGTH))


class RoleDeleteQuery(ma.Schema):
    reassign_to = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "The role the members move to (needed when there are any)"},
    )


class MemberSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean(required=True)


class MemberPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(MemberSchema), required=True)


class MemberListQuery(ma.Schema):
    after = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "The cursor of the page to read (from `next`)"},
    )
    size = ma.fields.Integer(validate=ma.validate.Range(min=1, max=200))


class MemberAddSchema(ma.Schema):
    user_id = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=MAX_ID))


# Required in practice, documented as optional: see users.IF_MATCH.
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The role's ETag; without it the answer is 428, with a stale one 412",
    "schema": {"type": "string"},
}
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}}}
LOCATION_HEADER = {"Location": {"schema": {"type": "string"}}}


# --- helpers ---------------------------------------------------------------------------


def _page_size(asked: int | None) -> int:
    default = min(int(setting("CONSOLE_PAGE_SIZE")), int(setting("CONSOLE_PAGE_SIZE_MAX")))
    return asked or max(1, default)


def _present(role: ConsoleRoleMixin, members: int) -> dict[str, Any]:
    stored = role.get_permissions()
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description or "",
        "permissions": ordered_permissions(stored),
        "undeclared_permissions": undeclared(stored),
        "require_mfa": bool(role.require_mfa),
        "member_count": members,
    }


def etag(role: ConsoleRoleMixin) -> str:
    """The role's content tag as an entity tag: the If-Match an edit sends back."""
    return f'"{flows.content_tag(role)}"'


def _with_etag(role: ConsoleRoleMixin, status: int = 200, **headers: str) -> Any:
    return _present(role, count_members(role)), status, {"ETag": etag(role), **headers}


def role_or_404(role_id: int) -> ConsoleRoleMixin:
    """The role, or a 404 problem."""
    role = db.session.get(models().Role, role_id) if id_in_range(role_id) else None
    if role is None:
        raise ApiProblem(404, "not_found", _l("There is no role with this id."))
    return role


def _role_values(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`body` over `current`, validated by the page's own form, as the role flows take them.

    The form offers declared permissions only; the others go to the flow as asked, which
    keeps those already on the role and refuses any new one with its own message.
    """
    merged = {**current, **body}
    asked = list(merged.get("permissions") or [])
    form = RoleForm(
        formdata(
            {
                "name": merged.get("name") or "",
                "description": merged.get("description") or "",
                "permissions": [name for name in asked if is_declared(name)],
                "require_mfa": bool(merged.get("require_mfa")),
            }
        )
    )
    if not form.validate():
        raise ApiProblem(
            422,
            "invalid_request",
            _l("Some fields are not valid: see errors."),
            errors={k: [str(m) for m in v] for k, v in form.errors.items()},
        )
    return {**form.role_values(), "permissions": asked}


def _link(following: str | None) -> dict[str, str]:
    return {"Link": f'<{following}>; rel="next"'} if following else {}


def _member(user: Any) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "active": bool(user.active)}


def _member_or_404(role: ConsoleRoleMixin, user_id: int) -> Any:
    user = user_or_404(user_id)
    if role not in user.roles:
        raise ApiProblem(404, "not_found", _l("This user does not have this role."))
    return user


# --- routes ----------------------------------------------------------------------------


@blp.route("/roles")
class RoleList(MethodView):
    @blp.arguments(RoleListQuery, location="query", as_kwargs=True)
    @blp.response(200, RolePageSchema)
    @documents_problems(blp, 401, 403)
    def get(self, after: str | None = None, size: int | None = None) -> Any:
        """Roles by name, one keyset page at a time; `next` (and the Link header) reads the
        following page. Needs roles:read."""
        policy.require(auth.actor(), READ)
        size = _page_size(size)
        roles, next_after = roles_page(after or None, size)
        counts = member_counts(role.id for role in roles)
        following = (
            url_for("api_roles.RoleList", _external=True, after=next_after, size=size)
            if next_after
            else None
        )
        items = [_present(role, counts[role.id]) for role in roles]
        return {"items": items, "next": following}, 200, _link(following)

    @blp.arguments(RoleCreateSchema)
    @blp.response(201, RoleSchema, headers={**ETAG_HEADER, **LOCATION_HEADER})
    @documents_problems(blp, 401, 403, 409)
    def post(self, body: dict[str, Any]) -> Any:
        """Create a role carrying declared permissions the caller holds. Needs roles:write."""
        values = _role_values(
            body, {"name": "", "description": "", "permissions": [], "require_mfa": False}
        )
        role = flows.create_role(auth.actor(), **values)
        location = url_for("api_roles.RoleItem", role_id=role.id, _external=True)
        return _with_etag(role_or_404(role.id), 201, Location=location)


@blp.route("/roles/<int:role_id>")
class RoleItem(MethodView):
    @blp.response(200, RoleSchema, headers=ETAG_HEADER)
    @documents_problems(blp, 401, 403, 404)
    def get(self, role_id: int) -> Any:
        """One role, with the ETag an edit sends back as If-Match. Needs roles:read."""
        policy.require(auth.actor(), READ)
        return _with_etag(role_or_404(role_id))

    @blp.arguments(RoleUpdateSchema)
    @blp.response(200, RoleSchema, headers=ETAG_HEADER)
    @blp.doc(parameters=[IF_MATCH])
    @documents_problems(blp, 401, 403, 404, 409, 412, 428)
    def patch(self, body: dict[str, Any], role_id: int) -> Any:
        """Change the name, description, permissions or MFA rule; If-Match must be the
        current ETag (412 when someone else changed the role first). Needs roles:write and
        every permission the role carries or is to carry."""
        role = role_or_404(role_id)
        # The rules come from the flow; the precondition is HTTP's.
        policy.require(auth.actor(), WRITE)
        if not request.if_match:
            raise ApiProblem(
                428,
                "if_match_required",
                _l(
                    "Send the role's ETag as If-Match, so that no one else's change is overwritten."
                ),
            )
        current = {
            "name": role.name,
            "description": role.description or "",
            "permissions": sorted(role.get_permissions()),
            "require_mfa": bool(role.require_mfa),
        }
        values = _role_values(body, current)
        flows.update_role(auth.actor(), role, **values, expected=request.if_match)
        return _with_etag(role_or_404(role_id))

    @blp.arguments(RoleDeleteQuery, location="query", as_kwargs=True)
    @blp.response(204)
    @documents_problems(blp, 401, 403, 404, 409)
    def delete(self, role_id: int, reassign_to: int | None = None) -> Any:
        """Delete the role; its members, if any, first move to `reassign_to`. Needs
        roles:write and every permission of both roles."""
        role = role_or_404(role_id)
        target = db.session.get(models().Role, reassign_to) if reassign_to else None
        if reassign_to and target is None:
            raise ApiProblem(
                422,
                "invalid_request",
                _l("Some fields are not valid: see errors."),
                errors={"reassign_to": [str(_l("There is no role with this id."))]},
            )
        flows.delete_role(auth.actor(), role, reassign_to=target)
        return Response(status=204)


@blp.route("/roles/<int:role_id>/members")
class RoleMembers(MethodView):
    @blp.arguments(MemberListQuery, location="query", as_kwargs=True)
    @blp.response(200, MemberPageSchema)
    @documents_problems(blp, 401, 403, 404)
    def get(self, role_id: int, after: int | None = None, size: int | None = None) -> Any:
        """The role's members by user id, one keyset page at a time. Needs roles:read."""
        policy.require(auth.actor(), READ)
        role = role_or_404(role_id)
        size = _page_size(size)
        members, next_after = members_page(role, after, size)
        following = (
            url_for(
                "api_roles.RoleMembers",
                role_id=role.id,
                _external=True,
                after=next_after,
                size=size,
            )
            if next_after
            else None
        )
        items = [_member(member) for member in members]
        return {"items": items, "next": following}, 200, _link(following)

    @blp.arguments(MemberAddSchema)
    @blp.response(201, MemberSchema, headers=LOCATION_HEADER)
    @documents_problems(blp, 401, 403, 404, 409)
    def post(self, body: dict[str, Any], role_id: int) -> Any:
        """Give the role to a user. Needs roles:write, every permission of the role and of
        the user."""
        role = role_or_404(role_id)
        user = user_or_404(body["user_id"])
        flows.add_member(auth.actor(), role, user)
        location = url_for("api_roles.RoleMember", role_id=role.id, user_id=user.id, _external=True)
        return _member(user), 201, {"Location": location}


@blp.route("/roles/<int:role_id>/members/<int:user_id>")
class RoleMember(MethodView):
    @blp.response(200, MemberSchema)
    @documents_problems(blp, 401, 403, 404)
    def get(self, role_id: int, user_id: int) -> Any:
        """One member of the role (404 when the user does not have it). Needs roles:read."""
        policy.require(auth.actor(), READ)
        return _member(_member_or_404(role_or_404(role_id), user_id))

    @blp.response(204)
    @documents_problems(blp, 401, 403, 404, 409)
    def delete(self, role_id: int, user_id: int) -> Any:
        """Take the role from a member, never from the last full administrator. Needs
        roles:write, every permission of the role and of the user."""
        role = role_or_404(role_id)
        flows.remove_member(auth.actor(), role, user_or_404(user_id))
        return Response(status=204)
