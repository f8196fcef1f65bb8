"""The OpenAPI document, generated from the resources' code and served as JSON, and the
reference page people read it in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request

from ..core.guards import signed_in
from . import reference

bp = Blueprint("api_docs", __name__)


def _document() -> dict[str, Any]:
    return current_app.extensions["console.api"].spec.to_dict()


@bp.get("/docs")
@signed_in
def docs() -> Any:
    """The API reference, rendered from the same document (no script, no other origin)."""
    return render_template("api/reference.html", reference=reference.build(_document()))


@bp.get("/openapi.json")
def openapi_json() -> Any:
    """The OpenAPI 3.1 document of this application's API."""
    document = _document()
    # Paths are the application's own; a console mounted under a WSGI prefix is reached
    # below that prefix.
    if request.script_root:
        document["servers"] = [{"url": request.script_root}]
    response = jsonify(document)
    response.headers["Cache-Control"] = "no-cache"
    return response
