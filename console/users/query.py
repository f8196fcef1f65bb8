"""The user list query: indexed prefix search, filters, sorting and keyset pages."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from flask_security import naive_utcnow
from sqlalchemy import Select, String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import load_only, selectinload

from ..core import dates, factors
from ..core.models import models
from ..core.schema import MEMBER_CREATED, membership_columns
from ..core.search import prefix_range
from ..extensions import db
from ..mixins import ConsoleUserMixin

# Columns the list may load and show; every secret column stays out of the SELECT.
LIST_COLUMNS = (
    "id",
    "email",
    "username",
    "name",
    "active",
    "confirmed_at",
    "current_login_at",
    "create_datetime",
    "locked_until",
    "invited_at",
)


class Sort(NamedTuple):
    """An order of the list: the user column, compared lowercased or not, whether it may be
    NULL, and the python type of the cursor value."""

    column: str
    lowered: bool
    nullable: bool
    kind: str


SORTS: dict[str, Sort] = {
    "email": Sort("email", True, False, "str"),
    "name": Sort("name", True, True, "str"),
    "created": Sort("create_datetime", False, False, "datetime"),
    "last_login": Sort("current_login_at", False, True, "datetime"),
}
DEFAULT_SORT = "created"


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get((value or "").strip().lower())


DAY_FIELDS = ("login_after", "login_before", "created_from", "created_to")


def _days(args: Any) -> tuple[dict[str, date | None], tuple[str, ...]]:
    values: dict[str, date | None] = {}
    errors = []
    for name in DAY_FIELDS:
        try:
            values[name] = dates.parse_day(args.get(name))
        except ValueError:
            values[name] = None
            errors.append(name)
    return values, tuple(errors)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ListParams:
    """What the operator asked the list for, parsed leniently: bad input is ignored, except
    a date that cannot be read, which `errors` names (a filter silently dropped would list
    more than was asked for)."""

    q: str = ""
    active: bool | None = None
    confirmed: bool | None = None
    role: int | None = None
    has_mfa: bool | None = None
    locked: bool | None = None
    login_after: date | None = None
    login_before: date | None = None
    created_from: date | None = None
    created_to: date | None = None
    sort: str = DEFAULT_SORT
    desc: bool = True
    after: str | None = None
    page_size: int = 50
    errors: tuple[str, ...] = field(default=())

    @classmethod
    def from_args(cls, args: Any, default_size: int, max_size: int) -> ListParams:
        """Parse request arguments; the page size is clamped to [1, max_size]."""
        login_range = bool(args.get("login_after") or args.get("login_before"))
        # A range on the last sign-in is read off that column's index when the list is
        # ordered by it; ordered by creation, a million-row walk would hunt for matches.
        default = "last_login" if login_range else DEFAULT_SORT
        sort = args.get("sort", default)
        if sort not in SORTS:
            sort = default
        size = _int(args.get("size")) or default_size
        days, errors = _days(args)
        return cls(
            q=(args.get("q") or "").strip()[:255],
            active=_flag(args.get("active")),
            confirmed=_flag(args.get("confirmed")),
            role=_int(args.get("role")),
            has_mfa=_flag(args.get("mfa")),
            locked=_flag(args.get("locked")),
            login_after=days["login_after"],
            login_before=days["login_before"],
            created_from=days["created_from"],
            created_to=days["created_to"],
            sort=sort,
            desc=args.get("dir", "desc" if sort in ("created", "last_login") else "asc") == "desc",
            after=args.get("after") or None,
            page_size=max(1, min(size, max_size)),
            errors=errors,
        )

    def query_args(self, **override: Any) -> dict[str, Any]:
        """The URL arguments that reproduce these parameters (empty ones left out)."""
        values = replace(self, **{k: v for k, v in override.items() if k != "after"})
        yes_no = {True: "yes", False: "no", None: None}
        args = {
            "q": values.q,
            "active": yes_no[values.active],
            "confirmed": yes_no[values.confirmed],
            "role": values.role,
            "mfa": yes_no[values.has_mfa],
            "locked": yes_no[values.locked],
            "login_after": values.login_after,
            "login_before": values.login_before,
            "created_from": values.created_from,
            "created_to": values.created_to,
            "sort": values.sort,
            "dir": "desc" if values.desc else "asc",
            "size": values.page_size,
            "after": override.get("after"),
        }
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in args.items() if v}


def has_mfa_condition(wanted: bool = True) -> Any:
    """A second factor (or none), as the factor registry keeps it on each account."""
    return factors.has_second_factor_flag(wanted)


# Up to this many members, a role's member ids are read off the (role_id, user_id) index and
# the page sorted from them; a larger role matches densely, so walking the order finds a
# page of members quickly. (The default order never gets here: see _through_membership.)
SMALL_ROLE = 20_000


def _membership() -> tuple[Any, Any, Any]:
    """The user-role table's user-id and role-id columns and its copy of the member's
    creation date (console.core.schema)."""
    m = models()
    roles_users = m.roles_users
    user_column, role_column = membership_columns(roles_users, m.User.__table__, m.Role.__table__)
    return user_column, role_column, roles_users.c[MEMBER_CREATED]


def _through_membership(params: ListParams) -> bool:
    """Whether the page is read off the role's memberships, in the order of their
    (role, member's creation date, user) index: the list's default order, filtered by a
    role. A page then reads its own rows however many members the role has."""
    return params.role is not None and params.sort == "created"


def _in_role(role_id: int) -> Any:
    Role = models().Role
    User = models().User
    user_column, role_column, _ = _membership()
    members = db.session.scalar(select(Role.member_count).where(Role.id == role_id)) or 0
    if members <= SMALL_ROLE:
        return User.id.in_(select(user_column).where(role_column == role_id))
    return exists().where(user_column == User.id, role_column == role_id)


def filtered(params: ListParams, through_membership: bool = False) -> Select:
    """SELECT users matching the search and filters (no order, no limit); with
    `through_membership`, the role filter joins its memberships (one row per member), whose
    columns then order the page."""
    User = models().User
    stmt = select(User).options(load_only(*(getattr(User, name) for name in LIST_COLUMNS)))
    if params.q:
        stmt = stmt.where(
            or_(
                prefix_range(User.email, params.q),
                prefix_range(User.username, params.q),
                prefix_range(User.name, params.q),
            )
        )
    if params.active is not None:
        stmt = stmt.where(User.active.is_(params.active))
    if params.confirmed is not None:
        stmt = stmt.where(
            User.confirmed_at.is_not(None) if params.confirmed else User.confirmed_at.is_(None)
        )
    if params.role is not None and through_membership:
        user_column, role_column, _ = _membership()
        stmt = stmt.join(user_column.table, user_column == User.id).where(
            role_column == params.role
        )
    elif params.role is not None:
        stmt = stmt.where(_in_role(params.role))
    if params.has_mfa is not None:
        stmt = stmt.where(has_mfa_condition(params.has_mfa))
    if params.locked is not None:
        now = naive_utcnow()
        locked = and_(User.locked_until.is_not(None), User.locked_until > now)
        if params.locked:
            # Locked accounts are few: as a plain WHERE, SQLite walks the whole sort index
            # looking for them; as an id list read off their own index, it sorts a handful.
            stmt = stmt.where(User.id.in_(select(User.id).where(locked)))
        else:
            stmt = stmt.where(~locked)
    # The days are the operator's: they start at midnight in the operator's zone.
    if params.login_after:
        stmt = stmt.where(User.current_login_at >= dates.day_start(params.login_after))
    if params.login_before:
        stmt = stmt.where(User.current_login_at < dates.day_start(params.login_before))
    if params.created_from:
        stmt = stmt.where(User.create_datetime >= dates.day_start(params.created_from))
    if params.created_to:
        end = dates.day_start(params.created_to + timedelta(days=1))
        stmt = stmt.where(User.create_datetime < end)
    return stmt


def encode_cursor(sort: str, value: Any, user_id: int) -> str:
    """An opaque cursor: the sort value (as the database computed it) and id of a row."""
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, user_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str | None) -> tuple[Any, int] | None:
    """(value, id) from a cursor made for `sort`, or None when absent or not ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, user_id = json.loads(raw)
        if cursor_sort != sort or not isinstance(user_id, int):
            return None
        if value is not None:
            value = str(value) if _raw_key(sort) else _typed(sort, value)
        return value, user_id
    except (ValueError, TypeError, binascii.Error, KeyError):
        return None


def _raw_key(sort: str) -> bool:
    """SQLite keeps datetimes as text in more than one format ("…:30" and "…:30.000000"),
    so its cursors carry and compare the stored text, never a re-formatted value."""
    return SORTS[sort].kind == "datetime" and db.engine.dialect.name == "sqlite"


def _typed(sort: str, value: Any) -> Any:
    return datetime.fromisoformat(value) if SORTS[sort].kind == "datetime" else str(value)


def _sort_expression(sort: str) -> Any:
    """The SQL the list orders by for `sort`, over the configured user model."""
    order = SORTS[sort]
    column = getattr(models().User, order.column)
    return func.lower(column) if order.lowered else column


def _order_keys(params: ListParams) -> tuple[Any, Any]:
    """The sort expression and the id that breaks its ties, as the page's SQL orders by them:
    the user's columns, or the role's memberships' copies of the same values."""
    if _through_membership(params):
        user_column, _, created = _membership()
        return created, user_column
    return _sort_expression(params.sort), models().User.id


def _sort_key(sort: str, expr: Any) -> Any:
    return cast(expr, String) if _raw_key(sort) else expr


def _after(expr: Any, tie: Any, nullable: bool, desc: bool, value: Any, user_id: int) -> Any:
    """Rows after (value, user_id) in the order: asc NULLS FIRST / desc NULLS LAST, then id."""
    # `expr >= value` / `expr <= value` repeat what the OR implies, as a bound the index range
    # starts at: without it a deep page walks the index from the first row.
    if not desc:
        if value is None:
            return or_(and_(expr.is_(None), tie > user_id), expr.is_not(None))
        return and_(expr >= value, or_(expr > value, and_(expr == value, tie > user_id)))
    if value is None:
        return and_(expr.is_(None), tie < user_id)
    later = or_(expr < value, and_(expr == value, tie < user_id))
    return or_(later, expr.is_(None)) if nullable else and_(expr <= value, later)


def page_statement(params: ListParams) -> Select:
    """One page (plus one row to know whether another follows), keyset-paged."""
    expr, tie = _order_keys(params)
    nullable = SORTS[params.sort].nullable
    # The sort key comes back with each row, so the cursor holds exactly what SQL compares.
    stmt = filtered(params, through_membership=_through_membership(params)).add_columns(
        _sort_key(params.sort, expr).label("sort_key")
    )
    cursor = decode_cursor(params.sort, params.after)
    if cursor is not None:
        value, user_id = cursor
        if value is not None and _raw_key(params.sort):
            value = literal(value, String)
        stmt = stmt.where(_after(expr, tie, nullable, params.desc, value, user_id))
    # NULLS placement is spelled out for nullable keys only: on a NOT NULL key it would stop
    # PostgreSQL from reading the key's plain index in order.
    if params.desc:
        order = [expr.desc().nulls_last() if nullable else expr.desc(), tie.desc()]
    else:
        order = [expr.asc().nulls_first() if nullable else expr.asc(), tie.asc()]
    return stmt.order_by(*order).limit(params.page_size + 1)


@dataclass
class Page:
    """The users of one page, their factors, and the cursor of the next page."""

    users: list[ConsoleUserMixin]
    mfa: dict[int, list[factors.Factor]]
    next_cursor: str | None


def mfa_methods(users: list[ConsoleUserMixin]) -> dict[int, list[factors.Factor]]:
    """The registered factors each user has set up, for a whole page in one query."""
    return factors.set_up_by_user(user.id for user in users)


def load_page(params: ListParams) -> Page:
    """Run the page query with roles loaded in bulk: a fixed number of statements."""
    Role = models().Role
    User = models().User
    stmt = page_statement(params).options(selectinload(User.roles).load_only(Role.id, Role.name))
    rows = db.session.execute(stmt).all()[: params.page_size + 1]
    users = [row[0] for row in rows[: params.page_size]]
    following = None
    if len(rows) > params.page_size:
        last = rows[params.page_size - 1]
        following = encode_cursor(params.sort, last[1], last[0].id)
    return Page(users=users, mfa=mfa_methods(users), next_cursor=following)


def iterate_filtered(params: ListParams, batch: int = 500):
    """Every matching user in id order, fetched in keyset batches (for exports)."""
    Role = models().Role
    User = models().User
    last_id = 0
    while True:
        stmt = (
            filtered(params)
            .where(User.id > last_id)
            .options(selectinload(User.roles).load_only(Role.id, Role.name))
            .order_by(User.id)
            .limit(batch)
        )
        users = list(db.session.scalars(stmt))
        if not users:
            return
        yield users, mfa_methods(users)
        last_id = users[-1].id
