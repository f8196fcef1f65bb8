"""Files streamed to the client as they are produced (exports), never built in memory."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, stream_with_context


def streamed(chunks: Iterable[str], media_type: str, filename: str) -> Response:
    """A download of `chunks` as `filename`; the request context (and its database session)
    stays open until the last chunk is sent."""
    response = Response(stream_with_context(chunks), mimetype=f"{media_type}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A download is never rendered by a browser that sniffs it for HTML.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
