"""HTMX helpers: one endpoint, two renderings (page or fragment)."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request

from .redirects import safe_url


def is_htmx() -> bool:
    """A request made by htmx for a fragment (a boosted request wants the full page)."""
    return request.headers.get("HX-Request") == "true" and "HX-Boosted" not in request.headers


def hx_redirect(location: str) -> Response:
    """Tell htmx to load `location` as a full page instead of swapping a fragment.

    A target off the site becomes the console's home: htmx follows HX-Redirect blindly.
    """
    response = make_response("", 204)
    response.headers["HX-Redirect"] = safe_url(location)
    return response


def render_page_or_fragment(page: str, fragment: str, **context: Any) -> Response:
    """Render the full page, or only its fragment for an htmx request; Vary on HX-Request."""
    template = fragment if is_htmx() else page
    response = make_response(render_template(template, **context))
    response.headers.add("Vary", "HX-Request")
    return response
