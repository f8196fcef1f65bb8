"""Links to pages that features own: "the page of a user", "the page of a role", "your
sessions". A feature registers a builder; others ask for the URL and get None without it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

# The pages a feature can provide: operators' pages of one object ("user", "role", "job":
# the builder gets the object or its id), operators' pages of no object ("users.import") and
# the signed-in account's own pages (no argument). An action's page ("user.impersonate")
# builds None when its flow would refuse the signed-in operator, so a page offers the link
# only when the action is allowed.
KINDS = (
    "user",
    "user.impersonate",
    "role",
    "job",
    "users.import",
    "account.sessions",
    "account.activity",
    "account.passkeys",
)

Builder = Callable[..., str | None]


def register(app: Flask, kind: str, builder: Builder) -> None:
    """`builder(obj)` (or `builder()` for the account's pages) is the URL of that page in
    `app`; one provider per kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    app.extensions["console"].links[kind] = builder


def url_for(kind: str, *obj: Any) -> str | None:
    """The URL of the page of `kind` (of `obj`), or None when no feature provides it."""
    if kind not in KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    builder = current_app.extensions["console"].links.get(kind)
    if builder is None or (obj and obj[0] is None):
        return None
    return builder(*obj)


def url_for_user(user: Any) -> str | None:
    """The operators' page of `user` (a user or a user id), or None."""
    return url_for("user", user)


def url_for_role(role: Any) -> str | None:
    """The operators' page of `role` (a role or a role id), or None."""
    return url_for("role", role)


def object_id(obj: Any) -> Any:
    """The id of `obj`, which may be the id itself: builders accept either."""
    return getattr(obj, "id", obj)
