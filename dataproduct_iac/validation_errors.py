"""pydantic's validation errors as the user wrote the document: the field path without the tags
pydantic adds for unions and validators, the message without its prefixes, and (for a choice) the
value that was given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .diagnostics import FieldPath

ABSENT = object()


def child(node: Any, element: str | int) -> Any:
    """``node[element]`` for a mapping key or an in-range list index; ``ABSENT`` otherwise."""
    if isinstance(node, dict):
        return node.get(element, ABSENT)
    if isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node):
        return node[element]
    return ABSENT


def document_path(data: Any, loc: Sequence[str | int]) -> FieldPath:
    """Map a pydantic error location onto the document, dropping union-member tags."""
    out: list[str | int] = []
    current = data
    for position, element in enumerate(loc):
        found = child(current, element)
        if found is not ABSENT:
            current = found
            out.append(element)
        elif position == len(loc) - 1 and isinstance(element, str) and isinstance(current, dict):
            out.append(element)  # a missing field: name it under its parent
        # anything else is a tag pydantic adds for unions or validators; skip it
    return tuple(out)


CHOICE_ERRORS = frozenset({"literal_error", "enum"})
"""Error types whose message lists the choices: worth showing the value given (unless secret)."""


def value_at(data: Any, path: FieldPath) -> Any:
    """The value at ``path`` of ``data``, or ``ABSENT``."""
    for element in path:
        data = child(data, element)
        if data is ABSENT:
            break
    return data


def got(value: Any) -> str:
    """`` (got 'v2')`` for a short scalar that is not secret; nothing otherwise."""
    if value is ABSENT or isinstance(value, dict | list):
        return ""
    shown = repr(value)
    return f" (got {shown})" if len(shown) <= 60 else ""


def error_message(err: Any) -> str:
    """The message of one of pydantic's error dicts, without pydantic's prefixes."""
    kind = err["type"]
    if kind == "missing":
        return "required field is missing" if err["msg"] == "Field required" else err["msg"]
    message: str = err["msg"]
    if kind == "value_error" and message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind == "assertion_error" and message.startswith("Assertion failed, "):
        message = message[len("Assertion failed, ") :]
    return message
