"""Files → documents → typed manifests, with every error located at ``file:line: field``.

The loader collects all errors of a run before raising one :class:`ManifestError`. It never
imports pulumi. Which files the PATH arguments name is :mod:`.manifest_paths`; placeholder values
(``--values`` files, ``--set``) are :mod:`.placeholders`; pydantic's errors are located in the
document by :mod:`.validation_errors`.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .cyclic_gc import gc_paused
from .diagnostics import Diagnostic, FieldPath, ManifestError, format_field_path, sorted_unique
from .manifest_paths import RealPaths, expand_path_strings, is_below
from .manifests import MODELS, Bundle, Depot, InstanceSecret, Manifest, UnknownKind, kind_of, secret_paths
from .manifests.instance_secret import SecretFileError, SecretFiles
from .placeholders import TEMPLATE_MARKER, Resolution, ValueSources, resolve
from .validation_errors import ABSENT, CHOICE_ERRORS, child, document_path, error_message, got, value_at
from .yaml_source import Document, parse_documents, read_text

_MAX_BUNDLE_DEPTH = 8
MAX_BUNDLE_RESOURCES = 1_000
"""Entries in one bundle's ``resources`` (its fan-out)."""
MAX_BUNDLE_MEMBERS = 10_000
"""Manifests all bundles of one load expand to (a bundle file listing a file that lists a file ...
multiplies: ten entries eight levels deep are a hundred million)."""


@dataclass
class Loaded:
    """A validated manifest and where it came from."""

    manifest: Manifest
    document: Document
    prefix: FieldPath = ()
    """Path of the manifest inside its document (non-empty for bundle ``spec`` entries)."""
    bundle: str | None = None
    """Name of the bundle that holds this manifest, if any."""
    bundle_id: str | None = None

    @property
    def file(self) -> str:
        return self.document.file

    @property
    def line(self) -> int:
        return self.document.line_of(self.prefix)

    def line_of(self, path: FieldPath) -> int:
        return self.document.line_of((*self.prefix, *path))

    def diagnostic(self, path: FieldPath, message: str, severity: str = "error") -> Diagnostic:
        """A finding at ``path`` of this manifest (the field names the full path in the document)."""
        return self.document.diagnostic((*self.prefix, *path), message, severity)

    @property
    def kind(self) -> str:
        return self.manifest.KIND

    @property
    def name(self) -> str:
        return self.manifest.name


@dataclass
class LoadResult:
    manifests: list[Loaded] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Loaded]:
        return [item for item in self.manifests if item.kind == kind]


