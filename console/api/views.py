"""The OpenAPI document, generated from the resources' code and served as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("api_docs", __name__)


@bp.get("/openapi.json")
def openapi_json() -> Any:
    """The OpenAPI 3.1 document of this application's API."""
    document = current_app.extensions["console.api"].spec.to_dict()
    # Paths are the application's own; a console mounted under a WSGI prefix is reached
    # below that prefix.
    if request.script_root:
        document["servers"] = [{"url": request.script_root}]
    response = jsonify(document)
    response.headers["Cache-Control"] = "no-cache"
    return response
