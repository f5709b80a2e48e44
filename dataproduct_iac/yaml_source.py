"""YAML text → plain Python documents, remembering the line of every key and item.

Only ``yaml.SafeLoader`` machinery is used. Duplicate keys, which PyYAML silently collapses,
are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import Diagnostic, FieldPath, format_field_path

try:  # the C loader is much faster where libyaml is present
    _Base: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader

_BOOL_TAG = "tag:yaml.org,2002:bool"
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """``SafeLoader`` with YAML 1.2 booleans: only true/false are booleans.

    YAML 1.1 also reads ``on``, ``off``, ``yes``, ``no`` (and ``y``/``n`` in keys) as booleans, which
    silently turns ``dependencies: [on]`` or a country code ``no`` into ``True``/``False``.

    The composer asks for the tag of every node (a Python call from the C parser: 40% of the composing
    time with PyYAML's ``Resolver.resolve``, which rebuilds the candidate list per scalar and tracks
    path resolvers that a SafeLoader never has). :meth:`resolve` gives the same answers from tables
    built once (:data:`_SCALAR_RESOLVERS`).
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()
    }

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _SCALAR_RESOLVERS.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag
            return _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Nothing to track: no path resolvers."""

    def ascend_resolver(self) -> None:
        """Nothing to track: no path resolvers."""


_Loader.add_implicit_resolver(_BOOL_TAG, _YAML12_BOOL, list("tTfF"))
assert not _Loader.yaml_path_resolvers
_STR_TAG = _Loader.DEFAULT_SCALAR_TAG
_SEQ_TAG = _Loader.DEFAULT_SEQUENCE_TAG
_MAP_TAG = _Loader.DEFAULT_MAPPING_TAG
_WILDCARD = tuple(_Loader.yaml_implicit_resolvers.get(None, []))
_SCALAR_RESOLVERS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    first: (*resolvers, *_WILDCARD)
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
    if first is not None
}
"""Implicit resolvers by a scalar's first character ('' for the empty scalar), then the wildcard ones:
the order ``Resolver.resolve`` tries them in."""


@dataclass
class Document:
    """One YAML document of one file, with the line (1-based) of each key path."""

    file: str
    index: int
    data: Any = field(repr=False)
    """The raw document; it may hold secret values, so it never appears in a repr."""
    lines: dict[FieldPath, int] = field(default_factory=dict, repr=False)
    broken: set[FieldPath] = field(default_factory=set)
    """Paths whose YAML was already reported as wrong (their values are incomplete)."""

    def line_of(self, path: FieldPath) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


_FLATTENED_TAGS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")
"""Keys ``flatten_mapping`` rewrites (``<<`` merges, the ``=`` value key)."""


class _Builder:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.lines: dict[FieldPath, int] = {}
        self.problems: list[Diagnostic] = []
        self.broken: set[FieldPath] = set()

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        """The value of ``node``, which sits at ``path``; records the line of ``path`` unless known."""
        if path not in self.lines:
            self.lines[path] = node.start_mark.line + 1
        return self._value(node, path)

    def _value(self, node: yaml.Node, path: FieldPath) -> Any:
        """The value of ``node`` (the line of ``path`` is recorded). Plain-string children, the most common
        node, are taken in the loop rather than by a call each."""
        lines = self.lines
        kind = type(node)
        if kind is yaml.ScalarNode:
            # Plain strings need no constructor; everything else (ints, bools, dates, ...) goes through it.
            return node.value if node.tag == _STR_TAG else self.loader.construct_object(node, deep=True)
        if isinstance(node, yaml.MappingNode):
            if any(key_node.tag in _FLATTENED_TAGS for key_node, _ in node.value):
                self.loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is yaml.ScalarNode and key_node.tag == _STR_TAG:
                    key = key_node.value
                else:
                    key = self.loader.construct_object(key_node, deep=True)
                    if isinstance(key, list | dict):
                        self.problems.append(
                            Diagnostic(
                                self.file,
                                key_node.start_mark.line + 1,
                                format_field_path(path),
                                "a key must be a plain value; '{{x}}' is YAML for a nested mapping — "
                                "write a placeholder as '${{x}}' or quote the text",
                            )
                        )
                        self.broken.add(path)
                        continue
                    if not isinstance(key, str):
                        # Keys are names: keep the text as written (``5439``, ``true``, ``2024-01-01``).
                        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key)
                child = (*path, key)
                if key in out:
                    self.problems.append(
                        Diagnostic(
                            self.file,
                            key_node.start_mark.line + 1,
                            format_field_path(child),
                            f"duplicate key {key!r} (first on line {lines.get(child, '?')})",
                        )
                    )
                    continue
                lines[child] = key_node.start_mark.line + 1
                if type(value_node) is yaml.ScalarNode and value_node.tag == _STR_TAG:
                    out[key] = value_node.value
                else:
                    out[key] = self._value(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            items: list[Any] = []
            for index, item in enumerate(node.value):
                child = (*path, index)  # a new path: sequence items are met once each
                lines[child] = item.start_mark.line + 1
                if type(item) is yaml.ScalarNode and item.tag == _STR_TAG:
                    items.append(item.value)
                else:
                    items.append(self._value(item, child))
            return items
        return self.loader.construct_object(node, deep=True)


def parse_documents(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document of ``text``. Syntax errors become diagnostics with their line."""
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    loader = _Loader(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node guarantees a node
                break
            builder = _Builder(file, loader)
            data = builder.build(node, ())
            problems.extend(builder.problems)
            if data is not None:
                documents.append(Document(file, index, data, builder.lines, builder.broken))
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        reason = exc.problem or "invalid YAML"
        if exc.context:
            started = exc.context_mark.line + 1 if exc.context_mark else None
            where = f" (started on line {started})" if started and started != line else ""
            reason = f"{exc.context}{where}: {reason}"
        problems.append(Diagnostic(file, line, "<yaml>", f"YAML syntax error: {reason}"))
    except yaml.YAMLError as exc:  # reader errors (bad encoding, control characters)
        problems.append(Diagnostic(file, 0, "<yaml>", f"not readable as YAML: {_first_line(exc)}"))
    finally:
        loader.dispose()
    return documents, problems


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
