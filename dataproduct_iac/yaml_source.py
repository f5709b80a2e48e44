"""YAML text → plain Python documents, remembering the line of every key and item.

Only ``yaml.SafeLoader`` machinery is used. Duplicate keys, which PyYAML silently collapses,
are reported.

Input is bounded (:class:`InputLimits`, the same for manifests and values files): a file's size,
its number of documents, the YAML nodes it composes to and the nodes it expands to through aliases
and merge keys (an "alias bomb" of a few hundred bytes expands to billions), and the nesting depth.
An exceeded limit is one diagnostic at the file and line where it was met, naming the limit; it is
found while reading, before the memory or the time is spent. An alias that refers to the collection
holding it (``tags: &t [a, *t]``) is reported as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, FieldPath, ManifestError, format_field_path, os_reason

try:  # the C loader is much faster where libyaml is present
    _Base: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader

_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"


@dataclass(frozen=True)
class InputLimits:
    """What one YAML file (a manifest file or a values file) may hold."""

    max_bytes: int = 4 * 1024 * 1024
    """File size."""
    max_documents: int = 1_000
    """YAML documents in one file."""
    max_nodes: int = 100_000
    """YAML nodes (mappings, sequences, scalars) in one file, as composed and as expanded through
    aliases and merge keys."""
    max_depth: int = 64
    """Nesting of mappings and sequences."""
    max_filled_text: int = 16 * 1024 * 1024
    """Characters placeholders may put into one file's strings (values are not copied per use of a
    placeholder in YAML, but they are in text: ``${{a}}${{a}}...`` repeats ``a``)."""


LIMITS = InputLimits()


class LimitExceeded(Exception):
    """A YAML input over one of the :class:`InputLimits`, at ``line`` (1-based; 0 when unknown)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def read_bounded(path: str | Path, limits: InputLimits = LIMITS) -> bytes:
    """The bytes of ``path``; :class:`LimitExceeded` when it holds more than ``limits.max_bytes`` (at
    most that much plus one byte is read, also from a device or a pipe)."""
    with open(path, "rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise LimitExceeded(
            1, f"the file is larger than {_size(limits.max_bytes)} (the limit of a YAML file's size)"
        )
    return data


