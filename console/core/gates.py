"""Before-request gates: pages a signed-in user must pass through before any other, and
restrictions: pages a session may not open while something holds.

A feature registers a gate (a required password change, MFA enrolment) with the pages that
satisfy it. A user held by several gates may open the pages of every gate holding them, so
they can do each in turn; any other page sends them to the first gate's page.

Features also declare which of their endpoints are the account holder's own
security-sensitive actions (`sensitive`: password, email, second factors, recovery codes,
tokens, sessions...); every page of Flask-Security's blueprint is one (they are its
credential ceremonies). A restriction (an operator impersonating the account) refuses those
endpoints while it holds; the gates, whose pages are such endpoints, then hold nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


@dataclass(frozen=True)
class Restriction:
    """While `holds()`, the sensitive endpoints answer `respond()` instead of their page."""

    key: str
    holds: Callable[[], bool]
    respond: Callable[[], Any]
    order: int = 100


def register(app: Flask, gate: Gate) -> None:
    """Add `gate` to `app`'s gates."""
    add_once(app.extensions["console"].gates, gate)


def restrict(app: Flask, restriction: Restriction) -> None:
    """Add `restriction` to `app`'s restrictions."""
    add_once(app.extensions["console"].restrictions, restriction)


def sensitive(app: Flask, endpoints: Iterable[str]) -> None:
    """Declare `endpoints` the account holder's own security-sensitive actions: only the
    account holder in person may open them (never an operator impersonating them)."""
    app.extensions["console"].sensitive.update(endpoints)


def is_sensitive(endpoint: str | None) -> bool:
    """True for a declared sensitive endpoint and for every page of Flask-Security's."""
    if endpoint is None or endpoint in ALWAYS_OPEN or endpoint.endswith(".static"):
        return False
    blueprint = current_app.config.get("SECURITY_BLUEPRINT_NAME", "security")
    return (
        endpoint in current_app.extensions["console"].sensitive
        or endpoint.split(".", 1)[0] == blueprint
    )


def restricting() -> list[Restriction]:
    """The restrictions that hold the current session."""
    return [item for item in current_app.extensions["console"].restrictions if item.holds()]


def holding() -> list[Gate]:
    """The gates that hold the current user, first to pass first."""
    return [gate for gate in current_app.extensions["console"].gates if gate.holds()]


def open_to(endpoint: str | None, held: list[Gate]) -> bool:
    """True when a user held by `held` may open `endpoint`."""
    if endpoint is None or endpoint in ALWAYS_OPEN or endpoint.endswith(".static"):
        return True
    return any(endpoint in gate.endpoints for gate in held)


def check() -> Any:
    """before_request: let a held user reach the pages of their gates, nothing else, and a
    restricted session none of the sensitive endpoints."""
    endpoint = request.endpoint
    if open_to(endpoint, []):
        return None
    restrictions = restricting()
    if restrictions:
        # A restricted session cannot pass a gate (its pages are sensitive), so none holds it.
        return restrictions[0].respond() if is_sensitive(endpoint) else None
    held = holding()
    if not held or open_to(endpoint, held):
        return None
    return held[0].respond()


def init_app(app: Flask) -> None:
    """Run the gates on every request of `app`."""
    app.before_request(check)
