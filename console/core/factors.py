"""The registry of sign-in factors: the one answer to "which second factors has this account"."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import case, false, or_, select, true

from ..extensions import db
from .models import models
from .registry import add_once
from .sections import Alert


def _no_alerts(user: Any) -> tuple[Alert, ...]:
    return ()


def _watches_nothing() -> tuple[Any, ...]:
    return ()


@dataclass(frozen=True)
class Factor:
    """One kind of factor a user may set up, declared once by the feature that owns it.

    `is_set_up(user)` answers from the user's columns and loaded keys; `condition()` is
    the same test as a SQL expression over the user table (lists, filters, counters), kept
    index-friendly (a column test or an EXISTS over an indexed user_id). `second_factor`
    says whether having it means a password alone no longer signs in; fallbacks (recovery
    codes, an operator's one-time code) only stand in for a lost second factor. `reset`
    removes the factor from an account without committing, auditing or mailing: the
    operator's flows do those once around it. `actions` are the audit actions about it;
    `alerts(user)` what the security center asks the account holder to do about it.
    `watches()` names the mapped attributes `condition()` reads: columns of the user model,
    and for another table the column holding its user id (a row added, removed or changed
    there changes the answer for that user); a flush that touches one recomputes the
    account's kept `has_second_factor` flag (console.core.factor_flag).
    """

    key: str
    label: Any
    is_set_up: Callable[[Any], bool]
    condition: Callable[[], Any]
    second_factor: bool
    reset: Callable[[Any], None]
    actions: tuple[str, ...] = ()
    order: int = 100
    alerts: Callable[[Any], Iterable[Alert]] = _no_alerts
    watches: Callable[[], tuple[Any, ...]] = _watches_nothing

    def __str__(self) -> str:
        return str(self.label)


def register(app: Flask, factor: Factor) -> None:
    """Add `factor` to `app`'s registry (a key already there is kept)."""
    add_once(app.extensions["console"].factors, factor)


def registered() -> list[Factor]:
    """Every registered factor, second factors and fallbacks, in display order."""
    return list(current_app.extensions["console"].factors)


def get(key: str) -> Factor | None:
    """The factor registered under `key`, or None."""
    return next((f for f in registered() if f.key == key), None)


def second_factors() -> list[Factor]:
    """The factors that make a password alone insufficient."""
    return [f for f in registered() if f.second_factor]


def set_up(user: Any) -> list[Factor]:
    """The factors `user` has set up (Python predicates; no secret is read out)."""
    return [f for f in registered() if f.is_set_up(user)]


def has_second_factor(user: Any) -> bool:
    """True when a password sign-in of `user` is asked for a second factor."""
    return any(f.is_set_up(user) for f in second_factors())


def alerts(user: Any) -> list[Alert]:
    """What every registered factor asks `user` to act on, in display order."""
    return [alert for factor in registered() for alert in factor.alerts(user)]


def has_second_factor_condition() -> Any:
    """SQL over the user table: the account has at least one second factor (computed)."""
    conditions = [f.condition() for f in second_factors()]
    return or_(*conditions) if conditions else false()


def has_second_factor_flag(wanted: bool = True) -> Any:
    """SQL over the user table: the kept flag equals `wanted`.

    The flag is has_second_factor_condition() stored per account (console.core.factor_flag)
    and indexed with the list's order, so a filtered page reads its rows in order; an
    equality, not IS / IS NOT, so that PostgreSQL can use that index for either answer.
    """
    return models().User.has_second_factor == (true() if wanted else false())


def condition_of(keys: Iterable[str]) -> Any:
    """SQL over the user table: the account has any of the factors named by `keys`."""
    wanted = set(keys)
    conditions = [f.condition() for f in registered() if f.key in wanted]
    return or_(*conditions) if conditions else false()


def set_up_by_user(user_ids: Iterable[int]) -> dict[int, list[Factor]]:
    """The factors of each of `user_ids`, in one statement whatever the number of factors."""
    User = models().User
    ids = list(user_ids)
    found: dict[int, list[Factor]] = {user_id: [] for user_id in ids}
    factors = registered()
    if not ids or not factors:
        return found
    flags = [case((f.condition(), 1), else_=0).label(f"f{i}") for i, f in enumerate(factors)]
    for row in db.session.execute(select(User.id, *flags).where(User.id.in_(ids))):
        found[row[0]] = [f for f, flag in zip(factors, row[1:], strict=True) if flag]
    return found
