"""Fixtures for the CSV import: files as bytes, stored and dry-run as an operator."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from tests.jobs.conftest import stored_events  # noqa: F401 - the audit trail as stored

IMPORT = "/admin/users/import/"


def csv_bytes(*lines: str, bom: bool = False, newline: str = "\n") -> bytes:
    """A file of `lines` as UTF-8 (with a byte order mark when asked)."""
    data = newline.join(lines) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8")


@pytest.fixture
def store(app: Any) -> Callable[..., Any]:
    """store(actor, data, invite=False) -> the upload, stored and dry-run."""
    from console.imports import flows

    def run(actor: Any, data: bytes, invite: bool = False, filename: str = "users.csv") -> Any:
        return flows.store(io.BytesIO(data), filename=filename, actor=actor, invite=invite)

    return run
