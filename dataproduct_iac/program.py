"""The stack program: stack config → manifests → resolved graph → components.

``main()`` is what ``stacks/__main__.py`` runs under ``pulumi up``; ``dataproduct plan`` runs the
same :func:`prepare` + :func:`deploy` on the mock monitor. Reading the configuration
(:mod:`dataproduct_iac.stack_config`) and loading the manifests never touch pulumi, so a bad
manifest or config value fails before anything is registered.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, ManifestError
from .graph import Graph, resolve
from .loader import load
from .manifests import Cluster
from .settings import StackSettings
from .stack_config import (
    KNOWN_KEYS,
    NAMESPACE,
    REGION_KEY,
    ProgramInputs,
    engine_text,
    locate_stack_config,
    parse_stack_config,
)
from .stack_jobs import check_workflows

if TYPE_CHECKING:
    import pulumi

    from .components.build import BuildResult


@dataclass
class Prepared:
    graph: Graph
    settings: StackSettings


def prepare(inputs: ProgramInputs) -> Prepared:
    """Load, override, validate and resolve the manifests (no pulumi); raise ManifestError on problems."""
    if not inputs.manifests:
        raise ManifestError([inputs.location.problem("manifests", "no manifests configured for this stack")])
    result = load(inputs.manifests, inputs.sources, exclude=inputs.exclude, overrides=inputs.overrides)
    graph = resolve(result)
    problems: list[Diagnostic] = []
    for check in (check_clusters, check_workflows):  # what the stack cannot run, before any resource
        try:
            check(graph, inputs.settings)
        except ManifestError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise ManifestError(problems)
    return Prepared(graph, inputs.settings)


def check_clusters(graph: Graph, settings: StackSettings) -> None:
    """Render every Trino cluster once before anything is registered; a configuration Trino would
    refuse (e.g. memory that does not fit the heap) raises ManifestError at the cluster manifest's
    file and line."""
    from .trino import TrinoConfigError, render_cluster

    problems: list[Diagnostic] = []
    for node in graph.of_kind("cluster"):
        assert isinstance(node.manifest, Cluster)
        if node.manifest.cluster.type != "minerva":
            problems.append(
                node.source.diagnostic(
                    ("cluster", "type"),
                    f"a {node.manifest.cluster.type} cluster (Spark SQL through Kyuubi) is not deployed by "
                    "this tool, which runs minerva (Trino) clusters; validate accepts it, plan cannot "
                    "create it",
                )
            )
            continue
        depots, depot_secrets = graph.cluster_inputs(node.manifest)
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


def runtime_config() -> dict[str, str]:
    """The running program's ``dataproduct:`` keys and ``aws:region``, as the engine passed them (text)."""
    from pulumi.runtime import config as runtime

    keys = set(runtime.CONFIG.get()) | set(runtime.get_config_env())
    keys |= {
        f"{NAMESPACE}:{k}" for k in KNOWN_KEYS if runtime.get_config_env_key(f"{NAMESPACE}:{k}") in os.environ
    }
    out: dict[str, str] = {}
    for key in sorted(keys):
        if key.startswith(f"{NAMESPACE}:") or key == REGION_KEY:
            value = runtime.get_config(key)
            if value is not None:
                out[key] = engine_text(value)
    return out


def main(root: str | Path | None = None) -> None:
    """The Pulumi program: read stack config, load and resolve the manifests, build the components."""
    import pulumi

    project_root = Path(root) if root is not None else Path.cwd()
    stack = pulumi.get_stack()
    config = runtime_config()
    try:
        inputs = parse_stack_config(
            {k.partition(":")[2]: v for k, v in config.items() if k.startswith(f"{NAMESPACE}:")},
            project=pulumi.get_project(),
            stack=stack,
            root=project_root,
            region=config.get(REGION_KEY),
            location=locate_stack_config(project_root, stack),
        )
        prepared = prepare(inputs)
    except ManifestError as exc:
        raise pulumi.RunError(exc.summary()) from None
    deploy(prepared)
