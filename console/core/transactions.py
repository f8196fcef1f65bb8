"""Flows are all or nothing: a flow that raises leaves the session as it found it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from ..extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def atomic(flow: F) -> F:
    """Roll the session back when `flow` raises, so no caller has to (views never do).

    A flow refuses before it writes, but a refusal can come after it loaded or changed
    objects (a role list assigned, a version claimed); the rollback drops all of that.
    """

    @wraps(flow)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return flow(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise

    return wrapper  # type: ignore[return-value]
