"""The API's rate limit: a budget per token (or signed-in user, or address), announced with
the RateLimit-Policy and RateLimit fields on every response, a 429 problem with Retry-After
once spent, and counters every worker shares."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import BASE, Api, problem
from tests.conftest import MEMBER_PASSWORD, login
from tests.support.events import actions

pytestmark = pytest.mark.settings(RATELIMIT_ENABLED=True, CONSOLE_RATELIMIT_API="3 per minute")

POLICY = '"api";q=3;w=60'
FIELD = re.compile(r'^"api";r=(\d+);t=(\d+)$')


def _left(response: Any) -> tuple[int, int]:
    """(remaining, seconds to reset) from the RateLimit field."""
    match = FIELD.match(response.headers.get("RateLimit", ""))
    assert match, response.headers
    return int(match.group(1)), int(match.group(2))


def test_every_response_says_the_policy_and_what_is_left(api_as: Any, member: Any) -> None:
    api = api_as(member, [])
    answers = [api.get("/me") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {a.headers["RateLimit-Policy"] for a in answers} == {POLICY}
    assert [_left(a)[0] for a in answers] == [2, 1, 0]
    assert all(1 <= _left(a)[1] <= 60 for a in answers)


def test_errors_carry_the_fields_too(api_as: Any, member: Any) -> None:
    api = api_as(member, [])
    refused = api.get("/users")
    problem(refused, 403, "permission_denied")
    assert refused.headers["RateLimit-Policy"] == POLICY
    assert _left(refused)[0] == 2


def test_a_spent_budget_is_a_429_problem_with_retry_after(
    api_as: Any, member: Any, events: Any
) -> None:
    api = api_as(member, [])
    for _ in range(3):
        assert api.get("/me", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
    refused = api.get("/me", environ_base={"REMOTE_ADDR": "198.51.100.9"})
    body = problem(refused, 429, "rate_limited")
    assert body["title"] == "Too many requests" and body["detail"]
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert _left(refused) == (0, wait)
    assert refused.headers["RateLimit-Policy"] == POLICY
    # Refused before the token's use is recorded: a new address is not even noticed.
    assert "api.token.used_new_address" not in actions(events)
    # Writes are refused the same way, before anything is written.
    problem(api.delete("/tokens/nonexistent"), 429, "rate_limited")


def test_another_token_has_its_own_budget(api_as: Any, member: Any) -> None:
    first, second = api_as(member, []), api_as(member, [])
    for _ in range(3):
        first.get("/me")
    problem(first.get("/me"), 429, "rate_limited")
    fresh = second.get("/me")
    assert fresh.status_code == 200 and _left(fresh)[0] == 2


def test_a_signed_in_browser_has_a_budget_of_its_own(
    app: Any, client: Any, member: Any, api_as: Any
) -> None:
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    answers = [client.get(f"{BASE}/me") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [_left(a)[0] for a in answers] == [2, 1, 0, 0]
    # The same person's token is counted apart from their browser.
    assert api_as(member, []).get("/me").status_code == 200


def test_callers_without_a_valid_credential_are_counted_by_address(app: Any) -> None:
    anonymous = Api(app.test_client(), None)
    forged = Api(app.test_client(), "sct_0000000000000000_forged")
    where = {"environ_base": {"REMOTE_ADDR": "203.0.113.5"}}
    answers = [
        anonymous.get("/me", **where),
        forged.get("/me", **where),
        anonymous.get("/me", **where),
    ]
    assert [_left(a)[0] for a in answers] == [2, 1, 0]
    problem(answers[0], 401, "unauthenticated")
    problem(answers[1], 401, "invalid_token")
    refused = forged.get("/me", **where)
    problem(refused, 429, "rate_limited")
    assert "Retry-After" in refused.headers
    # Another address still gets its answer.
    elsewhere = anonymous.get("/me", environ_base={"REMOTE_ADDR": "203.0.113.6"})
    problem(elsewhere, 401, "unauthenticated")


def test_pages_outside_the_api_carry_no_fields(client: Any, member: Any) -> None:
    login(client, member.email, MEMBER_PASSWORD)
    page = client.get("/account/")
    assert page.status_code == 200 and "RateLimit" not in page.headers
    document = client.get(f"{BASE}/openapi.json")
    assert "RateLimit" not in document.headers


@pytest.mark.settings(RATELIMIT_ENABLED=False)
def test_switched_off_means_no_fields_and_no_limit(api_as: Any, member: Any) -> None:
    api = api_as(member, [])
    answers = [api.get("/me") for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert not any("RateLimit" in a.headers for a in answers)


@pytest.mark.settings(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15")
def test_workers_on_one_redis_share_a_token_s_budget(
    app: Any, app_config: dict[str, Any], api_as: Any, member: Any
) -> None:
    from console import create_app
    from console.core.ratelimit import limiter
    from console.extensions import db

    limiter(app).reset()
    other = create_app(app_config)
    try:
        api = api_as(member, [])
        elsewhere = Api(other.test_client(), api.token)
        answers = [(api if i % 2 else elsewhere).get("/me") for i in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [_left(a)[0] for a in answers] == [2, 1, 0, 0]
    finally:
        limiter(app).reset()
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.settings(CONSOLE_RATELIMIT_API="plenty")
def test_a_rate_the_limiter_cannot_read_stops_the_console(app_config: dict[str, Any]) -> None:
    from console import create_app

    with pytest.raises(ValueError, match="CONSOLE_RATELIMIT_API"):
        create_app(app_config)


def test_the_document_describes_the_fields_and_the_429(client: Any) -> None:
    document = client.get(f"{BASE}/openapi.json").get_json()
    components = document["components"]
    assert {"RateLimit-Policy", "RateLimit", "Retry-After"} <= set(components["headers"])
    limited = components["responses"]["RATE_LIMITED"]
    assert list(limited["content"]) == ["application/problem+json"]
    assert set(limited["headers"]) == {"RateLimit-Policy", "RateLimit", "Retry-After"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert responses["429"] == {"$ref": "#/components/responses/RATE_LIMITED"}, path
            for status, response in responses.items():
                if status.startswith("2"):
                    assert {"RateLimit-Policy", "RateLimit"} <= set(response["headers"]), (
                        method,
                        path,
                        status,
                    )
