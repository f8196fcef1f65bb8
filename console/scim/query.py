"""Reading accounts and roles for SCIM: one by id, or a filtered, sorted page with its total.

Accounts a provider deleted (kept deactivated) are left out of everything, as if gone.
Filters become conditions on indexed columns (console.scim.filters); pages are
startIndex/count, as RFC 7644 §3.4.2.4 defines them, ordered by an indexed column and then
by id so that every page is stable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from scim2_models import InvalidValueException, TooManyException
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from ..core.models import models
from ..extensions import db
from ..settings import setting
from . import filters
from .filters import Column
from .models import ScimGroupLink, ScimUserLink
from .schemas import ENTERPRISE_SCHEMA, enterprise_fields

MESSAGES = {
    "sort": _l("The console cannot sort by %(attribute)s."),
}


def _too_many_members(group: str, num: int) -> str:
    return str(
        lazy_ngettext(
            "The group %(group)s has more members than a response lists (%(num)d member): "
            "ask with excludedAttributes=members and filter /Users instead.",
            "The group %(group)s has more members than a response lists (%(num)d members): "
            "ask with excludedAttributes=members and filter /Users instead.",
            num,
            group=group,
        )
    )


@dataclass
class Page:
    """One page of a list: the rows, the total matching, and where the page starts."""

    rows: list[Any]
    total: int
    start: int


def _visible() -> Any:
    # A LEFT JOIN keeps accounts without a link; a link marks the ones a provider deleted.
    return ScimUserLink.deleted_at.is_(None)


def user_statement() -> Any:
    """Accounts SCIM sees, each with its link (or None), their roles loaded with them."""
    User = models().User
    return (
        select(User, ScimUserLink)
        .outerjoin(ScimUserLink, ScimUserLink.user_id == User.id)
        .where(_visible())
        .options(selectinload(User.roles))
    )


def find_user(user_id: str) -> tuple[Any, Any] | None:
    """(account, link) for SCIM id `user_id`, or None (unknown, or deleted by a provider)."""
    User = models().User
    try:
        number = int(user_id)
    except ValueError:
        return None
    if not 0 < number < 2**31:
        return None
    row = db.session.execute(user_statement().where(User.id == number)).first()
    return (row[0], row[1]) if row is not None else None


def user_columns() -> dict[str, Column]:
    """Every attribute a filter may name on users, and its column."""
    User = models().User
    email = Column(User.email, nullable=False)
    name = Column(User.name)
    columns = {
        "username": email,
        "emails": email,
        "emails.value": email,
        "emails.type": Column(None, constant="work"),
        "emails.primary": Column(None, constant=True),
        "id": Column(User.id, kind="int", nullable=False),
        "externalid": Column(ScimUserLink.external_id, case_exact=True),
        "displayname": name,
        "name.formatted": name,
        "name.givenname": Column(ScimUserLink.given_name),
        "name.familyname": Column(ScimUserLink.family_name),
        "active": Column(User.active, kind="bool", nullable=False),
        "locale": Column(User.locale),
        "timezone": Column(User.timezone, case_exact=True),
        "meta.created": Column(User.create_datetime, kind="time"),
        "meta.lastmodified": Column(User.update_datetime, kind="time"),
    }
    for attribute, field in enterprise_fields().items():
        column = Column(getattr(User, field))
        columns[attribute.lower()] = column
        columns[f"{ENTERPRISE_SCHEMA.lower()}:{attribute.lower()}"] = column
    return columns


def _member_of(value: Any) -> Any:
    User = models().User
    roles_users = models().roles_users
    user_column, role_column = _membership_columns()
    condition = user_column == User.id
    if value is not None:
        try:
            condition = condition & (role_column == int(str(value)))
        except ValueError:
            return select(roles_users).where(False).exists()
    return exists().where(condition)


def _membership_columns() -> tuple[Any, Any]:
    from ..core.schema import membership_columns

    m = models()
    return membership_columns(m.roles_users, m.User.__table__, m.Role.__table__)


USER_SORTS = {
    "username": "email",
    "emails": "email",
    "emails.value": "email",
    "displayname": "name",
    "name.formatted": "name",
    "meta.created": "create_datetime",
    "meta.lastmodified": "update_datetime",
    "id": "id",
}


def _sort_key(sort_by: str | None, sorts: dict[str, str], model: Any) -> Any:
    if not sort_by:
        return None
    # The core schema's URN in front of an attribute changes nothing.
    key = str(sort_by).rsplit(":", 1)[-1].lower() if ":core:" in sort_by else str(sort_by).lower()
    column = sorts.get(key)
    if column is None:
        raise InvalidValueException(detail=str(MESSAGES["sort"] % {"attribute": sort_by}))
    expression = getattr(model, column)
    # Text sorts without case, as the indexes on lower(email) and lower(name) do.
    return func.lower(expression) if column in ("email", "name") else expression


def _page(statement: Any, id_column: Any, sort: Any, descending: bool, start: int, count: int):
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    order = []
    if sort is not None:
        order.append(sort.desc() if descending else sort.asc())
    order.append(id_column.desc() if descending and sort is not None else id_column.asc())
    rows: list[Any] = []
    if count > 0:
        rows = list(
            db.session.execute(statement.order_by(*order).offset(start - 1).limit(count)).all()
        )
    return Page(rows=rows, total=int(total or 0), start=start)


def _limits(start: int | None, count: int | None) -> tuple[int, int]:
    largest = int(setting("CONSOLE_SCIM_PAGE_SIZE_MAX"))
    size = int(setting("CONSOLE_SCIM_PAGE_SIZE")) if count is None else count
    return max(1, start or 1), max(0, min(size, largest))


@dataclass(frozen=True)
class Searched:
    """A resource type as a search sees it: its model, the attributes a filter may name
    (and those answered by an EXISTS), and the attributes it sorts by."""

    entity: Any
    columns: dict[str, Column]
    exists_map: dict[str, Callable[[Any], Any]]
    sorts: dict[str, str]

    def page(
        self,
        statement: Any,
        filter_text: str | None,
        model: Any,
        sort_by: str | None,
        descending: bool,
        start: int | None,
        count: int | None,
    ) -> Page:
        """The page of `statement`'s rows that `filter_text` matches, in the asked order."""
        if filter_text:
            condition = filters.condition(filter_text, model, self.columns, self.exists_map)
            statement = statement.where(condition)
        first, size = _limits(start, count)
        sort = _sort_key(sort_by, self.sorts, self.entity)
        return _page(statement, self.entity.id, sort, descending, first, size)


