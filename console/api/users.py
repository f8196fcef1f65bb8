"""/users: the operators' user list, detail, invitation, edits, notes and single actions,
each a thin adapter over console.users (query, forms and flows)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, request, url_for
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..core import policy
from ..core.models import models
from ..core.user_fields import host_user_fields, values_of
from ..extensions import db
from ..settings import setting
from ..users import flows, query
from ..users.forms import NotesForm, UserCreateForm, edit_form
from . import auth
from .fields import MAX_ID, PageSchema, RoleRefSchema, UtcDateTime, id_in_range
from .handlers import blueprint
from .problems import ApiProblem

blp = blueprint("api_users", __name__, "User accounts: list, read, invite, edit, act on")

# The single actions of the page's menu (delete is DELETE /users/{id}).
SINGLE_ACTIONS = (
    "activate",
    "deactivate",
    "send_password_reset",
    "require_password_change",
    "unlock",
)


class UserSummarySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    username = ma.fields.String(allow_none=True)
    name = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean(required=True)
    confirmed_at = UtcDateTime(allow_none=True)
    last_login_at = UtcDateTime(allow_none=True, attribute="current_login_at")
    created_at = UtcDateTime(allow_none=True, attribute="create_datetime")
    locked_until = UtcDateTime(allow_none=True)
    invited_at = UtcDateTime(allow_none=True)
    roles = ma.fields.List(ma.fields.Nested(RoleRefSchema), required=True)
    factors = ma.fields.List(ma.fields.String(), required=True)


class UserSchema(UserSummarySchema):
    locale = ma.fields.String(allow_none=True)
    timezone = ma.fields.String(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    password_change_required = ma.fields.Boolean(required=True)
    version = ma.fields.Integer(required=True, attribute="edit_version")
    host_fields = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(allow_none=True),
        required=True,
        metadata={"description": "The application's own profile columns, by name"},
    )


class UserPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(UserSummarySchema), required=True)


class UserListQuery(ma.Schema):
    q = ma.fields.String(validate=ma.validate.Length(max=255))
    active = ma.fields.Boolean()
    confirmed = ma.fields.Boolean()
    role = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    mfa = ma.fields.Boolean()
    locked = ma.fields.Boolean()
    login_after = ma.fields.Date()
    login_before = ma.fields.Date()
    created_from = ma.fields.Date()
    created_to = ma.fields.Date()
    sort = ma.fields.String(validate=ma.validate.OneOf(list(query.SORTS)))
    dir = ma.fields.String(validate=ma.validate.OneOf(["asc", "desc"]))
    size = ma.fields.Integer(validate=ma.validate.Range(min=1, max=200))
    after = ma.fields.String(
        validate=ma.validate.Length(max=500),
        metadata={"description": "The cursor of the page to read (from `next`)"},
    )


class UserCreateSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=255))
    name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255))
    username = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255))
    roles = ma.fields.List(ma.fields.Integer(), metadata={"description": "Role ids"})


class UserUpdateSchema(UserCreateSchema):
    email = ma.fields.String(validate=ma.validate.Length(max=255))
    locale = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=16))
    timezone = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=64))
    active = ma.fields.Boolean()
    host_fields = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255)),
        metadata={"description": "New values of the application's own profile columns"},
    )


class NotesSchema(ma.Schema):
    notes = ma.fields.String(required=True, metadata={"description": "Limited HTML"})


class ActionResultSchema(ma.Schema):
    changed = ma.fields.Boolean(required=True)
    user = ma.fields.Nested(UserSchema, required=True)


class ActionPath(ma.Schema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(SINGLE_ACTIONS))


# Required in practice: without it the answer is 428, which HTTP (RFC 6585) reserves for
# exactly this; it is documented as optional so that clients' tooling does not expect the
# 400 a missing "required" header gets elsewhere.
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "The user's ETag; without it the answer is 428, with a stale one 412",
    "schema": {"type": "string"},
}


# --- helpers ---------------------------------------------------------------------------


def _present(user: Any, factors: list[Any] | None = None) -> dict[str, Any]:
    """The user's columns and what the schemas add: role refs and factor keys."""
    if factors is None:
        factors = query.mfa_methods([user]).get(user.id, [])
    return {
        **{column: getattr(user, column) for column in query.LIST_COLUMNS},
        "current_login_at": user.current_login_at,
        "create_datetime": user.create_datetime,
        "roles": [{"id": role.id, "name": role.name} for role in user.roles],
        "factors": [factor.key for factor in factors],
    }


