"""The console's accounts and roles as SCIM resources, and a provider's resources as the
console's values: one mapping, read by the views and written through the flows.

userName is the account's email address (the console signs in by it); emails mirrors it.
displayName and name.formatted are the account's one display name; givenName and
familyName are kept beside it (console.scim.models). Groups are roles.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from pydantic import ValidationError
from scim2_models import (
    Email,
    EnterpriseUser,
    Group,
    GroupMember,
    GroupMembership,
    InvalidValueException,
    Meta,
    Name,
    User,
)

from ..roles.flows import content_tag
from ..settings import setting
from .schemas import enterprise_fields

# The model requests are read with: every attribute RFC 7643 defines, the enterprise
# extension included, so that a provider's attribute the console does not keep is ignored
# rather than refused.
UserResource = User[EnterpriseUser]
# The console's columns hold at most this many characters.
MAX_LENGTH = 255

MESSAGES: dict[str, Any] = {
    "too_long": lambda num, attribute: lazy_ngettext(
        "%(attribute)s takes at most %(num)d character.",
        "%(attribute)s takes at most %(num)d characters.",
        num,
        attribute=attribute,
    ),
    "timezone": _l("%(value)s is not a time zone of the IANA database, such as Europe/Paris."),
    "user_name": _l("userName is the account's email address: %(value)s is not one."),
    "password": _l(
        "This service provider never accepts passwords: accounts choose their own through "
        "the invitation they are mailed."
    ),
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _utc(moment: datetime | None) -> datetime | None:
    # Stored times are naive UTC.
    return moment.replace(tzinfo=UTC) if moment is not None else None


def user_etag(user: Any) -> str:
    """The account's version as a weak entity tag (its edit_version)."""
    return f'W/"{user.edit_version}"'


def group_etag(role: Any, external_id: str | None = None) -> str:
    """A role's version: its content (name, permissions...), its number of members and the
    provider's id for it."""
    tag = hashlib.sha256(f"{content_tag(role)}|{external_id or ''}".encode()).hexdigest()[:16]
    return f'W/"{tag}.{role.member_count}"'


def to_user(user: Any, link: Any, base: str, roles: list[Any] | None = None) -> UserResource:
    """The SCIM User of `user` (with `link`, its ScimUserLink or None)."""
    given = link.given_name if link is not None else None
    family = link.family_name if link is not None else None
    resource = UserResource(
        id=str(user.id),
        external_id=link.external_id if link is not None else None,
        user_name=user.email,
        display_name=user.name or None,
        locale=user.locale or None,
        timezone=user.timezone or None,
        active=bool(user.active),
    )
    if user.name or given or family:
        resource.name = Name(formatted=user.name or None, given_name=given, family_name=family)
    try:
        resource.emails = [Email(value=user.email, type="work", primary=True)]
    except ValidationError:
        # An address Flask-Security accepted that pydantic's stricter reading does not: the
        # userName still carries it.
        resource.emails = None
    if roles:
        resource.groups = [
            GroupMembership(
                value=str(role.id), ref=f"{base}/Groups/{role.id}", display=role.name, type="direct"
            )
            for role in roles
        ]
    enterprise = {
        _snake(attribute): getattr(user, name)
        for attribute, name in enterprise_fields().items()
        if getattr(user, name)
    }
    if enterprise:
        resource[EnterpriseUser] = EnterpriseUser(**enterprise)
    resource.meta = Meta(
        resource_type="User",
        created=_utc(user.create_datetime),
        last_modified=_utc(user.update_datetime or user.create_datetime),
        location=f"{base}/Users/{user.id}",
        version=user_etag(user),
    )
    return resource


def to_group(
    role: Any, member_ids: list[int] | None, base: str, external_id: str | None = None
) -> Group:
    """The SCIM Group of `role`; `member_ids` None leaves members out."""
    group = Group(id=str(role.id), display_name=role.name, external_id=external_id)
    if member_ids:
        group.members = [
            GroupMember(value=str(uid), ref=f"{base}/Users/{uid}", type="User")
            for uid in member_ids
        ]
    # Roles keep no creation time: their last change is the oldest time the console knows.
    changed = _utc(role.update_datetime)
    group.meta = Meta(
        resource_type="Group",
        created=changed,
        last_modified=changed,
        location=f"{base}/Groups/{role.id}",
        version=group_etag(role, external_id),
    )
    return group


@dataclass
class UserValues:
    """What a SCIM User asks of the console: the flows' profile values and the link's."""

    profile: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None

    @property
    def link(self) -> dict[str, str | None]:
        """The ScimUserLink columns."""
        return {
            "external_id": self.external_id,
            "given_name": self.given_name,
            "family_name": self.family_name,
        }


def _text(value: Any, attribute: str) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    if len(text) > MAX_LENGTH:
        raise InvalidValueException(
            detail=str(MESSAGES["too_long"](num=MAX_LENGTH, attribute=attribute))
        )
    return text or None


