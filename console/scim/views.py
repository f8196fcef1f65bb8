"""The SCIM 2.0 endpoints (RFC 7644): thin adapters that read a request with scim2-models,
call one of the flows, and answer with the resource in application/scim+json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, json, request
from flask_babel import lazy_gettext as _l
from scim2_models import (
    Context,
    Group,
    InvalidPathException,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    MutabilityException,
    NotImplementedException,
    PatchOp,
    PatchOperation,
    PreconditionFailedException,
    ResourceType,
    ResponseParameters,
    Schema,
    ScimPolicy,
    SearchRequest,
)
from scim2_models.path.expressions import Comparison, LogicalExpr

from ..core import policy
from ..extensions import db
from . import auth, errors, flows, query, resources, schemas
from .errors import MEDIA_TYPE, not_found
from .resources import UserResource

SCIM_PATH = "/scim/v2"
bp = Blueprint("scim", __name__)
bp.register_error_handler(Exception, errors.handle)
bp.before_request(auth.authenticate)

# How far the console follows providers' deviations from the RFC: attributes it does not
# define are ignored (Entra ID sends its own), a remove may name its targets in `value`
# (Entra ID's members), and a filtered path with no match creates the value it describes
# (Entra ID's emails[type eq "work"].value). Op names and booleans written as strings
# ("Replace", "False") are read by scim2-models whatever the policy.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

MESSAGES = {
    "body": _l("The body must be a JSON object."),
    "member": _l("There is no user with the id %(value)s to make a member."),
    "members_path": _l("Members are added, removed or replaced as a whole list."),
    "display_name": _l("A group keeps its displayName: it cannot be removed."),
    "root_search": _l("Search one resource type: POST /Users/.search or /Groups/.search."),
}


# --- helpers -------------------------------------------------------------------------------


def base() -> str:
    """The absolute URL of the SCIM root, as the client reached it."""
    prefix = current_app.extensions["console"].url_prefix
    return f"{request.url_root.rstrip('/')}{prefix}{SCIM_PATH}"


def respond(payload: dict[str, Any], status: int = 200, **headers: str) -> Response:
    response = current_app.response_class(json.dumps(payload), status=status, mimetype=MEDIA_TYPE)
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def _body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail=str(MESSAGES["body"]))
    return body


def _parameters(model: Any) -> ResponseParameters[Any]:
    """The attributes / excludedAttributes query parameters of this request."""
    given = {
        key: request.args[key]
        for key in ("attributes", "excludedAttributes")
        if key in request.args
    }
    return ResponseParameters[model].model_validate(given)


def _search(model: Any, given: dict[str, Any]) -> SearchRequest[Any]:
    """A list request's parameters, from the query string or a POST /.search body."""
    wanted = {key: value for key, value in given.items() if value not in (None, "")}
    if isinstance(wanted.get("sortOrder"), str):
        wanted["sortOrder"] = wanted["sortOrder"].lower()
    for key in ("attributes", "excludedAttributes"):
        if isinstance(wanted.get(key), str):
            wanted[key] = [part.strip() for part in wanted[key].split(",") if part.strip()]
    return SearchRequest[model].model_validate(wanted, scim_ctx=Context.SEARCH_REQUEST)


def _query_args() -> dict[str, Any]:
    names = (
        "filter",
        "sortBy",
        "sortOrder",
        "startIndex",
        "count",
        "attributes",
        "excludedAttributes",
    )
    return {name: request.args.get(name) for name in names}


def _listed(page: query.Page, found: list[Any], search: SearchRequest[Any], model: Any) -> Response:
    listing = ListResponse[model](
        total_results=page.total,
        start_index=page.start,
        items_per_page=len(found),
        resources=found,
    )
    return respond(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search))


def _check_if_match(current: str) -> None:
    """Refuse with 412 a request made on another version than `current` (a weak ETag)."""
    if not request.if_match or request.if_match.star_tag:
        return
    tag = current.removeprefix("W/").strip('"')
    if not request.if_match.contains_weak(tag):
        raise PreconditionFailedException(detail=str(_l("The resource changed since you read it.")))


def _wants_members(parameters: ResponseParameters[Any]) -> bool:
    names = {str(a).rsplit(":", 1)[-1].lower() for a in parameters.excluded_attributes or []}
    if "members" in names:
        return False
    asked = {str(a).rsplit(":", 1)[-1].split(".")[0].lower() for a in parameters.attributes or []}
    return not asked or "members" in asked


