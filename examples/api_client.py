"""Offboard a user through the console's API: find them by email, end their sessions, reset
their second factors with a reason, deactivate them, and print the audit trail of it.

    CONSOLE_URL=https://console.example CONSOLE_TOKEN=sct_... \\
        python examples/api_client.py leaver@example.com "Left the company"

The token needs users:read, users:write, sessions:revoke, mfa:reset and audit:read, and must
have been created within the last few minutes: resetting factors asks for a fresh sign-in,
and a token is as fresh as its creation.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import requests


class ConsoleApi:
    """A tiny client: JSON in and out, problem details raised as errors."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.base + path, timeout=30, **kwargs)
        if response.status_code >= 400:
            problem = response.json()
            raise RuntimeError(f"{method} {path}: {problem['code']}: {problem.get('detail')}")
        return response.json() if response.content else None


def offboard(api: ConsoleApi, email: str, reason: str) -> list[dict[str, Any]]:
    """Offboard the account with `email`; returns the audit events it left, oldest first."""
    found = api.call("GET", "/users", params={"q": email, "size": 10})["items"]
    user = next((u for u in found if u["email"].lower() == email.lower()), None)
    if user is None:
        raise RuntimeError(f"no account has the email address {email}")
    user_id = user["id"]
    ended = api.call("DELETE", f"/users/{user_id}/sessions")["ended"]
    print(f"Ended {ended} session(s) of {email}")
    if api.call("GET", f"/users/{user_id}/factors")["factors"]:
        api.call("POST", f"/users/{user_id}/factors/reset", json={"reason": reason})
        print("Reset their second factors")
    result = api.call("POST", f"/users/{user_id}/actions/deactivate")
    print("Deactivated" if result["changed"] else "Was already deactivated")
    events = api.call("GET", "/audit/events", params={"subject": str(user_id), "size": 20})
    return list(reversed(events["items"]))


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    api = ConsoleApi(os.environ["CONSOLE_URL"], os.environ["CONSOLE_TOKEN"])
    trail = offboard(api, sys.argv[1], sys.argv[2])
    print("Audit trail:")
    for event in trail:
        print(f"  {event['created_at']}  {event['action']:<32} by {event['actor_email']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