def load(
    paths: Sequence[str | Path],
    sources: ValueSources | None = None,
    *,
    exclude: Iterable[str | Path] = (),
    project_root: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadResult:
    """Load and validate every manifest under ``paths``; raise :class:`ManifestError` on any error.

    Files that manifests refer to (bundle ``file:`` entries, instance-secret ``files``) must lie
    below the project directory: ``project_root`` when given, otherwise the directory argument
    that holds the manifest (or, for a file argument, the file's own directory).

    ``overrides`` maps a resource name (or ``kind/name``) to a partial manifest that is deep-merged
    into that manifest before validation (mappings merge, anything else replaces); errors in it are
    reported against ``dataproduct:overrides``.
    """
    loader = _Loader(sources or ValueSources(), project_root)
    loader.overrides = Overrides(overrides or {})
    with gc_paused():
        return loader.run(paths, exclude)


class _Loader:
    def __init__(self, sources: ValueSources, project_root: str | Path | None = None) -> None:
        self.sources = sources
        self.project_root = str(Path(project_root).resolve()) if project_root is not None else None
        self.errors: list[Diagnostic] = []
        self.result = LoadResult()
        self.bundle_files: set[str] = set()
        self._members = 0
        """Bundle members produced so far (inline specs and the manifests of ``file`` entries)."""
        self._members_reported = False
        self._expanding: list[str] = []
        """The bundle files being expanded, outermost first: a file met again includes itself."""
        self.overrides = Overrides({})
        self.paths = RealPaths()
        self._argument_dirs: list[str] = []
        self._files: dict[tuple[str, str, str], list[tuple[Loaded, Resolution]]] = {}
        """Validated top-level documents per (file, project root, shown name): a file that a directory
        scan finds and a bundle references is read, parsed and validated once."""

    def run(self, paths: Sequence[str | Path], exclude: Iterable[str | Path]) -> LoadResult:
        if not paths:
            raise ManifestError(
                [Diagnostic("<arguments>", 0, "PATH", "no manifest files or directories given")]
            )
        files, problems = expand_path_strings(paths, exclude, self.paths)
        self._argument_dirs = [self.paths.real(a) for a in paths if Path(a).is_dir()]
        self.errors.extend(problems)
        if not files and not problems:
            self.errors.append(
                Diagnostic(", ".join(map(str, paths)), 0, "<path>", "no *.yaml or *.yml files found")
            )
        top_level: list[tuple[str, Loaded]] = []
        for path in files:
            root = self._root_of(path, paths)
            for loaded in self._load_file(path, root, depth=0):
                top_level.append((self.paths.real(path), loaded))
        # Files referenced by a bundle belong to that bundle, even when a directory scan found them too.
        for path, loaded in top_level:
            if path not in self.bundle_files:
                self.result.manifests.append(loaded)
        self.result.files = [self.paths.shown(p) for p in files]
        self.errors.extend(self.overrides.problems())
        if self.errors:
            raise ManifestError(sorted_unique(self.errors))
        self.result.warnings = sorted_unique(self.result.warnings)
        return self.result

    def _root_of(self, path: str, arguments: Sequence[str | Path]) -> str:
        """The project directory of a manifest file: see :func:`load`."""
        if self.project_root is not None:
            return self.project_root
        resolved = self.paths.real(path)
        holders = [a for a in self._argument_dirs if is_below(resolved, a)]
        # The deepest argument directory holding the file (of nested directories, the longest).
        return max(holders, key=len) if holders else os.path.dirname(resolved)

    def _load_file(
        self, path: str, root: str, depth: int, bundle: tuple[str, str] | None = None
    ) -> list[Loaded]:
        shown = self.paths.shown(path)
        key = (self.paths.real(path), root, shown)
        items = self._files.get(key)
        if items is None:
            items = self._files[key] = self._read_file(path, root, shown)
        out: list[Loaded] = []
        self._expanding.append(key[0])
        try:
            for item, resolution in items:
                if bundle is not None:
                    if not self._count_member(item):
                        break
                    item = dataclasses.replace(item, bundle=bundle[0], bundle_id=bundle[1])
                out.append(item)
                if isinstance(item.manifest, Bundle):
                    out.extend(self._expand_bundle(item, path, root, depth, resolution))
        finally:
            self._expanding.pop()
        return out

    def _count_member(self, item: Loaded) -> bool:
        """Count one more bundle member; False (reported once) when that is over the limit."""
        self._members += 1
        if self._members <= MAX_BUNDLE_MEMBERS:
            return True
        if not self._members_reported:
            self._members_reported = True
            self.errors.append(
                item.diagnostic(
                    (),
                    f"bundles expand to more than {MAX_BUNDLE_MEMBERS:,} manifests "
                    "(the limit of bundle members per load)",
                )
            )
        return False

    def _read_file(self, path: str, root: str, shown: str) -> list[tuple[Loaded, Resolution]]:
        """The validated top-level manifests of one file (bundle members are expanded by the caller)."""
        text = read_text(path, shown)
        if isinstance(text, Diagnostic):
            self.errors.append(text)
            return []
        documents, problems = parse_documents(text, shown)
        self.errors.extend(problems)
        if not documents and not problems:
            self.errors.append(
                Diagnostic(shown, 1, "<file>", "file contains no manifest (empty or only comments)")
            )
        loaded: list[tuple[Loaded, Resolution]] = []
        # Every placeholder form starts with '$': a file without one has nothing to fill in. A '$' can
        # also come from a YAML escape in a double-quoted string ("\x24", "\u0024"), so a backslash
        # keeps the walk as well.
        fill = "$" in text or "\\" in text
        spent: Resolution | None = None
        for document in documents:
            if fill:
                resolution = resolve(document.data, self.sources, _secret_path_check(document), spent=spent)
                document.data = resolution.data
                spent = resolution
            else:
                resolution = Resolution(document.data)
            self._report_placeholders(document, resolution)
            if resolution.over_limit is not None:
                over = resolution.over_limit
                self.errors.append(
                    document.diagnostic(
                        over.path,
                        f"filling in placeholder {over.name!r} takes the file past {over.limit} "
                        "(the limit of what placeholders may expand to)",
                    )
                )
                break
            if "<" in text:
                self._report_template_text(document)
            item = self._validate(document, (), resolution, None)
            if item is None:
                continue
            self._resolve_secret_files(item, os.path.dirname(path), root)
            loaded.append((item, resolution))
        return loaded

    def _report_template_text(self, document: Document) -> None:
        """Values still holding a documentation example's template text (``<your-host>``). Prose
        fields (description, title, purpose) may say anything; secret values are checked by their
        model, which never shows them."""
        for path, value in _strings(document.data, ()):
            marker = TEMPLATE_MARKER.search(value)
            if marker is None or (path and path[-1] in _PROSE_FIELDS):
                continue
            if not _is_secret_path(document.data, path):
                self.errors.append(
                    document.diagnostic(
                        path,
                        f"{marker.group(0)!r} is template text from an example: write the value, or a "
                        "placeholder such as ${{name}} filled from --set, --values or the environment",
                    )
                )

    def _report_placeholders(self, document: Document, resolution: Resolution) -> None:
        for miss in resolution.unresolved:
            self.errors.append(
                document.diagnostic(
                    miss.path,
                    f"unresolved placeholder {miss.name!r}: give it with --set, in a --values file, "
                    "or as an environment variable",
                )
            )
        for chained in resolution.chained:
            self.result.warnings.append(
                document.diagnostic(
                    chained.path,
                    f"the value of placeholder {chained.name!r} holds the placeholder {chained.inner!r}, "
                    "which is not filled in (values are not resolved again): it stays as written",
                    "warning",
                )
            )
        for misplaced in resolution.misplaced:
            self.errors.append(
                document.diagnostic(
                    misplaced.path,
                    f"secret value {misplaced.name!r} used in a field that is not secret; secrets may only "
                    "fill instance-secret data or depot connectionSecret data",
                )
            )

    def _validate(
        self, document: Document, prefix: FieldPath, resolution: Resolution, bundle: tuple[str, str] | None
    ) -> Loaded | None:
        data = _at(document.data, prefix)
        try:
            kind = kind_of(data)
        except UnknownKind as exc:
            path = (*prefix, exc.field) if exc.field != "<document>" else prefix
            self.errors.append(document.diagnostic(path, exc.message))
            return None
        unresolved = (
            {u.path for u in resolution.unresolved} | {m.path for m in resolution.misplaced} | document.broken
        )
        data, overridden = self.overrides.apply(kind, data)
        if overridden is not None:
            _put(document, prefix, data)
        model = MODELS[kind]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                manifest = model.model_validate(data)
            except ValidationError as exc:
                for err in exc.errors(include_input=False, include_url=False):
                    path = (*prefix, *document_path(data, err["loc"]))
                    if any(path[: len(u)] == u for u in unresolved):
                        continue  # already reported as an unresolved placeholder
                    message = error_message(err)
                    if overridden is not None:
                        shown = self.overrides.diagnostic(overridden, path[len(prefix) :], message)
                        if shown is not None:
                            self.errors.append(shown)
                            continue
                    if err["type"] in CHOICE_ERRORS and not _is_secret_path(document.data, path):
                        message += got(value_at(document.data, path))
                    self.errors.append(document.diagnostic(path, message))
                return None
        item = Loaded(
            manifest,  # type: ignore[arg-type]
            document,
            prefix,
            bundle=bundle[0] if bundle else None,
            bundle_id=bundle[1] if bundle else None,
        )
        for warning in caught:
            self.result.warnings.append(
                Diagnostic(document.file, item.line, "<manifest>", str(warning.message), "warning")
            )
        return item

    def _resolve_secret_files(self, item: Loaded, base: str, root: str) -> None:
        """Secret ``files`` (an instance secret's, a v1 depot's inline ``connectionSecret``'s): each
        path made absolute, checked to lie in the project and read once now, so that a bad file is
        refused before anything is created (its content is never shown)."""
        manifest = item.manifest
        holders: list[tuple[SecretFiles, FieldPath]] = []
        if isinstance(manifest, InstanceSecret):
            holders.append((manifest.instance_secret, ("instance-secret", "files")))
        elif isinstance(manifest, Depot):
            holders.extend(
                (inline, ("depot", "connectionSecret", index, "files"))
                for index, inline in enumerate(manifest.depot.connection_secret)
            )
        for holder, where in holders:
            for key, rel in self._resolved_files(item, holder.files, where, base, root):
                try:
                    holder.file_text(key)  # the model keeps the text: read once
                except SecretFileError as exc:
                    self.errors.append(item.diagnostic((*where, key), f"file {rel!r} {exc.message}"))

    def _resolved_files(
        self, item: Loaded, files: dict[str, str], where: FieldPath, base: str, root: str
    ) -> list[tuple[str, str]]:
        """(key, path as written) of the ``files`` that lie in the project and exist; their paths in
        ``files`` made absolute. The others are reported."""
        found: list[tuple[str, str]] = []
        for key, rel in list(files.items()):
            target = self._contained(item, (*where, key), base, rel, root)
            if target is None:
                continue
            if not os.path.isfile(target):
                self.errors.append(item.diagnostic((*where, key), f"file {rel!r} not found"))
                continue
            files[key] = target
            found.append((key, rel))
        return found

    def _contained(self, item: Loaded, path: FieldPath, base: str, rel: str, root: str) -> str | None:
        target = self.paths.real(os.path.join(base, rel))
        if not is_below(target, root):
            self.errors.append(
                item.diagnostic(
                    path,
                    f"{rel!r} points outside the project directory {self.paths.shown(root)!r}; "
                    "referenced files must lie below it",
                )
            )
            return None
        return target

    def _expand_bundle(
        self, item: Loaded, path: str, root: str, depth: int, resolution: Resolution
    ) -> list[Loaded]:
        bundle = item.manifest
        assert isinstance(bundle, Bundle)
        if depth >= _MAX_BUNDLE_DEPTH:
            self.errors.append(
                item.diagnostic(("bundle",), f"bundles nested deeper than {_MAX_BUNDLE_DEPTH} levels")
            )
            return []
        if len(bundle.bundle.resources) > MAX_BUNDLE_RESOURCES:
            self.errors.append(
                item.diagnostic(
                    ("bundle", "resources"),
                    f"{len(bundle.bundle.resources):,} entries; a bundle lists at most "
                    f"{MAX_BUNDLE_RESOURCES:,} (the limit of a bundle's fan-out)",
                )
            )
            return []
        out: list[Loaded] = []
        for index, entry in enumerate(bundle.bundle.resources):
            where = ("bundle", "resources", index)
            owner = (bundle.name, entry.id)
            if self._members_reported:
                break
            if entry.spec is not None:
                nested = self._validate(item.document, (*item.prefix, *where, "spec"), resolution, owner)
                if nested is not None:
                    if not self._count_member(nested):
                        break
                    out.append(nested)
                    self._resolve_secret_files(nested, os.path.dirname(path), root)
                    if isinstance(nested.manifest, Bundle):
                        out.extend(self._expand_bundle(nested, path, root, depth + 1, resolution))
                continue
            assert entry.file is not None
            target = self._contained(item, (*where, "file"), os.path.dirname(path), entry.file, root)
            if target is None:
                continue
            if not os.path.isfile(target):
                self.errors.append(item.diagnostic((*where, "file"), f"bundle file {entry.file!r} not found"))
                continue
            if target in self._expanding:
                cycle = [*self._expanding[self._expanding.index(target) :], target]
                self.errors.append(
                    item.diagnostic(
                        (*where, "file"),
                        f"bundle file {entry.file!r} includes itself ("
                        + " → ".join(self.paths.shown(p) for p in cycle)
                        + ")",
                    )
                )
                continue
            self.bundle_files.add(target)
            out.extend(self._load_file(target, root, depth + 1, owner))
        return out


class Overrides:
    """Per-resource partial manifests (stack config ``dataproduct:overrides``), merged before validation."""

    SOURCE = "dataproduct:overrides"
    _FIXED = ("name", "type", "version", "entity")

    def __init__(self, overrides: Mapping[str, Any]) -> None:
        self.overrides = {str(k): v for k, v in overrides.items()}
        self.used: set[str] = set()
        self.seen: set[tuple[str, str]] = set()

    def _usable(self, value: Any) -> bool:
        return isinstance(value, dict) and not any(f in value for f in self._FIXED)

    def apply(self, kind: str, data: Any) -> tuple[Any, str | None]:
        """``data`` with the override for its resource merged in, and the override's key (or None)."""
        if not self.overrides or not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return data, None
        name = data["name"]
        self.seen.add((kind, name))
        for key in (f"{kind}/{name}", name):
            if key in self.overrides and self._usable(self.overrides[key]):
                self.used.add(key)
                return _deep_merge(data, self.overrides[key]), key
        return data, None

    def diagnostic(self, key: str, path: FieldPath, message: str) -> Diagnostic | None:
        """A validation error at ``path`` of an overridden manifest, when the override wrote that field.

        It did when ``path`` lies in the override, or below a value the override replaced whole (a
        list or a scalar); errors in fields it only merged into stay with the manifest file.
        """
        if not path:
            return None
        node: Any = self.overrides[key]
        for element in path:
            if not isinstance(node, dict):
                break
            node = node.get(element, ABSENT)
            if node is ABSENT:
                return None
        return Diagnostic(self.SOURCE, 0, format_field_path((key, *path)), message)

    def problems(self) -> list[Diagnostic]:
        """Overrides that are not mappings, that change a resource's identity, or that match nothing."""
        out: list[Diagnostic] = []
        names = sorted({f"{kind}/{name}" for kind, name in self.seen} | {name for _, name in self.seen})
        for key, value in self.overrides.items():
            if not isinstance(value, dict):
                out.append(
                    Diagnostic(self.SOURCE, 0, key, "an override must be a mapping (a partial manifest)")
                )
                continue
            fixed = [f for f in self._FIXED if f in value]
            if fixed:
                out.append(
                    Diagnostic(self.SOURCE, 0, f"{key}.{fixed[0]}", f"'{fixed[0]}' cannot be overridden")
                )
                continue
            if key not in self.used:
                close = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                out.append(
                    Diagnostic(
                        self.SOURCE,
                        0,
                        key,
                        f"no loaded manifest is named {key!r} (give a resource name or kind/name){hint}",
                    )
                )
        return out


_PROSE_FIELDS = frozenset({"description", "title", "purpose"})


def _strings(node: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    """Every string value below ``node`` with its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


def _deep_merge(base: Any, override: Any) -> Any:
    """Mappings merge key by key; anything else (lists, scalars) replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def _put(document: Document, prefix: FieldPath, value: Any) -> None:
    if not prefix:
        document.data = value
        return
    parent = _at(document.data, prefix[:-1])
    parent[prefix[-1]] = value


def _at(data: Any, prefix: FieldPath) -> Any:
    for element in prefix:
        data = data[element]
    return data


def _secret_path_check(document: Document) -> Callable[[FieldPath], bool]:
    return lambda path: _is_secret_path(document.data, path)


def _is_secret_path(data: Any, path: FieldPath) -> bool:
    """Does ``path`` lead into a secret field of the (possibly nested) manifest it belongs to?"""
    current = data
    for start in range(len(path) + 1):
        if isinstance(current, dict) and isinstance(current.get("type"), str):
            try:
                kind = kind_of(current)
            except UnknownKind:
                kind = ""
            rest = path[start:]
            for prefix in secret_paths(kind):
                if len(rest) > len(prefix) and all(
                    p == "*" or p == r for p, r in zip(prefix, rest, strict=False)
                ):
                    return True
        if start == len(path):
            break
        element = path[start]
        current = child(current, element)
        if current is ABSENT:
            return False
    return False
