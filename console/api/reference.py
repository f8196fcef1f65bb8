"""The API reference as people read it: the generated OpenAPI document turned into tags,
operations and schemas for a server-rendered page (no request, no template in here)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")
# JSON Schema keywords shown beside a type, in this order, as written in the document.
CONSTRAINTS = (
    "format",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "default",
)
SCHEMA_REF = "#/components/schemas/"


@dataclass(frozen=True)
class Piece:
    """Part of a written type: text, linked to a shared schema's `anchor` when it names one."""

    text: str
    anchor: str | None = None


@dataclass(frozen=True)
class Field:
    """A parameter, a property or a header: its type, constraints and description."""

    name: str
    type: list[Piece]
    required: bool = False
    location: str = ""
    constraints: list[str] = field(default_factory=list)
    description: list[tuple[str, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class Content:
    """A body in one media type."""

    media_type: str
    type: list[Piece]
    description: list[tuple[str, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class Reply:
    """One documented response of an operation."""

    status: str
    description: list[tuple[str, bool]]
    contents: list[Content]
    headers: list[Field]


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: list[tuple[str, bool]]
    description: list[tuple[str, bool]]
    parameters: list[Field]
    body: list[Content]
    body_required: bool
    replies: list[Reply]


@dataclass(frozen=True)
class Tag:
    anchor: str
    name: str
    description: str
    operations: list[Operation]


@dataclass(frozen=True)
class SchemaDoc:
    anchor: str
    name: str
    type: list[Piece]
    description: list[tuple[str, bool]]
    properties: list[Field]


@dataclass(frozen=True)
class SecurityScheme:
    name: str
    kind: str
    description: list[tuple[str, bool]]


@dataclass(frozen=True)
class Reference:
    """Everything the page shows, in the document's order."""

    title: str
    version: str
    description: list[tuple[str, bool]]
    security: list[SecurityScheme]
    tags: list[Tag]
    schemas: list[SchemaDoc]

    @property
    def paths(self) -> set[str]:
        """Every path with at least one operation on the page."""
        return {op.path for tag in self.tags for op in tag.operations}


def anchor(*parts: str) -> str:
    """An id for a fragment link: letters, digits, `-` and `_` only."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", "-".join(parts)).strip("-")


def inline(text: Any) -> list[tuple[str, bool]]:
    """Text as runs of (text, is_code): `backticked` words are code; lines are joined."""
    words = " ".join(str(text or "").split())
    return [(run, index % 2 == 1) for index, run in enumerate(words.split("`")) if run]


class _Reader:
    """Reads one document, following its `$ref`s."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = document.get("components", {})
        self.anchors: set[str] = set()

    def unique(self, wanted: str) -> str:
        """`wanted`, or it with a number when two paths make the same id (/a/{b}, /a/b)."""
        found, number = wanted, 1
        while found in self.anchors:
            number += 1
            found = f"{wanted}-{number}"
        self.anchors.add(found)
        return found

    def resolve(self, node: Any) -> Any:
        """`node`, or what its local `$ref` points at (once: components refer by name)."""
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            return target
        return node

    def type_of(self, schema: Any) -> list[Piece]:
        """How `schema` is written: `UserSummary[]`, `string | null`, `integer`..."""
        if not isinstance(schema, dict):
            return [Piece("any")]
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            name = ref.removeprefix(SCHEMA_REF)
            return [Piece(name, anchor("schema", name))]
        for combined in ("anyOf", "oneOf", "allOf"):
            if isinstance(schema.get(combined), list):
                glue = " & " if combined == "allOf" else " | "
                return _joined([self.type_of(s) for s in schema[combined]], glue)
        kinds = schema.get("type")
        if isinstance(kinds, list):
            return _joined([self._single(schema, kind) for kind in kinds], " | ")
        if isinstance(kinds, str):
            return self._single(schema, kinds)
        return [Piece("any")]

    def _single(self, schema: dict[str, Any], kind: str) -> list[Piece]:
        if kind == "array":
            return [*self.type_of(schema.get("items")), Piece("[]")]
        return [Piece(kind)]

    def field_of(self, name: str, node: Any, *, required: bool, location: str = "") -> Field:
        """A property (`node` is its schema), or a parameter or header (`node` holds its
        schema and description)."""
        node = node if isinstance(node, dict) else {}
        schema = node["schema"] if isinstance(node.get("schema"), dict) else node
        return Field(
            name=name,
            type=self.type_of(schema),
            required=required,
            location=location,
            constraints=constraints(schema),
            description=inline(node.get("description") or schema.get("description")),
        )

    def parameters(self, path_item: dict[str, Any], operation: dict[str, Any]) -> list[Field]:
        found: dict[tuple[str, str], Field] = {}
        # An operation's own parameter replaces the path's of the same name and place.
        for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
            parameter = self.resolve(raw)
            place, name = parameter.get("in", ""), parameter.get("name", "")
            found[(place, name)] = self.field_of(
                name, parameter, required=bool(parameter.get("required")), location=place
            )
        return list(found.values())

    def contents(self, content: Any) -> list[Content]:
        result = []
        for media_type, media in (content or {}).items():
            schema = media.get("schema") or {}
            # A shared schema is described in its own section.
            described = "" if "$ref" in schema else schema.get("description")
            result.append(Content(media_type, self.type_of(schema), inline(described)))
        return result

    def replies(self, operation: dict[str, Any]) -> list[Reply]:
        result = []
        for status, raw in sorted(operation.get("responses", {}).items(), key=_status_order):
            response = self.resolve(raw)
            headers = [
                self.field_of(name, self.resolve(header), required=False)
                for name, header in response.get("headers", {}).items()
            ]
            result.append(
                Reply(
                    str(status),
                    inline(response.get("description")),
                    self.contents(response.get("content")),
                    headers,
                )
            )
        return result

    def operation(self, path: str, method: str, path_item: dict[str, Any]) -> Operation:
        operation = path_item[method]
        body = self.resolve(operation.get("requestBody") or {})
        return Operation(
            anchor=self.unique(anchor("op", method, path)),
            method=method.upper(),
            path=path,
            summary=inline(operation.get("summary")),
            description=inline(operation.get("description")),
            parameters=self.parameters(path_item, operation),
            body=self.contents(body.get("content")),
            body_required=bool(body.get("required")),
            replies=self.replies(operation),
        )

    def tags(self) -> list[Tag]:
        declared = {
            tag["name"]: tag.get("description", "") for tag in self.document.get("tags", [])
        }
        operations: dict[str, list[Operation]] = {name: [] for name in declared}
        for path, path_item in self.document.get("paths", {}).items():
            for method in METHODS:
                if method in path_item:
                    # Untagged operations go where OpenAPI tools put them.
                    name = (path_item[method].get("tags") or ["default"])[0]
                    operations.setdefault(name, []).append(self.operation(path, method, path_item))
        return [
            Tag(anchor("tag", name), name, declared.get(name, ""), found)
            for name, found in operations.items()
            if found
        ]

    def schemas(self) -> list[SchemaDoc]:
        result = []
        for name, schema in sorted(self.components.get("schemas", {}).items()):
            required = set(schema.get("required", []))
            properties = [
                self.field_of(prop, value, required=prop in required)
                for prop, value in schema.get("properties", {}).items()
            ]
            result.append(
                SchemaDoc(
                    anchor("schema", name),
                    name,
                    self.type_of({k: v for k, v in schema.items() if k != "$ref"}),
                    inline(schema.get("description")),
                    properties,
                )
            )
        return result

    def security(self) -> list[SecurityScheme]:
        return [
            SecurityScheme(
                name,
                " ".join(str(scheme.get(k)) for k in ("type", "scheme", "in") if scheme.get(k)),
                inline(scheme.get("description")),
            )
            for name, scheme in self.components.get("securitySchemes", {}).items()
        ]


def _joined(alternatives: list[list[Piece]], glue: str) -> list[Piece]:
    pieces: list[Piece] = []
    for index, alternative in enumerate(alternatives):
        if index:
            pieces.append(Piece(glue))
        pieces.extend(alternative)
    return pieces


def _status_order(item: tuple[str, Any]) -> tuple[int, str]:
    # Numbered statuses in order, then `default`.
    status = str(item[0])
    return (0 if status.isdigit() else 1, status)


def constraints(schema: dict[str, Any]) -> list[str]:
    """The schema's keywords that narrow its type, written `keyword: value`."""
    shown = []
    for keyword in CONSTRAINTS:
        if keyword in schema:
            value = schema[keyword]
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            shown.append(f"{keyword}: {text}")
    return shown


def build(document: dict[str, Any]) -> Reference:
    """The reference of `document` (an OpenAPI 3.1 document as a dict)."""
    reader = _Reader(document)
    info = document.get("info", {})
    return Reference(
        title=str(info.get("title", "")),
        version=str(info.get("version", "")),
        description=inline(info.get("description")),
        security=reader.security(),
        tags=reader.tags(),
        schemas=reader.schemas(),
    )
