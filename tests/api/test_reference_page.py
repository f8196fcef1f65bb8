"""The API reference page: every operation and schema of the generated document, rendered
on the server in the console's layout, under the console's own CSP, without any script of
its own or anything from another origin."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.api.conftest import BASE
from tests.conftest import MEMBER_PASSWORD, login

PAGE = f"{BASE}/docs"


def _page(client: Any, member: Any) -> tuple[Any, str]:
    assert login(client, member.email, MEMBER_PASSWORD).status_code == 302
    response = client.get(PAGE)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response, response.get_data(as_text=True)


def test_every_operation_and_schema_of_the_document_is_on_the_page(
    client: Any, member: Any
) -> None:
    response, body = _page(client, member)
    document = client.get(f"{BASE}/openapi.json").get_json()
    shown = {html.unescape(op) for op in re.findall(r'data-operation="([^"]+)"', body)}
    expected = {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if method != "parameters"
    }
    assert expected and shown == expected
    assert {path for path in document["paths"]} <= {op.split(" ", 1)[1] for op in shown}
    schemas = set(re.findall(r'data-schema="([^"]+)"', body))
    assert schemas == set(document["components"]["schemas"])
    # Every link inside the page lands on something the page has.
    ids = set(re.findall(r'\sid="([^"]+)"', body))
    for target in re.findall(r'href="#([^"]+)"', body):
        assert target in ids, target


def test_operations_show_parameters_bodies_and_responses(client: Any, member: Any) -> None:
    _, body = _page(client, member)
    document = client.get(f"{BASE}/openapi.json").get_json()
    start = body.index('data-operation="PATCH /api/v1/users/{user_id}"')
    patch = body[start : body.index("</article>", start)]
    # The If-Match header parameter, the JSON body's schema (linked) and its responses.
    assert "If-Match" in patch and ">header<" in patch
    assert 'href="#schema-UserUpdate"' in patch
    statuses = document["paths"]["/api/v1/users/{user_id}"]["patch"]["responses"]
    assert {"200", "429", "default"} <= set(statuses)
    for status in statuses:
        assert f'<code lang="en">{status}</code>' in patch
    start = body.index('data-operation="GET /api/v1/users"')
    listing = body[start : body.index("</article>", start)]
    assert "maxLength: 255" in listing and "enum: asc, desc" in listing
    assert "RateLimit-Policy" in listing
    # What comes from the document is English whatever the page's language: marked so.
    assert 'id="tag-api_users" lang="en"' in body


def test_the_page_keeps_the_console_s_csp_and_brings_no_script(client: Any, member: Any) -> None:
    response, body = _page(client, member)
    other = client.get("/account/")
    nonce = re.compile(r"'nonce-[^']+'")
    assert nonce.sub("'nonce-x'", response.headers["Content-Security-Policy"]) == nonce.sub(
        "'nonce-x'", other.headers["Content-Security-Policy"]
    )
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    # The layout's own scripts only, each from this origin with the nonce; no inline code,
    # no style or event attribute, nothing loaded from elsewhere.
    tags = re.findall(r"<script[^>]*>", body)
    assert tags and all(re.search(r'src="/static/[^"]+" nonce="[^"]+"', tag) for tag in tags)
    sources = re.compile(r'<script src="([^"]+)"')
    assert sources.findall(body) == sources.findall(other.get_data(as_text=True))
    assert not re.search(r"<script[^>]*>\s*[^<\s]", body)
    assert " style=" not in body
    assert not re.search(r"\son[a-z]+=", body)
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_anyone_signed_in_may_read_it_others_sign_in_first(client: Any) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_token_pages_link_to_it(client: Any, member: Any) -> None:
    login(client, member.email, MEMBER_PASSWORD)
    for page in ("/account/", "/account/tokens/"):
        assert f'href="{PAGE}"' in client.get(page).get_data(as_text=True), page


def test_the_reference_reads_references_and_nullable_types() -> None:
    from console.api import reference

    document = {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1", "description": "Use `x`."},
        "tags": [{"name": "things", "description": "Things"}],
        "paths": {
            "/things/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {
                    "tags": ["things"],
                    "summary": "One\nthing.",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Thing"}
                                }
                            },
                        },
                        "default": {"$ref": "#/components/responses/Error"},
                    },
                },
            }
        },
        "components": {
            "parameters": {
                "Id": {"in": "path", "name": "id", "required": True, "schema": {"type": "integer"}}
            },
            "responses": {"Error": {"description": "Bad"}},
            "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["parts"],
                    "properties": {
                        "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
                        "note": {"type": ["string", "null"], "maxLength": 5},
                        "owner": {
                            "anyOf": [{"$ref": "#/components/schemas/Part"}, {"type": "null"}]
                        },
                    },
                },
                "Part": {"type": "object", "properties": {}},
            },
        },
    }
    ref = reference.build(document)
    assert ref.description == [("Use ", False), ("x", True), (".", False)]
    (tag,) = ref.tags
    (op,) = tag.operations
    assert (op.method, op.path, op.anchor) == ("GET", "/things/{id}", "op-get-things-id")
    assert op.summary == [("One thing.", False)]
    assert [(p.name, p.location, p.required) for p in op.parameters] == [("id", "path", True)]
    assert [r.status for r in op.replies] == ["200", "default"]
    assert op.replies[1].description == [("Bad", False)]
    assert op.replies[0].contents[0].type == [reference.Piece("Thing", "schema-Thing")]
    thing = next(s for s in ref.schemas if s.name == "Thing")
    fields = {f.name: f for f in thing.properties}
    assert "".join(p.text for p in fields["parts"].type) == "Part[]" and fields["parts"].required
    assert "".join(p.text for p in fields["note"].type) == "string | null"
    assert fields["note"].constraints == ["maxLength: 5"]
    assert "".join(p.text for p in fields["owner"].type) == "Part | null"
    assert ref.paths == {"/things/{id}"}


def test_paths_that_read_alike_get_ids_of_their_own() -> None:
    from console.api import reference

    ok = {"responses": {"200": {"description": "OK"}}}
    document = {"paths": {"/a/{b}": {"get": ok}, "/a/b": {"get": ok}}}
    (tag,) = reference.build(document).tags
    assert tag.name == "default"
    assert [op.anchor for op in tag.operations] == ["op-get-a-b", "op-get-a-b-2"]
