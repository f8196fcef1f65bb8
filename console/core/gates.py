"""Before-request gates: pages a signed-in user must pass through before any other.

A feature registers a gate (a required password change, MFA enrolment) with the pages that
satisfy it. A user held by several gates may open the pages of every gate holding them, so
they can do each in turn; any other page sends them to the first gate's page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request

from .registry import add_once

# Open whatever holds the user: leaving, and the files every page needs.
ALWAYS_OPEN = frozenset({"security.logout"})


@dataclass(frozen=True)
class Gate:
    """`holds()` is True while the current user must pass; `respond()` sends them to the
    gate's page; `endpoints` are the pages that let them pass (and what those need)."""

    key: str
    holds: Callable[[], bool]
    respond: Callable[[], Any]
    endpoints: frozenset[str]
    order: int = 100


def register(app: Flask, gate: Gate) -> None:
    """Add `gate` to `app`'s gates."""
    add_once(app.extensions["console"].gates, gate)


def holding() -> list[Gate]:
    """The gates that hold the current user, first to pass first."""
    return [gate for gate in current_app.extensions["console"].gates if gate.holds()]


def open_to(endpoint: str | None, held: list[Gate]) -> bool:
    """True when a user held by `held` may open `endpoint`."""
    if endpoint is None or endpoint in ALWAYS_OPEN or endpoint.endswith(".static"):
        return True
    return any(endpoint in gate.endpoints for gate in held)


def check() -> Any:
    """before_request: let a held user reach the pages of their gates, nothing else."""
    endpoint = request.endpoint
    if open_to(endpoint, []):
        return None
    held = holding()
    if not held or open_to(endpoint, held):
        return None
    return held[0].respond()


def init_app(app: Flask) -> None:
    """Run the gates on every request of `app`."""
    app.before_request(check)
