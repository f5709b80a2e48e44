"""Placeholders in manifests: ``${{name}}``, ``${name}`` and ``$NAME``.

Values come from ``--set``, then ``--values`` files, then the environment (first hit wins).
Trino's own ``${ENV:VAR}`` is left alone, and ``$$`` is a literal ``$``. Names may contain
spaces, dots, slashes and digits in the braced forms (``${{5439}}``, ``${access key}``).
Values marked secret may only land in secret fields, and are never echoed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import FieldPath

PLACEHOLDER = re.compile(
    r"""\$\$                                   # escaped dollar
      | \$\{\{\s*(?P<double>[^{}]+?)\s*\}\}    # ${{ name }}
      | \$\{(?!ENV:)(?P<single>[^{}]+)\}       # ${name}  (not Trino's ${ENV:VAR})
      | \$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)     # $NAME
    """,
    re.VERBOSE,
)

TEMPLATE_MARKER = re.compile(r"(?<![?P\w])<[A-Za-z][\w-]*(?: [\w-]+)*>")
"""Template text of a documentation example, alone or inside a value: ``<your-username>``,
``<host>.example.com``, ``stripe://?api_key=<api-key-here>`` (not a regular expression's named
group, ``(?<year>...)``). DataOS's own placeholders are ``${{name}}``."""

_MISSING = object()


@dataclass
class ValueSources:
    """Where placeholder values come from, highest precedence first."""

    set_values: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    secrets: dict[str, Any] = field(default_factory=dict)
    environment: Mapping[str, str] | None = None

    def lookup(self, name: str) -> tuple[Any, bool]:
        """Return ``(value, is_secret)``; value is ``_MISSING`` when nothing defines ``name``."""
        if name in self.set_values:
            return self.set_values[name], False
        value = _dig(self.secrets, name)
        if value is not _MISSING:
            return value, True
        for mapping in self.files:
            value = _dig(mapping, name)
            if value is not _MISSING:
                return value, False
        env = os.environ if self.environment is None else self.environment
        if name in env:
            return env[name], False
        return _MISSING, False


def _dig(mapping: Mapping[str, Any], name: str) -> Any:
    if name in mapping:
        return mapping[name]
    current: Any = mapping
    for part in name.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


@dataclass(frozen=True)
class Unresolved:
    path: FieldPath
    name: str


@dataclass(frozen=True)
class SecretMisplaced:
    path: FieldPath
    name: str


@dataclass(frozen=True)
class Chained:
    """The value of ``name`` (not a secret) holds the placeholder ``inner``, which stays as text:
    values are filled in once, never recursively."""

    path: FieldPath
    name: str
    inner: str


@dataclass
class Resolution:
    data: Any
    unresolved: list[Unresolved] = field(default_factory=list)
    misplaced: list[SecretMisplaced] = field(default_factory=list)
    chained: list[Chained] = field(default_factory=list)


def iter_placeholders(text: str) -> Iterator[str]:
    for match in PLACEHOLDER.finditer(text):
        name = match["double"] or match["single"] or match["bare"]
        if name:
            yield name


def resolve(data: Any, sources: ValueSources, is_secret_path: Callable[[FieldPath], bool]) -> Resolution:
    """Replace placeholders in every string value of ``data`` (keys are left as written)."""
    result = Resolution(data=None)
    result.data = _walk(data, (), sources, is_secret_path, result)
    return result


def _walk(
    node: Any,
    path: FieldPath,
    sources: ValueSources,
    is_secret_path: Callable[[FieldPath], bool],
    out: Resolution,
) -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, (*path, k), sources, is_secret_path, out) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, (*path, i), sources, is_secret_path, out) for i, v in enumerate(node)]
    if isinstance(node, str) and "$" in node:
        return _substitute(node, path, sources, is_secret_path, out)
    return node


def _substitute(
    text: str,
    path: FieldPath,
    sources: ValueSources,
    is_secret_path: Callable[[FieldPath], bool],
    out: Resolution,
) -> Any:
    whole = PLACEHOLDER.fullmatch(text)

    def value_of(match: re.Match[str]) -> tuple[Any, bool]:
        name = match["double"] or match["single"] or match["bare"]
        if not name:
            return "$", False
        value, secret = sources.lookup(name)
        if value is _MISSING:
            out.unresolved.append(Unresolved(path, name))
            return match.group(0), False
        if secret and not is_secret_path(path):
            # Never copy a secret into a field that is logged, tagged or echoed in errors.
            out.misplaced.append(SecretMisplaced(path, name))
            return match.group(0), False
        if not secret and isinstance(value, str) and "$" in value:  # a secret's text is never named
            inner = next(iter_placeholders(value), None)
            if inner is not None:
                out.chained.append(Chained(path, name, inner))
        return value, secret

    if whole and (whole["double"] or whole["single"] or whole["bare"]):
        value, _ = value_of(whole)
        return value
    return PLACEHOLDER.sub(lambda m: _as_text(value_of(m)[0]), text)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
