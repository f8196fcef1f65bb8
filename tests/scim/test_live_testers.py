"""Two SCIM conformance tools written by others, run against a live console on each
database, bounded in time: scim2-tester (every check it runs on the User and Group
resources the console publishes) and scim-sanity's probe.

Two adjustments, both through the tools' own options and both explained in the README:
scim2-tester fills userName with random text, and a console userName is an email address,
so its client is handed the published User model with addresses as userName's example
values; scim-sanity's Group phase adds a member "fake-member-id", and a role's members are
accounts, so its probe runs with --resource User and the Group phase is checked to fail on
that one request only (every other Group check passes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.api.live import serving

pytestmark = pytest.mark.slow

# Seconds a request, and a whole probe, may take before the test fails.
REQUEST_TIMEOUT = 20
PROBE_TIMEOUT = 300


class FreshAddresses(list):
    """Example values that are a new address each time one is drawn (random.choice draws
    the only one there is)."""

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: Any) -> str:
        return f"tester-{uuid.uuid4().hex}@example.com"


def test_scim2_tester_finds_nothing_to_fix(app: Any, provider_token: str, operator: Any) -> None:
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import Status, check_server

    with serving(app) as base:
        http = Client(
            base_url=f"{base}/scim/v2/",
            headers={"Authorization": f"Bearer {provider_token}"},
            timeout=REQUEST_TIMEOUT,
        )
        client = SyncSCIMClient(http)
        client.discover()
        client.get_resource_model("User").model_fields["user_name"].examples = FreshAddresses()
        results = check_server(client)
        http.close()
    failed = [
        f"{r.resource_type} {r.title}: {r.reason}"
        for r in results
        if r.status in (Status.ERROR, Status.CRITICAL, Status.DEVIATION)
    ]
    assert not failed, "\n".join(failed)
    passed = {(r.resource_type, r.title) for r in results if r.status == Status.SUCCESS}
    # The checks ran on both resource types, PATCH included.
    for resource in ("User", "Group"):
        for title in ("object_creation", "object_replacement", "object_deletion"):
            assert (resource, title) in passed
        assert (resource, "check_add_attribute") in passed
    skipped = {r.title for r in results if r.status == Status.SKIPPED}
    # Only the search across every resource type at once, which the console answers 501.
    assert skipped <= {"search_with_attributes"}, skipped


def _probe(base: str, token: str, resource: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "scim-sanity"),
            "probe",
            f"{base}/scim/v2",
            "--token",
            token,
            "--i-accept-side-effects",
            "--timeout",
            str(REQUEST_TIMEOUT),
            "--resource",
            resource,
            "--json-output",
        ],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_scim_sanity_probe_passes(app: Any, provider_token: str, operator: Any) -> None:
    with serving(app) as base:
        users = _probe(base, provider_token, "User")
        groups = _probe(base, provider_token, "Group")
    report = json.loads(users.stdout)
    assert users.returncode == 0, users.stdout[-6000:] + users.stderr[-2000:]
    assert report["summary"]["failed"] == 0 and report["summary"]["errors"] == 0
    assert report["summary"]["passed"] >= 18
    group_report = json.loads(groups.stdout)
    failed = [r for r in group_report["results"] if r["status"] in ("fail", "error")]
    # A role's members are accounts: a member that is no account is refused, nothing else.
    assert [r["name"] for r in failed] == ["PATCH /Groups/{id} add member"], failed
    assert failed[0]["message"] == "Expected 200, got 400"
    passed = {r["name"] for r in group_report["results"] if r["status"] == "pass"}
    assert {"POST /Groups", "PUT /Groups/{id}", "PATCH /Groups/{id} remove members"} <= passed
