"""The one place operator-written HTML is cleaned (notes, banners)."""

from __future__ import annotations

import bleach
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {"a", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre", "strong", "ul"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def sanitize_html(html: str | None) -> str:
    """Return `html` reduced to a small safe subset; links get rel=nofollow noopener."""
    if not html:
        return ""
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )
    return bleach.linkify(
        cleaned, callbacks=[bleach.callbacks.nofollow, _noopener], skip_tags={"pre", "code"}
    )


def _noopener(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    return attrs


def safe_html(html: str | None) -> Markup:
    """Mark stored, already-sanitized HTML for output, sanitizing again on the way out."""
    return Markup(sanitize_html(html))  # noqa: S704 - the input was just cleaned by bleach
