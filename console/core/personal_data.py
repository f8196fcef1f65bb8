"""The registry of personal data: what each feature keeps about a person, as it goes into
their export ("download my data") and as it is erased when their account is deleted.

A feature (or the host application) registers one entry per kind of data it keeps about an
account: `collect(user)` gives the export's section (a JSON value, or an iterator of JSON
values that is streamed as an array, for data that may be long, like audit events: it is
read after the request's database session has ended, so it must not touch `user` or any
other loaded row, only values taken when `collect` was called) and
`erase(user)` removes or redacts it inside the deletion's transaction (no commit, no mail:
the deletion flow does those once around every entry). The export and the deletion iterate
this registry, so a feature added later (linked identities, say) contributes its section and
its erasure without the privacy feature knowing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from .registry import add_once


@dataclass(frozen=True)
class PersonalData:
    """One kind of personal data: `key` names its section of the export.

    `permission` is what an operator needs, besides the export's own, to receive this
    section in another account's export (the permission of the page that shows it); the
    account holder always receives every section of their own. `label` says in words what
    the section holds (the export page lists them).
    """

    key: str
    label: Any
    collect: Callable[[Any], Any]
    erase: Callable[[Any], None] | None = None
    permission: str | None = None
    order: int = 100


def register_personal_data(
    app: Flask,
    key: str,
    collect: Callable[[Any], Any],
    *,
    label: Any = None,
    erase: Callable[[Any], None] | None = None,
    permission: str | None = None,
    order: int = 100,
) -> None:
    """Add a section of personal data to `app`'s export and deletion (from init_app; a key
    already registered is kept)."""
    entry = PersonalData(
        key=key,
        label=label if label is not None else key,
        collect=collect,
        erase=erase,
        permission=permission,
        order=order,
    )
    add_once(app.extensions["console"].personal_data, entry)


def registered() -> list[PersonalData]:
    """Every registered section, in export order."""
    return list(current_app.extensions["console"].personal_data)
