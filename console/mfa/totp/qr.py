"""The provisioning QR code as inline SVG: no image request, no script, no style attribute."""

from __future__ import annotations

import segno
from markupsafe import Markup


class QrCode(str):
    """A data: URI (what Flask-Security's templates put in <img src>) that also carries
    the same code as inline SVG markup in `.svg` for the console's own templates."""

    svg: Markup

    def __new__(cls, uri: str, title: str) -> QrCode:
        code = segno.make(uri, error="m")
        # A light background keeps the code scannable in the dark theme.
        value = super().__new__(cls, code.svg_data_uri(scale=5, light="#fff", dark="#000"))
        markup = code.svg_inline(
            scale=5, light="#fff", dark="#000", title=title, svgclass="qr-code", omitsize=True
        )
        value.svg = Markup(markup.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 - segno output
        return value