def read_text(path: str | Path, shown: str, *, what: str = "file", field: str = "<file>") -> str | Diagnostic:
    """The text of a YAML input (UTF-8, within the size limit), or the :class:`Diagnostic` at
    ``shown`` saying why it cannot be read (``what``: the kind of file, for the message)."""
    try:
        raw = read_bounded(path)
    except LimitExceeded as exc:
        return Diagnostic(shown, exc.line, field, exc.message)
    except FileNotFoundError:
        return Diagnostic(shown, 0, field, f"{what} not found")
    except OSError as exc:
        return Diagnostic(shown, 0, field, f"cannot read {what}: {os_reason(exc)}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Diagnostic(shown, 0, field, f"not UTF-8 text (byte {exc.start}); is this a YAML file?")


def read_documents(
    path: str | Path, shown: str, *, what: str = "file", field: str = "<file>"
) -> list[Document]:
    """The documents of a YAML input (see :func:`read_text`); :class:`ManifestError` with every
    problem when it cannot be read or parsed."""
    text = read_text(path, shown, what=what, field=field)
    if isinstance(text, Diagnostic):
        raise ManifestError([text])
    documents, problems = parse_documents(text, shown)
    if problems:
        raise ManifestError(problems)
    return documents


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count % (1024 * 1024) == 0 else f"{count:,} bytes"


_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """``SafeLoader`` with YAML 1.2 booleans: only true/false are booleans.

    YAML 1.1 also reads ``on``, ``off``, ``yes``, ``no`` (and ``y``/``n`` in keys) as booleans, which
    silently turns ``dependencies: [on]`` or a country code ``no`` into ``True``/``False``.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()
    }


class _CountingLoader(_Loader):
    """A :class:`_Loader` that counts the nodes it composes, for texts long enough to compose to more
    than the limit (a YAML node takes at least half a character: ``{:,:,:}``)."""

    nodes_left = LIMITS.max_nodes
    """Nodes this loader may still compose (set per file by :func:`parse_documents`)."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Called by the composer for every node it makes."""
        super().descend_resolver(current_node, current_index)
        self.nodes_left -= 1
        if self.nodes_left < 0:
            raise _ComposedTooMany


class _ComposedTooMany(Exception):
    """Raised from inside the composer: the file composes to more nodes than the limit."""


_Loader.add_implicit_resolver(_BOOL_TAG, _YAML12_BOOL, list("tTfF"))
_STR_TAG = _Loader.DEFAULT_SCALAR_TAG


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

    def diagnostic(self, path: FieldPath, message: str, severity: str = "error") -> Diagnostic:
        """A finding at ``path`` of this document: its file, the line of ``path`` and the field."""
        return Diagnostic(self.file, self.line_of(path), format_field_path(path), message, severity)


_FLATTENED_TAGS = (_MERGE_TAG, _VALUE_TAG)
"""Keys :meth:`_Builder.flatten` rewrites (``<<`` merges, the ``=`` value key)."""


class _Budget:
    """The nodes a file may still expand to (shared by the builders of its documents)."""

    def __init__(self, limits: InputLimits) -> None:
        self.limits = limits
        self.left = limits.max_nodes

    def take(self, count: int, node: yaml.Node) -> None:
        self.left -= count
        if self.left < 0:
            raise LimitExceeded(
                node.start_mark.line + 1,
                f"the file expands to more than {self.limits.max_nodes:,} YAML nodes through aliases "
                "and merge keys (the limit of nodes per file)",
            )


class _Builder:
    def __init__(
        self, file: str, loader: yaml.SafeLoader, budget: _Budget | None = None, *, aliases: bool = True
    ) -> None:
        self.file = file
        self.loader = loader
        self.lines: dict[FieldPath, int] = {}
        self.problems: list[Diagnostic] = []
        self.broken: set[FieldPath] = set()
        self.budget = budget or _Budget(LIMITS)
        self.aliases = aliases
        """False when the text has no anchor (no '&'): every node is then built once, as composed, and
        neither aliases nor their expansion need tracking."""
        self._sizes: dict[int, int] = {}
        """Nodes below each collection built so far (by ``id``): an alias to it costs as much again."""
        self._open: set[int] = set()
        """The collections being built (by ``id``): an alias to one of them refers to itself."""

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        """The value of ``node``, which sits at ``path``; records the line of ``path`` unless known."""
        if path not in self.lines:
            self.lines[path] = node.start_mark.line + 1
        return self._value(node, path)

    def _value(self, node: yaml.Node, path: FieldPath) -> Any:
        """The value of ``node`` (the line of ``path`` is recorded). Plain-string children, the most common
        node, are taken in the loop rather than by a call each."""
        kind = type(node)
        if kind is yaml.ScalarNode:
            # Plain strings need no constructor; everything else (ints, bools, dates, ...) goes through it.
            return node.value if node.tag == _STR_TAG else self.loader.construct_object(node, deep=True)
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return self.loader.construct_object(node, deep=True)
        if len(path) >= self.budget.limits.max_depth:
            raise LimitExceeded(
                node.start_mark.line + 1,
                f"mappings and sequences nested deeper than {self.budget.limits.max_depth} levels "
                "(the limit of nesting depth)",
            )
        if not self.aliases:
            return self._collection(node, path)
        ident = id(node)
        if ident in self._open:
            raise LimitExceeded(
                node.start_mark.line + 1,
                f"{format_field_path(path)}: an alias refers to the collection that holds it (a recursive "
                "anchor); the value would be infinite",
            )
        size = self._sizes.get(ident)
        if size is not None:  # met again through an alias: it costs what it cost the first time
            self.budget.take(size, node)
            self.budget.left += size
        before = self.budget.left
        self._open.add(ident)  # (an exceeded limit ends the file: no need to clean up on the way out)
        value = self._collection(node, path)
        self._open.discard(ident)
        self._sizes[ident] = before - self.budget.left
        return value

    def _collection(self, node: yaml.MappingNode | yaml.SequenceNode, path: FieldPath) -> Any:
        lines = self.lines
        if isinstance(node, yaml.MappingNode):
            if any(key_node.tag in _FLATTENED_TAGS for key_node, _ in node.value):
                self.flatten(node, set())
            if self.aliases:
                self.budget.take(len(node.value), node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is yaml.ScalarNode and key_node.tag == _STR_TAG:
                    key = key_node.value
                else:
                    key = (
                        self.loader.construct_object(key_node, deep=True)
                        if isinstance(key_node, yaml.ScalarNode)
                        else []  # a collection as a key: reported below, never constructed
                    )
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
        if self.aliases:
            self.budget.take(len(node.value), node)
        items: list[Any] = []
        for index, item in enumerate(node.value):
            child = (*path, index)  # a new path: sequence items are met once each
            lines[child] = item.start_mark.line + 1
            if type(item) is yaml.ScalarNode and item.tag == _STR_TAG:
                items.append(item.value)
            else:
                items.append(self._value(item, child))
        return items

    def flatten(self, node: yaml.MappingNode, merging: set[int]) -> None:
        """Merge keys ``<<`` and the value key ``=`` as YAML 1.1 reads them, in place: the pairs of the
        merged mappings join the node's own, except those whose key the node writes itself (an
        override, not a duplicate) or an earlier merged mapping gave (``<<: [*a, *b]``: ``a`` wins).
        The node's own pairs stay as written, so a key written twice is still reported by the builder,
        and every key keeps its own line. The pairs copied are counted against the budget and merges of
        a mapping into itself are reported (PyYAML's ``flatten_mapping`` recurses without end on both).
        """
        if id(node) in merging:
            raise LimitExceeded(
                node.start_mark.line + 1,
                "a merge key (<<) merges a mapping into itself (a recursive anchor)",
            )
        merging.add(id(node))
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                if key_node.tag == _VALUE_TAG:
                    key_node.tag = _STR_TAG
                own.append((key_node, value_node))
                continue
            if isinstance(value_node, yaml.MappingNode):
                sources = [value_node]
            elif isinstance(value_node, yaml.SequenceNode):
                sources = value_node.value
            else:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"expected a mapping or list of mappings for merging, but found {value_node.id}",
                    value_node.start_mark,
                )
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"expected a mapping for merging, but found {source.id}",
                        source.start_mark,
                    )
                self.flatten(source, merging)
                merged.extend(source.value)
        merging.discard(id(node))
        if len(own) == len(node.value):
            return
        given = {_key_text(key_node) for key_node, _ in own}
        kept: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in merged:
            text = _key_text(key_node)
            if text is None or text not in given:
                kept.append((key_node, value_node))
                given.add(text)
        self.budget.take(len(kept), node)
        self.budget.left += len(kept)  # counted for good when the mapping is built
        node.value = kept + own