# --- discovery -----------------------------------------------------------------------------


@bp.get("/ServiceProviderConfig")
def service_provider_config() -> Response:
    config = schemas.service_provider_config(base(), None)
    return respond(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _listing(model: Any, found: list[Any]) -> Response:
    """Every item of a discovery endpoint, in one page."""
    listing = ListResponse[model](
        total_results=len(found), start_index=1, items_per_page=len(found), resources=found
    )
    return respond(listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE))


def _one_of(found: list[Any], wanted: str) -> Response:
    for item in found:
        if item.id == wanted:
            return respond(item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise not_found()


@bp.get("/ResourceTypes")
def resource_types() -> Response:
    return _listing(ResourceType, schemas.resource_types(base()))


@bp.get("/ResourceTypes/<name>")
def resource_type(name: str) -> Response:
    return _one_of(schemas.resource_types(base()), name)


@bp.get("/Schemas")
def schema_list() -> Response:
    return _listing(Schema, schemas.schemas(base()))


@bp.get("/Schemas/<path:schema_id>")
def schema(schema_id: str) -> Response:
    return _one_of(schemas.schemas(base()), schema_id)


@bp.post("/.search")
def root_search() -> Response:
    """Searching every resource type at once is optional (RFC 7644 §3.4.3): 501 says so, and
    /Users/.search and /Groups/.search search one type."""
    raise NotImplementedException(detail=str(MESSAGES["root_search"]))


# --- users ---------------------------------------------------------------------------------


def _user_or_404(user_id: str) -> tuple[Any, Any]:
    found = query.find_user(user_id)
    if found is None:
        raise not_found()
    return found


def _user_resource(user: Any, link: Any) -> UserResource:
    return resources.to_user(user, link, base(), sorted(user.roles, key=lambda r: r.id))


def _user_response(user_id: int, status: int = 200, **headers: str) -> Response:
    db.session.expire_all()
    user, link = _user_or_404(str(user_id))
    resource = _user_resource(user, link)
    context = (
        Context.RESOURCE_CREATION_RESPONSE if status == 201 else Context.RESOURCE_QUERY_RESPONSE
    )
    body = resource.model_dump(scim_ctx=context, response_parameters=_parameters(UserResource))
    return respond(body, status, ETag=resources.user_etag(user), **headers)


def _list_users(search: SearchRequest[Any]) -> Response:
    """Require users:read, then one page of accounts."""
    policy.require(auth.actor(), "users:read")
    page = query.list_users(
        search.filter,
        search.sort_by,
        str(search.sort_order or "ascending") == "descending",
        search.start_index,
        search.count,
        UserResource,
    )
    found = [_user_resource(user, link) for user, link in page.rows]
    return _listed(page, found, search, UserResource)


@bp.get("/Users")
def user_list() -> Response:
    return _list_users(_search(UserResource, _query_args()))


@bp.post("/Users/.search")
def user_search() -> Response:
    return _list_users(_search(UserResource, _body()))


@bp.post("/Users")
def user_create() -> Response:
    body = _body()
    resources.refuse_password(body)
    resource = UserResource.model_validate(
        resources.without_read_only(body),
        scim_ctx=Context.RESOURCE_CREATION_REQUEST,
        scim_policy=POLICY,
    )
    user = flows.provision_user(auth.actor(), resources.from_user(resource))
    return _user_response(user.id, 201, Location=f"{base()}/Users/{user.id}")


@bp.get("/Users/<user_id>")
def user_get(user_id: str) -> Response:
    policy.require(auth.actor(), "users:read")
    user, _link = _user_or_404(user_id)
    return _user_response(user.id)


@bp.put("/Users/<user_id>")
def user_replace(user_id: str) -> Response:
    user, link = _user_or_404(user_id)
    _check_if_match(resources.user_etag(user))
    body = _body()
    resources.refuse_password(body)
    after = UserResource.model_validate(
        resources.without_read_only(body),
        scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST,
        scim_policy=POLICY,
    )
    before = _user_resource(user, link)
    values = resources.from_user(after, before)
    flows.update_user(auth.actor(), user, version=user.edit_version, values=values)
    return _user_response(user.id)


@bp.patch("/Users/<user_id>")
def user_patch(user_id: str) -> Response:
    user, link = _user_or_404(user_id)
    _check_if_match(resources.user_etag(user))
    body = _body()
    resources.refuse_password(body)
    wanted = resources.patch_without_read_only(body)
    if body.get("Operations") and not wanted["Operations"]:
        # Only read-only values were named (Entra ID's emails): nothing changes.
        return _user_response(user.id)
    patch = PatchOp[UserResource].model_validate(
        wanted, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
    )
    before = _user_resource(user, link)
    after = before.model_copy(deep=True)
    patch.patch(after, scim_policy=POLICY)
    values = resources.from_user(after, before)
    flows.update_user(auth.actor(), user, version=user.edit_version, values=values)
    return _user_response(user.id)


@bp.delete("/Users/<user_id>")
def user_delete(user_id: str) -> Response:
    user, _link = _user_or_404(user_id)
    _check_if_match(resources.user_etag(user))
    flows.deprovision_user(auth.actor(), user)
    return Response(status=204)


# --- groups --------------------------------------------------------------------------------


def _role_or_404(role_id: str) -> Any:
    role = query.find_role(role_id)
    if role is None:
        raise not_found()
    return role


def _group_response(role_id: int, status: int = 200, **headers: str) -> Response:
    db.session.expire_all()
    role = _role_or_404(str(role_id))
    parameters = _parameters(Group)
    members = query.member_ids([role])[role.id] if _wants_members(parameters) else None
    external_id = flows.group_external_id(role.id)
    group = resources.to_group(role, members, base(), external_id)
    context = (
        Context.RESOURCE_CREATION_RESPONSE if status == 201 else Context.RESOURCE_QUERY_RESPONSE
    )
    body = group.model_dump(scim_ctx=context, response_parameters=parameters)
    return respond(body, status, ETag=resources.group_etag(role, external_id), **headers)


def _list_groups(search: SearchRequest[Any]) -> Response:
    policy.require(auth.actor(), "roles:read")
    page = query.list_groups(
        search.filter,
        search.sort_by,
        str(search.sort_order or "ascending") == "descending",
        search.start_index,
        search.count,
        Group,
    )
    roles = [row[0] for row in page.rows]
    links = {row[0].id: row[1] for row in page.rows}
    members = query.member_ids(roles) if _wants_members(search) else {}
    found = [
        resources.to_group(
            role,
            members.get(role.id),
            base(),
            links[role.id].external_id if links[role.id] is not None else None,
        )
        for role in roles
    ]
    return _listed(page, found, search, Group)


@bp.get("/Groups")
def group_list() -> Response:
    return _list_groups(_search(Group, _query_args()))


@bp.post("/Groups/.search")
def group_search() -> Response:
    return _list_groups(_search(Group, _body()))


def _member_ids(members: Any) -> list[int]:
    """The account ids a list of member values names; an unknown one is refused."""
    ids = []
    for member in members or []:
        value = member.get("value") if isinstance(member, dict) else getattr(member, "value", None)
        found = query.find_user(str(value)) if value is not None else None
        if found is None:
            raise InvalidValueException(detail=str(MESSAGES["member"] % {"value": value}))
        ids.append(found[0].id)
    return ids


@bp.post("/Groups")
def group_create() -> Response:
    group = Group.model_validate(
        _body(), scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_policy=POLICY
    )
    role = flows.create_group(
        auth.actor(),
        group.display_name,
        _member_ids(group.members),
        resources.external_id(group.external_id),
    )
    return _group_response(role.id, 201, Location=f"{base()}/Groups/{role.id}")


@bp.get("/Groups/<role_id>")
def group_get(role_id: str) -> Response:
    policy.require(auth.actor(), "roles:read")
    role = _role_or_404(role_id)
    return _group_response(role.id)


def _expected(role: Any) -> set[str] | None:
    """The content tag an If-Match names (checked by the role flow under its lock)."""
    if not request.if_match or request.if_match.star_tag:
        return None
    _check_if_match(resources.group_etag(role, flows.group_external_id(role.id)))
    return {flows.role_flows.content_tag(role)}


@bp.put("/Groups/<role_id>")
def group_replace(role_id: str) -> Response:
    role = _role_or_404(role_id)
    expected = _expected(role)
    group = Group.model_validate(
        _body(), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_policy=POLICY
    )
    wanted = set(_member_ids(group.members))
    current = {user.id for user in flows.role_members(role)}
    flows.rename_group(auth.actor(), role, group.display_name, expected)
    flows.set_group_external_id(auth.actor(), role, resources.external_id(group.external_id))
    flows.change_members(auth.actor(), role, wanted - current, current - wanted)
    return _group_response(role.id)


def _filtered_ids(node: Any) -> list[str]:
    """The ids a members[value eq "..." or value eq "..."] filter names."""
    if (
        isinstance(node, Comparison)
        and node.attr_path.attr.lower() == "value"
        and node.op.value == "eq"
    ):
        return [str(node.value)]
    if isinstance(node, LogicalExpr) and node.op.value == "or":
        return [value for term in node.terms for value in _filtered_ids(term)]
    raise InvalidPathException(detail=str(MESSAGES["members_path"]))


class _MemberChange:
    """The membership a sequence of PATCH operations asks for, applied in order."""

    def __init__(self, role: Any) -> None:
        self.role = role
        self.add: set[int] = set()
        self.remove: set[int] = set()
        self._current: set[int] | None = None

    def current(self) -> set[int]:
        if self._current is None:
            self._current = {user.id for user in flows.role_members(self.role)}
        return self._current

    def adding(self, ids: list[int]) -> None:
        self.add.update(ids)
        self.remove.difference_update(ids)

    def removing(self, ids: list[int]) -> None:
        self.remove.update(ids)
        self.add.difference_update(ids)

    def replacing(self, ids: list[int]) -> None:
        self.add = set(ids)
        self.remove = self.current() - set(ids)


class _GroupChange:
    """What a sequence of PATCH operations asks of a group, applied in order: its name, the
    provider's id for it, and its members."""

    def __init__(self, role: Any) -> None:
        self.members = _MemberChange(role)
        self.names: list[str] = []
        self.external_ids: list[str | None] = []


def _apply_group_operation(operation: Any, group: _GroupChange) -> None:
    op = operation.op
    path = operation.path
    value = operation.value
    change = group.members
    if path is None:
        if not isinstance(value, dict):
            raise InvalidValueException(detail=str(MESSAGES["body"]))
        for key, item in value.items():
            key = str(key).rsplit(":", 1)[-1].lower()
            if key == "displayname":
                group.names.append(str(item))
            elif key == "externalid":
                group.external_ids.append(resources.external_id(item))
            elif key == "members":
                ids = _member_ids(item)
                change.adding(ids) if op == PatchOperation.Op.add else change.replacing(ids)
            # The group's id, schemas and meta: nothing a provider changes.
        return
    attribute = str(path.attr or "").rsplit(":", 1)[-1].lower()
    if attribute == "displayname":
        if op == PatchOperation.Op.remove:
            raise MutabilityException(detail=str(MESSAGES["display_name"]))
        group.names.append(str(value))
        return
    if attribute == "externalid":
        removed = op == PatchOperation.Op.remove
        group.external_ids.append(None if removed else resources.external_id(value))
        return
    if attribute != "members":
        return
    if op == PatchOperation.Op.add:
        change.adding(_member_ids(value if isinstance(value, list) else [value]))
    elif op == PatchOperation.Op.replace_:
        if path.value_filter is not None:
            raise InvalidPathException(detail=str(MESSAGES["members_path"]))
        change.replacing(_member_ids(value if isinstance(value, list) else [value]))
    elif path.value_filter is not None:
        wanted = _filtered_ids(path.value_filter)
        change.removing([found[0].id for v in wanted if (found := query.find_user(v))])
    elif value is not None:
        entries = value if isinstance(value, list) else [value]
        ids = [str(e.get("value")) for e in entries if isinstance(e, dict)]
        change.removing([found[0].id for v in ids if (found := query.find_user(v))])
    else:
        change.replacing([])


@bp.patch("/Groups/<role_id>")
def group_patch(role_id: str) -> Response:
    role = _role_or_404(role_id)
    expected = _expected(role)
    patch = PatchOp[Group].model_validate(
        _body(), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
    )
    change = _GroupChange(role)
    for operation in patch.operations or []:
        _apply_group_operation(operation, change)
    if change.names:
        flows.rename_group(auth.actor(), role, change.names[-1], expected)
    if change.external_ids:
        flows.set_group_external_id(auth.actor(), role, change.external_ids[-1])
    flows.change_members(auth.actor(), role, change.members.add, change.members.remove)
    return _group_response(role.id)


@bp.delete("/Groups/<role_id>")
def group_delete(role_id: str) -> Response:
    role = _role_or_404(role_id)
    _expected(role)
    flows.delete_group(auth.actor(), role)
    return Response(status=204)
