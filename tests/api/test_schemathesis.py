"""schemathesis against a live server, from the generated document: every response check
it offers passes for a signed-in operator's token (bounded in examples and time)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.api.live import serving

pytestmark = pytest.mark.slow

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "ignored_auth",
    )
)


def test_schemathesis_finds_nothing(
    app: Any, operator: Any, member: Any, make_token: Any, tmp_path: Path
) -> None:
    token = make_token(operator)
    st = Path(sys.executable).parent / "st"
    with serving(app) as base:
        result = subprocess.run(
            [
                str(st),
                "run",
                f"{base}/api/v1/openapi.json",
                "--checks",
                CHECKS,
                "--header",
                f"Authorization: Bearer {token}",
                "--max-examples",
                "10",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-response-time",
                "10",
                "--request-timeout",
                "20",
                "--seed",
                "1",
                "--workers",
                "1",
                "--no-color",
                "--generation-database",
                "none",
                # The run's own token is revoked by this operation the moment the fuzzer
                # reads its key from /me; tests/api/test_tokens.py covers it.
                "--exclude-path",
                "/api/v1/tokens/{key}",
            ],
            capture_output=True,
            text=True,
            timeout=540,
            cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
        )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