def list_users(
    filter_text: str | None,
    sort_by: str | None,
    descending: bool,
    start: int | None,
    count: int | None,
    model: Any,
) -> Page:
    """A page of the accounts matching `filter_text`, sorted by `sort_by`."""
    searched = Searched(
        models().User,
        user_columns(),
        {"groups": _member_of, "groups.value": _member_of},
        USER_SORTS,
    )
    return searched.page(user_statement(), filter_text, model, sort_by, descending, start, count)


# --- groups --------------------------------------------------------------------------------


def find_role(role_id: str) -> Any | None:
    """The role of SCIM id `role_id`, or None."""
    try:
        number = int(role_id)
    except ValueError:
        return None
    if not 0 < number < 2**31:
        return None
    return db.session.get(models().Role, number)


def group_columns() -> dict[str, Column]:
    """Every attribute a filter may name on groups, and its column."""
    Role = models().Role
    changed = Column(Role.update_datetime, kind="time")
    return {
        "displayname": Column(Role.name, nullable=False),
        "id": Column(Role.id, kind="int", nullable=False),
        "externalid": Column(ScimGroupLink.external_id, case_exact=True),
        "meta.created": changed,
        "meta.lastmodified": changed,
    }


def _has_member(value: Any) -> Any:
    Role = models().Role
    user_column, role_column = _membership_columns()
    condition = role_column == Role.id
    if value is not None:
        try:
            condition = condition & (user_column == int(str(value)))
        except ValueError:
            return select(models().roles_users).where(False).exists()
    return exists().where(condition)


GROUP_SORTS = {"displayname": "name", "id": "id", "meta.lastmodified": "update_datetime"}


def list_groups(
    filter_text: str | None,
    sort_by: str | None,
    descending: bool,
    start: int | None,
    count: int | None,
    model: Any,
) -> Page:
    """A page of the roles matching `filter_text`, each with its link (or None)."""
    Role = models().Role
    statement = select(Role, ScimGroupLink).outerjoin(
        ScimGroupLink, ScimGroupLink.role_id == Role.id
    )
    searched = Searched(
        Role, group_columns(), {"members": _has_member, "members.value": _has_member}, GROUP_SORTS
    )
    return searched.page(statement, filter_text, model, sort_by, descending, start, count)


def member_ids(roles: list[Any]) -> dict[int, list[int]]:
    """The visible members of each role, by id; refused for a role with too many."""
    largest = int(setting("CONSOLE_SCIM_GROUP_MEMBERS_MAX"))
    for role in roles:
        if (role.member_count or 0) > largest:
            raise TooManyException(detail=_too_many_members(role.name, largest))
    ids = [role.id for role in roles]
    found: dict[int, list[int]] = {role_id: [] for role_id in ids}
    if not ids:
        return found
    user_column, role_column = _membership_columns()
    rows = db.session.execute(
        select(role_column, user_column)
        .outerjoin(ScimUserLink, ScimUserLink.user_id == user_column)
        .where(role_column.in_(ids), _visible())
        .order_by(role_column, user_column)
    )
    for role_id, user_id in rows:
        found[role_id].append(user_id)
    return found