def _present_full(user: Any) -> dict[str, Any]:
    return {
        **_present(user),
        "locale": user.locale,
        "timezone": user.timezone,
        "notes": user.notes,
        "password_change_required": bool(user.password_change_required),
        "edit_version": user.edit_version,
        "host_fields": values_of(user),
    }


def etag(user: Any) -> str:
    """The user's version as an entity tag: the If-Match an edit must send."""
    return f'"{user.edit_version}"'


def user_or_404(user_id: int) -> Any:
    """The user with their roles, or a 404 problem."""
    User = models().User
    user = (
        db.session.get(User, user_id, options=[selectinload(User.roles)])
        if id_in_range(user_id)
        else None
    )
    if user is None:
        raise ApiProblem(404, "not_found", _l("There is no user with this id."))
    return user


def _require_read(permission: str = "users:read") -> None:
    policy.require(auth.actor(), permission)


def _version_from_if_match(user: Any) -> int:
    """The version the client edits: If-Match is required, and a stale one is a 412."""
    if not request.if_match:
        raise ApiProblem(
            428,
            "if_match_required",
            _l("Send the user's ETag as If-Match, so that no one else's change is overwritten."),
        )
    if not request.if_match.contains(etag(user).strip('"')) and not request.if_match.star_tag:
        raise flows.UserFlowError("stale", user=user.email)
    return user.edit_version


def _with_etag(user: Any, status: int = 200, **headers: str) -> tuple[Any, int, dict[str, str]]:
    return _present_full(user), status, {"ETag": etag(user), **headers}


def _validated(form: Any) -> Any:
    if not form.validate():
        raise ApiProblem(
            422,
            "invalid_request",
            _l("Some fields are not valid: see errors."),
            errors={k: [str(m) for m in v] for k, v in form.errors.items()},
        )
    return form


def _host_field_values(given: dict[str, Any]) -> dict[str, str]:
    """The declared host columns of a request, refused whole when it names another."""
    unknown = sorted(set(given) - set(host_user_fields()))
    if unknown:
        raise ApiProblem(
            422,
            "invalid_request",
            _l("Some fields are not valid: see errors."),
            errors={"host_fields": [str(_l("Unknown field: %(name)s", name=n)) for n in unknown]},
        )
    return {name: value or "" for name, value in given.items()}


def formdata(values: dict[str, Any]) -> MultiDict:
    """JSON values as the form data an HTML form would post, so the page's form validates
    them with its own rules (a checkbox posts "y" when ticked, nothing when not)."""
    data = MultiDict()
    for key, value in values.items():
        if value is None or value is False:
            continue
        for item in value if isinstance(value, list) else [value]:
            data.add(key, "y" if item is True else str(item))
    return data


def _all_roles() -> list[Any]:
    Role = models().Role
    return list(db.session.scalars(select(Role).order_by(Role.name)))


def _list_args(args: dict[str, Any]) -> MultiDict:
    """The validated query as the page's own arguments (ListParams.from_args reads them)."""
    page_args: dict[str, str] = {}
    for key, value in args.items():
        if isinstance(value, bool):
            page_args[key] = "yes" if value else "no"
        elif hasattr(value, "isoformat"):
            page_args[key] = value.isoformat()
        else:
            page_args[key] = str(value)
    return MultiDict(page_args)


def _next_url(params: query.ListParams, cursor: str) -> str:
    args = params.query_args(after=cursor)
    api_args = {
        key: {"yes": "true", "no": "false"}.get(value, value) if isinstance(value, str) else value
        for key, value in args.items()
    }
    return url_for("api_users.UserList", _external=True, **api_args)


# --- routes ----------------------------------------------------------------------------


@blp.route("/users")
class UserList(MethodView):
    @blp.arguments(UserListQuery, location="query", as_kwargs=True)
    @blp.response(200, UserPageSchema)
    def get(self, **args: Any) -> Any:
        """Users matching the page's filters, prefix search and sort, one keyset page at a
        time; `next` (and the Link header) reads the following page. Needs users:read."""
        _require_read()
        params = query.ListParams.from_args(
            _list_args(args), setting("CONSOLE_PAGE_SIZE"), setting("CONSOLE_PAGE_SIZE_MAX")
        )
        page = query.load_page(params)
        following = _next_url(params, page.next_cursor) if page.next_cursor else None
        headers = {"Link": f'<{following}>; rel="next"'} if following else {}
        items = [_present(user, page.mfa.get(user.id, [])) for user in page.users]
        return {"items": items, "next": following}, 200, headers

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema, headers={"Location": {"schema": {"type": "string"}}})
    def post(self, body: dict[str, Any]) -> Any:
        """Create an account and mail its invitation (they choose their own password).
        Needs users:write."""
        roles = _all_roles()
        form = _validated(
            UserCreateForm(
                formdata(
                    {
                        "email": body["email"],
                        "name": body.get("name"),
                        "username": body.get("username"),
                        "roles": body.get("roles") or [],
                    }
                ),
                roles=roles,
            )
        )
        user = flows.create_user(
            auth.actor(),
            email=form.email.data.strip(),
            name=(form.name.data or "").strip(),
            username=(form.username.data or "").strip(),
            roles=form.selected_roles(),
        )
        location = url_for("api_users.UserItem", user_id=user.id, _external=True)
        return _with_etag(user_or_404(user.id), 201, Location=location)


