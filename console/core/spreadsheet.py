"""CSV cells that a spreadsheet opens as text, never as a formula."""

from __future__ import annotations

from typing import Any

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> str:
    """The cell as text; a leading formula character is defused with a single quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
