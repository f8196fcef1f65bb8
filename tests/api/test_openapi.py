"""The OpenAPI 3.1 document: valid, and describing every API route the application has."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from tests.api.conftest import BASE

# Routes under the API path that describe the API rather than belong to it.
NOT_DESCRIBED = {f"{BASE}/openapi.json", f"{BASE}/docs"}


def _openapi_path(rule: str) -> str:
    # werkzeug's "<int:user_id>" is OpenAPI's "{user_id}".
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_document_is_valid_openapi_3_1(client: Any) -> None:
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "sessionCookie"}


def test_every_api_route_is_in_the_document(app: Any, client: Any) -> None:
    document = client.get(f"{BASE}/openapi.json").get_json()
    routes = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(BASE + "/") and rule.rule not in NOT_DESCRIBED
    ]
    assert routes, "the API has no routes"
    for rule in routes:
        path = _openapi_path(rule.rule)
        assert path in document["paths"], f"{rule.rule} is missing from the document"
        described = set(document["paths"][path]) - {"parameters"}
        methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
        assert methods <= described, f"{rule.rule}: {methods - described} not described"


def test_every_operation_documents_problem_errors(client: Any) -> None:
    document = client.get(f"{BASE}/openapi.json").get_json()
    error = document["components"]["responses"]["DEFAULT_ERROR"]
    assert list(error["content"]) == ["application/problem+json"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], f"{method} {path}"
