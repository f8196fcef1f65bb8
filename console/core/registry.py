"""The shape every ordered, keyed registry in core shares (factors, gates)."""

from __future__ import annotations

from typing import Any


def add_once(entries: list[Any], entry: Any) -> None:
    """Add `entry` unless one with its key is there, keeping `entries` sorted by order.

    Features register at init and a test app may init twice: the first entry stays.
    """
    if all(existing.key != entry.key for existing in entries):
        entries.append(entry)
        entries.sort(key=lambda item: item.order)