def _key_text(key_node: yaml.Node) -> str | None:
    """What makes two keys of a mapping the same key to the builder (its text as written); ``None`` for a
    collection as a key (never the same key: the builder reports it)."""
    return key_node.value if isinstance(key_node, yaml.ScalarNode) else None


def parse_documents(
    text: str, file: str, limits: InputLimits = LIMITS
) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document of ``text``. Syntax errors and exceeded limits become diagnostics with
    their line (after an exceeded limit nothing of the file is returned)."""
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    if len(text) > limits.max_nodes // 2:
        loader: _Loader = _CountingLoader(text)
        loader.nodes_left = limits.max_nodes
    else:
        loader = _Loader(text)
    budget = _Budget(limits)
    aliases = "&" in text
    line = 1
    try:
        index = 0
        while loader.check_node():
            # (``peek_event`` would tell where the document starts, but mixing the event and node
            # interfaces of the C loader breaks it: the line is where the previous document ended.)
            if index >= limits.max_documents:
                raise LimitExceeded(
                    line,
                    f"more than {limits.max_documents:,} YAML documents in one file "
                    "(the limit of documents per file)",
                )
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node guarantees a node
                break
            line = node.end_mark.line + 1
            builder = _Builder(file, loader, budget, aliases=aliases)
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
    except _ComposedTooMany:
        documents = []
        problems.append(
            Diagnostic(
                file,
                line,
                "<yaml>",
                f"the file holds more than {limits.max_nodes:,} YAML nodes (the limit of nodes per "
                f"file; met in the document after this line)",
            )
        )
    except LimitExceeded as exc:
        documents = []
        problems.append(Diagnostic(file, exc.line, "<yaml>", exc.message))
    except RecursionError:  # the pure-Python composer, without libyaml: nesting beyond Python's stack
        documents = []
        problems.append(
            Diagnostic(file, line, "<yaml>", "nested too deeply to read (the limit of nesting depth)")
        )
    finally:
        loader.dispose()
    return documents, problems


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
