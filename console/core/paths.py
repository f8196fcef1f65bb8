"""Which requests belong to the console when it shares an application with a host."""

from __future__ import annotations

from flask import request


def under_prefix(prefix: str, path: str | None = None) -> bool:
    """True for `prefix` itself and paths below it ("/console/x", not "/consoles")."""
    if not prefix:
        return True
    path = request.path if path is None else path
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")
