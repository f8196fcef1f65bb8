"""SCIM filters (RFC 7644 §3.4.2.2) as SQLAlchemy conditions on indexed columns.

scim2-models parses the filter (operator precedence, escapes, attribute paths) and walks
its tree; this module says which column each attribute is and what each operator means
there. `userName eq "..."` is `lower(email) = ...`, which the unique index on lower(email)
answers. An attribute the console does not keep is an invalidFilter error, never a
silently empty page. Every comparison is false, never NULL, on an absent value, so that
`not (...)` selects exactly the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import FilterVisitor
from scim2_models.path.expressions import (
    AttrPath,
    CompareOperator,
    Comparison,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true

MESSAGES: dict[str, Any] = {
    "attribute": _l("The console cannot filter on %(attribute)s."),
    "operator": _l("%(attribute)s cannot be compared with %(operator)s."),
    "value": _l("%(value)s is not a value %(attribute)s can hold."),
}

Op = CompareOperator
ORDERED = frozenset({Op.gt, Op.ge, Op.lt, Op.le})
TEXT_ONLY = frozenset({Op.co, Op.sw, Op.ew})


@dataclass(frozen=True)
class Column:
    """An attribute's column: `kind` is text, bool, int or time; text compares without case
    unless `case_exact`; `nullable` columns get an IS NOT NULL guard."""

    expression: Any
    kind: str = "text"
    case_exact: bool = False
    nullable: bool = True
    # A fixed value instead of a column (emails.type is always "work").
    constant: Any = None


def attribute_key(path: AttrPath, prefix: str = "") -> str:
    """`name.givenName` as the lower-case key the column maps use; an extension's URN stays
    in front of its attribute (`urn:...:enterprise:2.0:user:department`)."""
    name = path.attr if not path.sub_attr else f"{path.attr}.{path.sub_attr}"
    key = f"{prefix}{name}".lower()
    # The core schema's URN in front of a core attribute changes nothing.
    if path.uri and ":core:" not in path.uri.lower():
        return f"{path.uri.lower()}:{key}"
    return key


def _refuse(message: str, **params: Any) -> InvalidFilterException:
    return InvalidFilterException(detail=str(MESSAGES[message] % params))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _time(value: Any, attribute: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise _refuse("value", value=value, attribute=attribute) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


class SqlFilter(FilterVisitor[ColumnElement[bool]]):
    """Translate a parsed filter with `columns` (attribute key -> Column) and `exists`
    (attribute key -> a function of the compared value giving an EXISTS condition)."""

    def __init__(
        self,
        columns: dict[str, Column],
        exists: dict[str, Callable[[Any], ColumnElement[bool]]] | None = None,
        prefix: str = "",
    ) -> None:
        self.columns = columns
        self.exists = exists or {}
        self.prefix = prefix

    def _column(self, path: AttrPath) -> tuple[str, Column]:
        key = attribute_key(path, self.prefix)
        column = self.columns.get(key)
        if column is None:
            raise _refuse("attribute", attribute=key)
        return key, column

    def visit_logical_expr(self, node: LogicalExpr) -> ColumnElement[bool]:
        terms = [self.visit(term) for term in node.terms]
        return and_(*terms) if node.op == LogicalOperator.and_ else or_(*terms)

    def visit_not(self, node: Not) -> ColumnElement[bool]:
        return not_(self.visit(node.expr))

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        # emails[type eq "work"]: the inner filter on the sub-attributes of the one value.
        inner = SqlFilter(self.columns, self.exists, prefix=f"{node.attr_path.attr}.")
        return inner.visit(node.val_filter)

    def visit_present(self, node: Present) -> ColumnElement[bool]:
        key = attribute_key(node.attr_path, self.prefix)
        if key in self.exists:
            return self.exists[key](None)
        _key, column = self._column(node.attr_path)
        if column.constant is not None:
            return true()
        if column.kind == "text":
            return and_(column.expression.isnot(None), column.expression != "")
        return column.expression.isnot(None)

    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        key = attribute_key(node.attr_path, self.prefix)
        if key in self.exists:
            if node.op != Op.eq:
                raise _refuse("operator", attribute=key, operator=node.op.value)
            return self.exists[key](node.value)
        _key, column = self._column(node.attr_path)
        op, value = node.op, node.value
        if column.constant is not None:
            return self._constant(column.constant, op, value, key)
        if value is None:
            if op == Op.eq:
                return column.expression.is_(None)
            if op == Op.ne:
                return column.expression.isnot(None)
            raise _refuse("operator", attribute=key, operator=op.value)
        condition = self._compare(column, key, op, value)
        return and_(column.expression.isnot(None), condition) if column.nullable else condition

    def _constant(self, constant: Any, op: Op, value: Any, key: str) -> ColumnElement[bool]:
        if op == Op.eq:
            return true() if str(value).lower() == str(constant).lower() else false()
        if op == Op.ne:
            return false() if str(value).lower() == str(constant).lower() else true()
        raise _refuse("operator", attribute=key, operator=op.value)

    def _compare(self, column: Column, key: str, op: Op, value: Any) -> ColumnElement[bool]:
        expression = column.expression
        if column.kind == "bool":
            if op not in (Op.eq, Op.ne) or not isinstance(value, bool):
                raise _refuse("operator", attribute=key, operator=op.value)
            return expression.is_(value) if op == Op.eq else expression.isnot(value)
        if column.kind in ("int", "time") and op in TEXT_ONLY:
            raise _refuse("operator", attribute=key, operator=op.value)
        if column.kind == "int":
            try:
                value = int(str(value))
            except ValueError:
                # An id the console cannot have matches nothing (and everything for ne).
                return true() if op == Op.ne else false()
        elif column.kind == "time":
            value = _time(value, key)
        elif not isinstance(value, str):
            raise _refuse("value", value=value, attribute=key)
        elif not column.case_exact:
            expression = func.lower(expression)
            value = value.lower()
        if op == Op.eq:
            return expression == value
        if op == Op.ne:
            return expression != value
        if op == Op.gt:
            return expression > value
        if op == Op.ge:
            return expression >= value
        if op == Op.lt:
            return expression < value
        if op == Op.le:
            return expression <= value
        pattern = _escape_like(value)
        pattern = {Op.co: f"%{pattern}%", Op.sw: f"{pattern}%", Op.ew: f"%{pattern}"}[op]
        return expression.like(pattern, escape="\\")


def condition(
    text: str,
    model: Any,
    columns: dict[str, Column],
    exists: dict[str, Callable[[Any], ColumnElement[bool]]] | None = None,
) -> ColumnElement[bool]:
    """The SQL condition of filter `text` on resources of `model` (a scim2-models class)."""
    parsed = ScimFilter[model](text)
    return SqlFilter(columns, exists).visit(parsed.ast)
