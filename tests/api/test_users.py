"""/users: the page's list, filters and keyset cursors, reading, inviting, editing with
If-Match, notes and single actions, each through the users flows."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import problem
from tests.support.events import actions


def test_list_pages_by_keyset_with_link_and_next(operator_api: Any, make_user: Any) -> None:
    for i in range(5):
        make_user(f"page{i}@example.com", name=f"Page {i}")
    first = operator_api.get("/users?q=page&sort=email&dir=asc&size=2")
    assert first.status_code == 200, first.get_data(as_text=True)
    body = first.get_json()
    assert [u["email"] for u in body["items"]] == ["page0@example.com", "page1@example.com"]
    assert body["next"] and first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    seen = [u["email"] for u in body["items"]]
    following = body["next"]
    while following:
        page = operator_api.client.get(following, headers=operator_api._headers(None)).get_json()
        seen += [u["email"] for u in page["items"]]
        following = page["next"]
    assert seen == [f"page{i}@example.com" for i in range(5)]


def test_list_filters_like_the_page(operator_api: Any, make_user: Any) -> None:
    make_user("active@example.com")
    make_user("inactive@example.com", active=False)
    emails = {u["email"] for u in operator_api.get("/users?active=false").get_json()["items"]}
    assert emails == {"inactive@example.com"}
    problem(operator_api.get("/users?size=0"), 422, "invalid_request")
    problem(operator_api.get("/users?created_from=not-a-day"), 422, "invalid_request")


def test_list_never_counts(operator_api: Any, make_user: Any, count_queries: Any) -> None:
    for i in range(3):
        make_user(f"n{i}@example.com")
    with count_queries() as counter:
        first = operator_api.get("/users?size=2")
    assert "count(" not in " ".join(counter.statements).lower()
    # The next page is a cursor (the last row's sort key and id), never a row number.
    assert "after=" in first.get_json()["next"] and "offset" not in first.get_json()["next"]


def test_read_has_etag_and_the_page_fields(operator_api: Any, member: Any) -> None:
    response = operator_api.get(f"/users/{member.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert body["email"] == member.email and body["roles"] == []
    assert "password" not in body and "fs_uniquifier" not in body
    problem(operator_api.get("/users/999999"), 404, "not_found")


def test_create_invites_and_answers_201_with_location(
    operator_api: Any, outbox: Any, events: Any
) -> None:
    response = operator_api.post("/users", json={"email": "new@example.com", "name": "New"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/users/{body['id']}")
    assert "admin.user.created" in actions(events) and "admin.user.invited" in actions(events)
    assert any("new@example.com" in m.recipients for m in outbox())
    again = operator_api.post("/users", json={"email": "new@example.com"})
    problem(again, 409, "email_taken")
    body = problem(operator_api.post("/users", json={"email": "nope"}), 422, "invalid_request")
    assert "email" in body["errors"]["json"]


def test_update_needs_if_match_and_refuses_a_stale_one(operator_api: Any, member: Any) -> None:
    path = f"/users/{member.id}"
    problem(operator_api.patch(path, json={"name": "X"}), 428, "if_match_required")
    etag = operator_api.get(path).headers["ETag"]
    done = operator_api.patch(path, json={"name": "Renamed"}, headers={"If-Match": etag})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["name"] == "Renamed" and done.headers["ETag"] != etag
    stale = operator_api.patch(path, json={"name": "Again"}, headers={"If-Match": etag})
    problem(stale, 412, "stale")
    bad = operator_api.patch(
        path, json={"timezone": "Mars/Olympus"}, headers={"If-Match": done.headers["ETag"]}
    )
    assert "timezone" in problem(bad, 422, "invalid_request")["errors"]


def test_notes_are_sanitized_and_versioned(operator_api: Any, member: Any) -> None:
    path = f"/users/{member.id}"
    etag = operator_api.get(path).headers["ETag"]
    saved = operator_api.put(
        f"{path}/notes", json={"notes": "<b>ok</b><script>x</script>"}, headers={"If-Match": etag}
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert "<script>" not in saved.get_json()["notes"] and "<b>ok</b>" in saved.get_json()["notes"]
    stale = operator_api.put(f"{path}/notes", json={"notes": "x"}, headers={"If-Match": etag})
    problem(stale, 412, "stale")


def test_single_actions_run_the_flows(operator_api: Any, member: Any, events: Any) -> None:
    path = f"/users/{member.id}/actions"
    done = operator_api.post(f"{path}/deactivate")
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["changed"] is True and done.get_json()["user"]["active"] is False
    assert operator_api.post(f"{path}/deactivate").get_json()["changed"] is False
    assert operator_api.post(f"{path}/activate").get_json()["user"]["active"] is True
    assert operator_api.post(f"{path}/require_password_change").get_json()["changed"] is True
    assert operator_api.post(f"{path}/send_password_reset").status_code == 200
    assert operator_api.post(f"{path}/unlock").get_json()["changed"] is False
    problem(operator_api.post(f"{path}/explode"), 404, "not_found")
    assert "admin.user.deactivated" in actions(events)


def test_delete_removes_the_account(operator_api: Any, make_user: Any) -> None:
    user = make_user("gone@example.com")
    assert operator_api.delete(f"/users/{user.id}").status_code == 204
    problem(operator_api.get(f"/users/{user.id}"), 404, "not_found")


def test_unauthenticated_and_bad_tokens_get_401(client: Any) -> None:
    body = problem(client.get("/api/v1/users"), 401, "unauthenticated")
    assert body["detail"]
    response = client.get("/api/v1/users", headers={"Authorization": "Bearer sct_nope"})
    problem(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_unknown_paths_and_methods_are_problems(operator_api: Any) -> None:
    problem(operator_api.get("/nothing-here"), 404, "not_found")
    response = operator_api.client.put("/api/v1/users", headers=operator_api._headers(None))
    problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