@blp.route("/users/<int:user_id>")
class UserItem(MethodView):
    @blp.response(200, UserSchema, headers={"ETag": {"schema": {"type": "string"}}})
    def get(self, user_id: int) -> Any:
        """One user, with the ETag an edit sends back as If-Match. Needs users:read."""
        _require_read()
        return _with_etag(user_or_404(user_id))

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.doc(parameters=[IF_MATCH])
    def patch(self, body: dict[str, Any], user_id: int) -> Any:
        """Change profile fields, roles or active; If-Match must be the current ETag (412
        when someone else changed the user first). Needs users:write."""
        user = user_or_404(user_id)
        # The rules come from the flow; the precondition is HTTP's.
        policy.require(auth.actor(), "users:write", target=user)
        version = _version_from_if_match(user)
        roles = _all_roles()
        current = {
            "email": user.email,
            "name": user.name or "",
            "username": user.username or "",
            "locale": user.locale or "",
            "timezone": user.timezone or "",
            "active": bool(user.active),
            "roles": [role.id for role in user.roles],
            "version": version,
            **{k: v or "" for k, v in values_of(user).items()},
        }
        given = {k: ("" if v is None else v) for k, v in body.items() if k != "host_fields"}
        given.update(_host_field_values(body.get("host_fields") or {}))
        form = _validated(edit_form(formdata({**current, **given}), roles=roles))
        flows.update_user(
            auth.actor(),
            user,
            version=version,
            values=form.profile_values(),
            roles=form.selected_roles() if "roles" in body else None,
        )
        return _with_etag(user_or_404(user_id))

    @blp.response(204)
    def delete(self, user_id: int) -> Any:
        """Delete the account and everything hanging off it. Needs users:write."""
        user = user_or_404(user_id)
        flows.delete(auth.actor(), user, hard=True)
        db.session.commit()
        return Response(status=204)


@blp.route("/users/<int:user_id>/actions/<action>")
class UserAction(MethodView):
    @blp.response(200, ActionResultSchema)
    @blp.doc(
        parameters=[
            {
                "in": "path",
                "name": "action",
                "required": True,
                "schema": {"type": "string", "enum": list(SINGLE_ACTIONS)},
            }
        ]
    )
    def post(self, user_id: int, action: str) -> Any:
        """Run one of the page's single actions; `changed` is false when the user was
        already in that state. Needs users:write."""
        if action not in SINGLE_ACTIONS:
            raise ApiProblem(404, "not_found", _l("There is no such action."))
        user = user_or_404(user_id)
        changed = flows.ACTIONS[action](auth.actor(), user)
        db.session.commit()
        return {"changed": changed, "user": _present_full(user_or_404(user_id))}


@blp.route("/users/<int:user_id>/notes")
class UserNotes(MethodView):
    @blp.arguments(NotesSchema)
    @blp.response(200, UserSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.doc(parameters=[IF_MATCH])
    def put(self, body: dict[str, Any], user_id: int) -> Any:
        """Replace the operator notes (cleaned to a small HTML subset); If-Match as for an
        edit. Needs users:write."""
        user = user_or_404(user_id)
        policy.require(auth.actor(), "users:write", target=user)
        version = _version_from_if_match(user)
        form = _validated(NotesForm(formdata({"notes": body["notes"], "version": version})))
        flows.update_notes(auth.actor(), user, version=version, html=form.notes.data or "")
        return _with_etag(user_or_404(user_id))


@blp.route("/users/<int:user_id>/invitation")
class UserInvitation(MethodView):
    @blp.response(202)
    def post(self, user_id: int) -> Any:
        """Mail the invitation again (refused once the user has a password)."""
        flows.send_invitation(auth.actor(), user_or_404(user_id))
        return Response(status=202)
