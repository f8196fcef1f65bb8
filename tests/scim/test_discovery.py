"""Discovery (RFC 7644 §4): the configuration, resource types and schemas the console
publishes, trimmed to what it keeps; errors under the path are SCIM Error messages."""

from __future__ import annotations

from typing import Any

from .conftest import BASE, GROUP_SCHEMA, MEDIA_TYPE, USER_SCHEMA, Scim, scim_error


def test_service_provider_config_says_what_is_supported(scim: Scim) -> None:
    response = scim.get("/ServiceProviderConfig")
    assert response.status_code == 200
    assert response.mimetype == MEDIA_TYPE
    config = response.get_json()
    assert config["patch"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["sort"] == {"supported": True}
    assert config["etag"] == {"supported": True}
    assert config["changePassword"] == {"supported": False}
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]
    assert config["meta"]["location"].endswith("/scim/v2/ServiceProviderConfig")


def test_resource_types_are_users_and_groups(scim: Scim) -> None:
    body = scim.get("/ResourceTypes").get_json()
    assert body["totalResults"] == 2
    by_id = {item["id"]: item for item in body["Resources"]}
    assert by_id["User"]["endpoint"] == "/Users" and by_id["User"]["schema"] == USER_SCHEMA
    # The standalone console declares no enterprise fields: no extension is offered.
    assert "schemaExtensions" not in by_id["User"]
    assert by_id["Group"]["schema"] == GROUP_SCHEMA
    assert scim.get("/ResourceTypes/Group").get_json()["endpoint"] == "/Groups"
    scim_error(scim.get("/ResourceTypes/Nope"), 404)


def _attributes(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {attribute["name"]: attribute for attribute in schema["attributes"]}


def test_user_schema_publishes_only_what_the_console_keeps(scim: Scim) -> None:
    user = scim.get(f"/Schemas/{USER_SCHEMA}").get_json()
    attributes = _attributes(user)
    assert set(attributes) == {
        "userName",
        "name",
        "displayName",
        "locale",
        "timezone",
        "active",
        "emails",
        "groups",
    }
    # Never a password, a title or a phone number: the console keeps none of them.
    assert "password" not in attributes and "title" not in attributes
    assert [s["name"] for s in attributes["name"]["subAttributes"]] == [
        "formatted",
        "familyName",
        "givenName",
    ]
    assert attributes["emails"]["mutability"] == "readOnly"
    assert attributes["groups"]["mutability"] == "readOnly"
    assert attributes["active"]["required"] is True
    assert attributes["locale"]["canonicalValues"] == ["en", "de", "fr", "es", "ja"]
    assert "Europe/Paris" in attributes["timezone"]["canonicalValues"]
    group = scim.get(f"/Schemas/{GROUP_SCHEMA}").get_json()
    members = _attributes(group)["members"]
    assert [s["name"] for s in members["subAttributes"]] == ["value", "$ref", "type"]
    listed = scim.get("/Schemas").get_json()
    assert {s["id"] for s in listed["Resources"]} == {USER_SCHEMA, GROUP_SCHEMA}


def test_unknown_paths_and_methods_answer_scim_errors(scim: Scim) -> None:
    error = scim_error(scim.get("/Nowhere"), 404)
    assert "scimType" not in error
    response = scim.post("/ServiceProviderConfig", {})
    scim_error(response, 405)
    assert "GET" in response.headers["Allow"]
    scim_error(scim.post("/.search", {}), 501)


def test_requests_without_a_valid_token_are_refused(app: Any, scim: Scim) -> None:
    client = app.test_client()
    missing = client.get(BASE + "/Users")
    scim_error(missing, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get(BASE + "/Users", headers={"Authorization": "Bearer sct_nope_nope"})
    scim_error(wrong, 401)
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
