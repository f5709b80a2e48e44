"""The stack program: stack config → manifests → resolved graph → components.

``main()`` is what ``stacks/__main__.py`` runs under ``pulumi up``; ``dataproduct plan`` runs the
same :func:`prepare` + :func:`deploy` on the mock monitor. Reading the configuration and loading
the manifests never touches pulumi, so a bad manifest fails before anything is registered.

Stack config keys (namespace ``dataproduct``):

- ``manifests``: paths or globs, relative to the project root (the directory of ``Pulumi.yaml``);
- ``values``: placeholder values (a mapping), or values files (a path or a list of paths);
- ``secrets``: placeholder values that are secret (``pulumi config set --secret --path
  'dataproduct:secrets.<name>' ...``); they may only fill secret fields;
- ``overrides``: per-resource partial manifests (by name or ``kind/name``), deep-merged before
  validation;
- every :class:`~dataproduct_iac.settings.StackSettings` field in camelCase (``environment``,
  ``namePrefix``, ``physicalNames``, ``protect``, ``registryBucket``, ``createAccess``, ...).
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostic, ManifestError
from .gc_policy import gc_paused
from .graph import Graph, resolve
from .loader import load, read_values_file
from .manifests import Cluster
from .placeholders import ValueSources
from .settings import StackSettings, _to_camel

if TYPE_CHECKING:
    import pulumi

    from .components.build import BuildResult

NAMESPACE = "dataproduct"
PROGRAM_KEYS = ("manifests", "values", "secrets", "overrides")
SETTINGS_KEYS = tuple(
    _to_camel(f) for f in StackSettings.__dataclass_fields__ if f not in ("project", "stack")
)
CONFIG_SOURCE = "stack config"


@dataclass
class ProgramInputs:
    """Everything the program needs, read from stack config (or given by ``dataproduct plan``)."""

    manifests: list[str]
    sources: ValueSources
    overrides: dict[str, Any]
    settings: StackSettings
    root: Path
    exclude: list[str] = field(default_factory=list)
    """Files under the manifest paths that are not manifests (values files)."""


@dataclass
class Prepared:
    graph: Graph
    settings: StackSettings


def _problem(key: str, message: str) -> Diagnostic:
    return Diagnostic(CONFIG_SOURCE, 0, f"{NAMESPACE}:{key}", message)


def inputs_from_config(
    config: Mapping[str, Any],
    *,
    project: str,
    stack: str,
    root: str | Path,
    environment: Mapping[str, str] | None = None,
) -> ProgramInputs:
    """Interpret the ``dataproduct:`` config keys (given without the namespace, values parsed).

    Raises :class:`ManifestError` for unknown keys and malformed values.
    """
    root = Path(root)
    problems: list[Diagnostic] = []
    known = (*PROGRAM_KEYS, *SETTINGS_KEYS)
    for key in config:
        if key not in known and key not in StackSettings.__dataclass_fields__:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"; did you mean {NAMESPACE}:{close[0]}?" if close else ""
            problems.append(_problem(key, f"unknown configuration key{hint}"))

    manifests = _strings(config.get("manifests"), "manifests", problems)
    if "manifests" in config and not manifests:
        problems.append(_problem("manifests", "give at least one manifest path or glob"))
    manifests = [p if Path(p).is_absolute() else str(root / p) for p in manifests]

    values: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    raw_values = config.get("values")
    if isinstance(raw_values, dict):
        values = dict(raw_values)
    elif raw_values is not None:
        for path in _strings(raw_values, "values", problems):
            try:
                files.append(read_values_file(path if Path(path).is_absolute() else root / path))
            except ManifestError as exc:
                problems.extend(exc.diagnostics)
    secrets = config.get("secrets") or {}
    if not isinstance(secrets, dict):
        problems.append(_problem("secrets", "expected a mapping of placeholder name to secret value"))
        secrets = {}
    overrides = config.get("overrides") or {}
    if not isinstance(overrides, dict):
        problems.append(_problem("overrides", "expected a mapping of resource name to partial manifest"))
        overrides = {}

    settings_config = {k: v for k, v in config.items() if k not in PROGRAM_KEYS}
    settings = StackSettings(project=project, stack=stack)
    try:
        settings = StackSettings.from_config(settings_config, project=project, stack=stack)
    except (TypeError, ValueError) as exc:
        problems.append(_problem("environment" if "environment" in str(exc) else "<settings>", str(exc)))
    if problems:
        raise ManifestError(problems)
    sources = ValueSources(files=[values, *reversed(files)], secrets=secrets, environment=environment)
    return ProgramInputs(manifests, sources, overrides, settings, root)


def _strings(value: Any, key: str, problems: list[Diagnostic]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    problems.append(_problem(key, "expected a path or a list of paths"))
    return []


def prepare(inputs: ProgramInputs) -> Prepared:
    """Load, override, validate and resolve the manifests (no pulumi); raise ManifestError on problems."""
    if not inputs.manifests:
        raise ManifestError([_problem("manifests", "no manifests configured for this stack")])
    with gc_paused():
        result = load(inputs.manifests, inputs.sources, exclude=inputs.exclude, overrides=inputs.overrides)
        graph = resolve(result)
        check_clusters(graph, inputs.settings)
    return Prepared(graph, inputs.settings)


def check_clusters(graph: Graph, settings: StackSettings) -> None:
    """Render every Trino cluster once before anything is registered; a configuration Trino would
    refuse (e.g. memory that does not fit the heap) raises ManifestError at the cluster manifest's
    file and line."""
    from .trino import TrinoConfigError, render_cluster
    from .wiring import cluster_inputs

    problems: list[Diagnostic] = []
    for node in graph.of_kind("cluster"):
        assert isinstance(node.manifest, Cluster)
        depots, depot_secrets = cluster_inputs(graph, node.manifest)
        try:
            render_cluster(node.manifest, depots, depot_secrets, settings)
        except TrinoConfigError as exc:
            problems.extend(exc.located(node.source).diagnostics)
    if problems:
        raise ManifestError(problems)


def deploy(prepared: Prepared, opts: pulumi.ResourceOptions | None = None) -> BuildResult:
    """Build the components of a prepared graph and export the stack outputs."""
    import pulumi

    from .components.build import build

    result = build(prepared.graph, prepared.settings, opts=opts)
    pulumi.export("environment", prepared.settings.environment)
    pulumi.export("depots", result.depot_outputs())
    pulumi.export("clusters", result.cluster_outputs())
    pulumi.export("dataProducts", {name: p.descriptor for name, p in sorted(result.products.items())})
    return result


def parse_config_value(raw: Any) -> Any:
    """A config value as the engine passes it (text; JSON for objects, lists, numbers, booleans)."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def read_runtime_config() -> dict[str, Any]:
    """The ``dataproduct:`` keys of the running program's config, parsed, without the namespace."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    keys |= {
        f"{NAMESPACE}:{k}"
        for k in (*PROGRAM_KEYS, *SETTINGS_KEYS)
        if runtime_config.get_config_env_key(f"{NAMESPACE}:{k}") in os.environ
    }
    out: dict[str, Any] = {}
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE and name:
            value = parse_config_value(runtime_config.get_config(key))
            if name in StackSettings.__dataclass_fields__ or name in SETTINGS_KEYS:
                value = _settings_value(name, value)
            out[name] = value
    return out


def _settings_value(name: str, value: Any) -> Any:
    """JSON parsing turns ``namePrefix: "123"`` into a number: text settings stay text."""
    fields = {_to_camel(f): f for f in StackSettings.__dataclass_fields__}
    field = StackSettings.__dataclass_fields__.get(fields.get(name, name))
    if (
        field is not None
        and "str" in str(field.type)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return str(value)
    return value


def main(root: str | Path | None = None) -> None:
    """The Pulumi program: read stack config, load and resolve the manifests, build the components."""
    import pulumi

    project_root = Path(root) if root is not None else Path.cwd()
    try:
        inputs = inputs_from_config(
            read_runtime_config(), project=pulumi.get_project(), stack=pulumi.get_stack(), root=project_root
        )
        prepared = prepare(inputs)
    except ManifestError as exc:
        raise pulumi.RunError(exc.summary()) from None
    deploy(prepared)
