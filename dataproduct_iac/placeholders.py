"""Placeholders in manifests: ``${{name}}``, ``${name}`` and ``$NAME``.

Values come from ``--set``, then ``--values`` files, then the environment (first hit wins).
Trino's own ``${ENV:VAR}`` is left alone, and ``$$`` is a literal ``$``. Names may contain
spaces, dots, slashes and digits in the braced forms (``${{5439}}``, ``${access key}``).
Values marked secret may only land in secret fields, and are never echoed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, FieldPath, ManifestError, display_path
from .yaml_source import LIMITS, InputLimits, read_documents

# The grammar, once: each form after its '$' as (opening, name, closing).
_FORMS = {
    "double": (r"\{\{\s*", r"[^{}]+?", r"\s*\}\}"),  # ${{ name }}
    "single": (r"\{(?!ENV:)", r"[^{}]+", r"\}"),  # ${name}  (not Trino's ${ENV:VAR})
    "bare": ("", r"[A-Za-z_][A-Za-z0-9_]*", ""),  # $NAME
}

PLACEHOLDER = re.compile(
    r"\$\$|"
    + "|".join(
        rf"\${opening}(?P<{form}>{name}){closing}" for form, (opening, name, closing) in _FORMS.items()
    )
)
"""A placeholder (its name in the group ``double``, ``single`` or ``bare``) or an escaped ``$$``."""

SCHEMA_PATTERN = r"(?<!\$)(?:\$\$)*\$(?:" + "|".join("".join(parts) for parts in _FORMS.values()) + ")"
"""The same grammar as a JSON Schema ``pattern`` (ECMA-262, matched anywhere in the string): the
string holds a placeholder, not one written after an escaping ``$``."""

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


@dataclass(frozen=True)
class OverLimit:
    """Filling in ``name`` at ``path`` took the document past ``limit``: it is not used."""

    path: FieldPath
    name: str
    limit: str


@dataclass
class Resolution:
    data: Any
    unresolved: list[Unresolved] = field(default_factory=list)
    misplaced: list[SecretMisplaced] = field(default_factory=list)
    chained: list[Chained] = field(default_factory=list)
    over_limit: OverLimit | None = None
    limits: InputLimits = field(default=LIMITS, repr=False)
    nodes: int = 0
    """Nodes of the mappings and lists placeholders stood for, one count per use."""
    text: int = 0
    """Characters placeholders put into strings."""


def _size_of(value: dict[Any, Any] | list[Any]) -> int:
    """Nodes of a mapping or list value. Counted again at each use: what one file's uses add up to is
    bounded by ``InputLimits.max_nodes``, which stops filling in."""
    size, pending = 0, [value]
    while pending:
        item = pending.pop()
        children = list(item.values()) if isinstance(item, dict) else item
        size += len(children)
        pending.extend(c for c in children if isinstance(c, dict | list))
    return size


def iter_placeholders(text: str) -> Iterator[str]:
    for match in PLACEHOLDER.finditer(text):
        name = match["double"] or match["single"] or match["bare"]
        if name:
            yield name


def resolve(
    data: Any,
    sources: ValueSources,
    is_secret_path: Callable[[FieldPath], bool],
    limits: InputLimits = LIMITS,
    spent: Resolution | None = None,
) -> Resolution:
    """Replace placeholders in every string value of ``data`` (keys are left as written). Filling in
    stops at the first placeholder that takes the file past ``limits`` (``over_limit``); ``spent``:
    the resolution of the file's previous document, whose expansion counts too."""
    result = Resolution(data=None, limits=limits)
    if spent is not None:
        result.nodes, result.text = spent.nodes, spent.text
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
    if isinstance(node, str) and "$" in node and out.over_limit is None:
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

    limits = out.limits
    if whole and (whole["double"] or whole["single"] or whole["bare"]):
        value, _ = value_of(whole)
        if isinstance(value, dict | list):
            out.nodes += _size_of(value)
            if out.nodes > limits.max_nodes:
                name = whole["double"] or whole["single"] or whole["bare"]
                out.over_limit = OverLimit(path, name, f"{limits.max_nodes:,} nodes per file")
                return text
        return value

    def text_of(match: re.Match[str]) -> str:
        if out.over_limit is not None:
            return match.group(0)
        filled = _as_text(value_of(match)[0])
        out.text += len(filled)
        if out.text > limits.max_filled_text:
            name = match["double"] or match["single"] or match["bare"] or "$"
            out.over_limit = OverLimit(
                path, name, f"{limits.max_filled_text // (1024 * 1024)} MiB of text per file"
            )
            return match.group(0)
        return filled

    return PLACEHOLDER.sub(text_of, text)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- where values come from on the command line: --values files and --set pairs ------------------


def read_values_file(path: str | Path) -> dict[str, Any]:
    """Read a ``--values`` file: a YAML mapping of placeholder names to values."""
    shown = display_path(path)
    documents = read_documents(path, shown, what="values file", field="<values>")
    if not documents:
        return {}
    if len(documents) > 1 or not isinstance(documents[0].data, dict):
        raise ManifestError(
            [Diagnostic(shown, 1, "<values>", "a values file must hold one YAML mapping of name: value")]
        )
    return {str(k): v for k, v in documents[0].data.items()}


def parse_set_values(items: Iterable[str]) -> dict[str, str]:
    """``--set name=value`` pairs (the value may contain '=')."""
    out: dict[str, str] = {}
    problems = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            problems.append(Diagnostic("--set", 0, item.split("=", 1)[0] or "<empty>", "expected name=value"))
            continue
        out[name.strip()] = value
    if problems:
        raise ManifestError(problems)
    return out