def external_id(value: Any) -> str | None:
    """A provider's externalId as stored."""
    return _text(value, "externalId")


def _locale(value: str | None) -> str | None:
    """A console language for a provider's locale ("en-US" is English); None when the
    console has no such language (the account then follows its browser)."""
    if not value:
        return None
    languages = list(setting("CONSOLE_LANGUAGES"))
    if value in languages:
        return value
    language = re.split(r"[-_]", value, maxsplit=1)[0].lower()
    return language if language in languages else None


def _timezone(value: str | None) -> str | None:
    if not value:
        return None
    if value not in available_timezones():
        raise InvalidValueException(detail=str(MESSAGES["timezone"] % {"value": value}))
    return value


def _email(value: str | None) -> str:
    from flask_security.proxies import _security

    try:
        return str(_security._mail_util.validate(value or ""))
    except ValueError:
        raise InvalidValueException(
            detail=str(MESSAGES["user_name"] % {"value": value or ""})
        ) from None


def _name_parts(resource: UserResource) -> tuple[str | None, str | None, str | None]:
    name = resource.name
    if name is None:
        return None, None, None
    return name.formatted, name.given_name, name.family_name


def _display_name(after: UserResource, before: UserResource | None) -> str | None:
    """The one display name the account keeps, from what the provider changed: displayName,
    else name.formatted, else givenName and familyName."""
    formatted, given, family = _name_parts(after)
    composed = " ".join(part for part in (given, family) if part) or None
    if before is None:
        return after.display_name or formatted or composed
    old_formatted, old_given, old_family = _name_parts(before)
    parts_changed = (given, family) != (old_given, old_family)
    if after.display_name != before.display_name:
        if after.display_name:
            return after.display_name
        # displayName removed: what else the request set, or no name at all.
        if formatted and formatted != old_formatted:
            return formatted
        return composed if parts_changed else None
    if formatted != old_formatted:
        return formatted or (composed if parts_changed else None)
    if parts_changed and not formatted:
        return composed
    return before.display_name


def from_user(after: UserResource, before: UserResource | None = None) -> UserValues:
    """The console's values for `after`; `before` (the stored state) says what changed."""
    _formatted, given, family = _name_parts(after)
    active = after.active
    if active is None:
        # A replacement that leaves active out does not deactivate the account.
        active = before.active if before is not None and before.active is not None else True
    profile: dict[str, Any] = {
        "email": _email(after.user_name),
        "name": _text(_display_name(after, before), "displayName") or "",
        "locale": _locale(after.locale) or "",
        "timezone": _timezone(after.timezone) or "",
        "active": bool(active),
    }
    extension = after[EnterpriseUser]
    for attribute, name in enterprise_fields().items():
        value = getattr(extension, _snake(attribute), None) if extension is not None else None
        profile[name] = _text(value, attribute) or ""
    return UserValues(
        profile=profile,
        external_id=_text(after.external_id, "externalId"),
        given_name=_text(given, "name.givenName"),
        family_name=_text(family, "name.familyName"),
    )


# Attributes of a User the console publishes as read-only: RFC 7643 §7 has a service
# provider ignore them in a request (emails mirrors userName; groups are roles).
READ_ONLY = frozenset({"emails", "groups"})


def _attribute_name(key: Any) -> str:
    """`urn:...:User:emails[type eq "work"].value` -> "emails"."""
    name = str(key).split("[", 1)[0].split(".", 1)[0]
    return name.rsplit(":", 1)[-1].lower()


def without_read_only(body: dict[str, Any]) -> dict[str, Any]:
    """A User body without the read-only attributes (read as they are, they could only be
    refused: a provider's address the console would not keep)."""
    return {k: v for k, v in body.items() if _attribute_name(k) not in READ_ONLY}


def patch_without_read_only(body: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp body whose operations leave the read-only attributes alone."""
    operations = []
    for operation in body.get("Operations") or []:
        if not isinstance(operation, dict):
            operations.append(operation)
            continue
        path = operation.get("path")
        if path and _attribute_name(path) in READ_ONLY:
            continue
        value = operation.get("value")
        if not path and isinstance(value, dict):
            operation = {**operation, "value": without_read_only(value)}
        operations.append(operation)
    return {**body, "Operations": operations}


def refuse_password(body: Any) -> None:
    """Refuse a request that carries a password anywhere (a User, a PATCH operation)."""
    if _carries_password(body):
        raise InvalidValueException(detail=str(MESSAGES["password"]))


def _carries_password(value: Any) -> bool:
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key).rsplit(":", 1)[-1].lower()
            if name == "password" or (name == "path" and str(item).lower().endswith("password")):
                return True
            if _carries_password(item):
                return True
    elif isinstance(value, list):
        return any(_carries_password(item) for item in value)
    return False
