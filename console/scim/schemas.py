"""What the console publishes about itself (RFC 7643 §5-7, RFC 7644 §4): the User and Group
schemas trimmed to the attributes it stores, their resource types, and its configuration.

The models of scim2-models describe every attribute RFC 7643 defines; the console reads
requests with them and ignores what it does not store (a provider's `title`), but it
publishes only what it keeps, so that a client's checks apply to what it can return.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from scim2_models import (
    Attribute,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Meta,
    Mutability,
    Pagination,
    Patch,
    Required,
    ResourceType,
    Schema,
    SchemaExtension,
    ServiceProviderConfig,
    Sort,
    User,
)

from ..core.user_fields import host_user_fields
from ..settings import setting

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# Core User attributes -> the sub-attributes published (None: a simple attribute).
USER_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "userName": None,
    "name": ("formatted", "givenName", "familyName"),
    "displayName": None,
    "locale": None,
    "timezone": None,
    "active": None,
    "emails": ("value", "type", "primary"),
    "groups": ("value", "$ref", "display", "type"),
}
# A group's members are accounts; their display name is not theirs to set.
GROUP_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "displayName": None,
    "members": ("value", "$ref", "type"),
}


def enterprise_fields() -> dict[str, str]:
    """Enterprise attribute -> declared host field, for the fields the host declared."""
    mapping = setting("CONSOLE_SCIM_ENTERPRISE_FIELDS") or {}
    declared = host_user_fields()
    return {attribute: field for attribute, field in mapping.items() if field in declared}


def _trim(attribute: Attribute, keep: tuple[str, ...] | None) -> Attribute:
    if keep is None:
        return attribute
    subs = [sub for sub in attribute.sub_attributes or [] if sub.name in keep]
    return attribute.model_copy(update={"sub_attributes": subs})


def _with(attribute: Attribute, sub: str | None = None, **changes: Any) -> Attribute:
    """`attribute` (or its sub-attribute `sub`) with `changes`."""
    if sub is None:
        return attribute.model_copy(update=changes)
    subs = [
        item.model_copy(update=changes) if item.name == sub else item
        for item in attribute.sub_attributes or []
    ]
    return attribute.model_copy(update={"sub_attributes": subs})


def _located(schema: Schema, base: str) -> Schema:
    meta = Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")
    return schema.model_copy(update={"meta": meta})


def user_schema(base: str) -> Schema:
    """The core User schema as the console keeps it."""
    schema = User.to_schema()
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in USER_ATTRIBUTES:
            continue
        attribute = _trim(attribute, USER_ATTRIBUTES[attribute.name])
        if attribute.name == "emails":
            # The account has one address, its userName: emails mirrors it.
            attribute = _with(attribute, mutability=Mutability.read_only)
            attribute = _with(attribute, "type", canonical_values=["work"])
        elif attribute.name == "locale":
            attribute = _with(attribute, canonical_values=list(setting("CONSOLE_LANGUAGES")))
        elif attribute.name == "timezone":
            attribute = _with(attribute, canonical_values=sorted(available_timezones()))
        elif attribute.name == "active":
            # Every account is active or not: there is no value to remove.
            attribute = _with(attribute, required=Required.true)
        elif attribute.name == "groups":
            attribute = _with(attribute, "type", canonical_values=["direct"])
        attributes.append(attribute)
    return _located(schema.model_copy(update={"attributes": attributes}), base)


def enterprise_schema(base: str) -> Schema | None:
    """The enterprise extension's attributes the host stores, or None when it stores none."""
    mapped = enterprise_fields()
    if not mapped:
        return None
    schema = EnterpriseUser.to_schema()
    attributes = [a for a in schema.attributes or [] if a.name in mapped]
    return _located(schema.model_copy(update={"attributes": attributes}), base)


def group_schema(base: str) -> Schema:
    """The core Group schema: a role's name and its members."""
    schema = Group.to_schema()
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name in GROUP_ATTRIBUTES:
            attribute = _trim(attribute, GROUP_ATTRIBUTES[attribute.name])
            if attribute.name == "members":
                attribute = _with(attribute, "type", canonical_values=["User"])
            attributes.append(attribute)
    return _located(schema.model_copy(update={"attributes": attributes}), base)


def schemas(base: str) -> list[Schema]:
    """Every schema the console publishes."""
    found = [user_schema(base), group_schema(base), enterprise_schema(base)]
    return [schema for schema in found if schema is not None]


def resource_types(base: str) -> list[ResourceType]:
    """The User and Group resource types (User with the enterprise extension when kept)."""
    extensions = (
        [SchemaExtension(schema_=ENTERPRISE_SCHEMA, required=False)]
        if enterprise_fields()
        else None
    )
    return [
        ResourceType(
            id="User",
            name="User",
            description="User accounts of the console",
            endpoint="/Users",
            schema_=USER_SCHEMA,
            schema_extensions=extensions,
            meta=Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/User"),
        ),
        ResourceType(
            id="Group",
            name="Group",
            description="Roles of the console",
            endpoint="/Groups",
            schema_=GROUP_SCHEMA,
            meta=Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/Group"),
        ),
    ]


def service_provider_config(base: str, documentation: str | None) -> ServiceProviderConfig:
    """What the console supports: PATCH, filters, sorting, ETags, index pagination; no
    bulk and no password changes (accounts choose their own password)."""
    size = int(setting("CONSOLE_SCIM_PAGE_SIZE"))
    largest = int(setting("CONSOLE_SCIM_PAGE_SIZE_MAX"))
    return ServiceProviderConfig(
        documentation_uri=documentation,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=largest),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        pagination=Pagination(
            cursor=False,
            index=True,
            default_pagination_method="index",
            default_page_size=size,
            max_page_size=largest,
        ),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Personal access token",
                description="A token of a service account carrying the scim:provision scope, "
                "sent as “Authorization: Bearer sct_…”.",
                primary=True,
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base}/ServiceProviderConfig"),
    )
