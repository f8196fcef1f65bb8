"""The personal-data file: one JSON document written piece by piece, so that a long section
(years of audit events) is streamed as it is read and never held whole in memory."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

# Names the document's layout; a reader checks it before reading the sections.
FORMAT = "security-console/personal-data/1"


def _dump(value: Any, indent: int) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    return text.replace("\n", "\n" + " " * indent)


def document(header: dict[str, Any], sections: Iterable[tuple[str, Any]]) -> Iterator[str]:
    """`{"format": ..., **header, "sections": {key: value, ...}}` as chunks of text.

    A section whose value is an iterator is written as an array, one item at a time.
    """
    yield "{\n" + f'  "format": {_dump(FORMAT, 2)}'
    for key, value in header.items():
        yield f",\n  {_dump(key, 2)}: {_dump(value, 2)}"
    yield ',\n  "sections": {'
    first = True
    for key, value in sections:
        yield ("\n" if first else ",\n") + f"    {_dump(key, 4)}: "
        first = False
        if isinstance(value, Iterator):
            yield from _array(value)
        else:
            yield _dump(value, 4)
    yield ("\n  }" if not first else "}") + "\n}\n"


def _array(items: Iterator[Any]) -> Iterator[str]:
    count = 0
    for item in items:
        yield ("[\n" if count == 0 else ",\n") + "      " + _dump(item, 6)
        count += 1
    yield "\n    ]" if count else "[]"
