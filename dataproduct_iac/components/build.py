"""``build(graph, settings)``: one component per manifest of a resolved graph, in the graph's order.

Wiring: a depot gets its secrets' ARNs and ``depends_on`` them; a bundle is the parent of its
members, which depend on each other as the bundle's ``dependencies`` say; workloads (Trino clusters,
scanner jobs) run in their workspace's namespace and depend on the depots (and secrets) they read;
a data product depends on its bundle and depots. The Pulumi engine orders creation from that.

URN stability: a member's URN holds the types of its parents, not their names. Every component
built here carries aliases for the other placements it may have had (top level, in a bundle, in a
bundle inside a bundle), so moving a manifest into or out of a bundle keeps its URN and, through the
engine's inherited aliases, those of all its children. See docs/upgrades.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi

from ..errors import ComponentArgsError
from ..graph import Graph, Node, NodeKey
from ..manifests import Acl, Cluster, DataProduct, InstanceSecret, Workflow
from ..manifests import Bundle as BundleModel
from ..manifests import Depot as DepotModel
from ..ownership import ownership_of, products_by_member
from ..settings import StackSettings
from ..stack_jobs import WorkflowPlan, plan_workflow
from ..tags import Ownership
from .bundle import TYPE as BUNDLE_TYPE
from .bundle import Bundle, BundleArgs
from .depot import Depot, DepotArgs
from .product import DataProduct as DataProductComponent
from .product import DataProductArgs
from .scanner import ScannerJob, ScannerJobArgs
from .secret import InstanceSecret as InstanceSecretComponent
from .secret import InstanceSecretArgs
from .trino import TrinoCluster, TrinoClusterArgs
from .workflow_job import WorkflowJob, WorkflowJobArgs

WORKLOAD_KINDS = ("cluster", "workflow")
PLACEMENT_DEPTHS = (0, 1, 2)
"""Bundle nesting depths a component is aliased to: top level, in a bundle, in a bundle in a bundle."""
_ANY_BUNDLE = "(bundle)"
"""The name in the stand-in parent URN of a placement alias: the engine reads only its type chain."""


def _under(chain: str) -> Callable[[str], str]:
    """URN of a parent → URN of a stand-in resource of qualified type ``<parent's>$<chain>``."""
    return lambda urn: f"{urn[: urn.rindex('::')]}${chain}::{_ANY_BUNDLE}"


def placement_aliases(depth: int, opts: pulumi.ResourceOptions | None = None) -> list[pulumi.Alias]:
    """Aliases for the placements (:data:`PLACEMENT_DEPTHS`) other than ``depth`` bundles deep.

    A URN holds its parents' types, not their names, so "in some bundle" is one URN whatever the
    bundle is called. The top level is the caller's ``opts.parent`` (or the stack).
    """
    caller = opts.parent if opts is not None else None
    aliases: list[pulumi.Alias] = []
    for other in PLACEMENT_DEPTHS:
        if other == depth:
            continue
        if other == 0:
            aliases.append(pulumi.Alias(parent=caller if caller is not None else pulumi.ROOT_STACK_RESOURCE))
            continue
        chain = "$".join([BUNDLE_TYPE] * other)
        if caller is None:
            parent: pulumi.Input[str] = (
                f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{chain}::{_ANY_BUNDLE}"
            )
        else:
            parent = caller.urn.apply(_under(chain))
        aliases.append(pulumi.Alias(parent=parent))
    return aliases


@dataclass
class BuildResult:
    """The components ``build`` created, by manifest name, and the kinds it had to skip."""

    secrets: dict[str, InstanceSecretComponent] = field(default_factory=dict)
    depots: dict[str, Depot] = field(default_factory=dict)
    bundles: dict[str, Bundle] = field(default_factory=dict)
    clusters: dict[str, TrinoCluster] = field(default_factory=dict)
    scanners: dict[str, ScannerJob] = field(default_factory=dict)
    workflow_jobs: dict[str, WorkflowJob] = field(default_factory=dict)
    """Container and stack jobs, per workflow (``<workflow>-jobs`` beside a depot scanner)."""
    notes: list[str] = field(default_factory=list)
    """Workflow jobs that create nothing here (scanners of DataOS metadata), as told to the user."""
    products: dict[str, DataProductComponent] = field(default_factory=dict)

    def depot_outputs(self) -> dict[str, dict[str, Any]]:
        """What the stack exports as ``depots`` (and what other stacks read through a StackReference)."""
        out: dict[str, dict[str, Any]] = {}
        for name, depot in sorted(self.depots.items()):
            entry: dict[str, Any] = {"address": depot.address, "type": depot.depot_type}
            if depot.is_s3:
                entry["bucket"] = depot.bucket_name
                entry["location"] = depot.location
                entry["glueDatabases"] = depot.glue_database_names
            out[name] = entry
        return out

    def cluster_outputs(self) -> dict[str, dict[str, Any]]:
        """What the stack exports as ``clusters`` (``dataproduct query --cluster`` reads
        ``clusters.<name>.coordinatorUrl``)."""
        return {
            name: {
                "coordinatorUrl": cluster.coordinator_url,
                "namespace": cluster.namespace,
                "serviceName": cluster.service_name,
                "catalogs": cluster.catalogs,
            }
            for name, cluster in sorted(self.clusters.items())
        }


def collections_by_depot(graph: Graph) -> dict[str, set[str]]:
    """Collections the program addresses per depot: data product inputs/outputs and cluster depots."""
    out: dict[str, set[str]] = {}
    for node in graph.of_kind("product"):
        assert isinstance(node.manifest, DataProduct)
        for ref in [*node.manifest.inputs, *node.manifest.outputs]:
            if ref.ref_type != "external" and ref.address.collection:
                out.setdefault(ref.address.depot, set()).add(ref.address.collection)
    for node in graph.of_kind("cluster"):
        assert isinstance(node.manifest, Cluster)
        for entry in node.manifest.depots:
            address = entry.parsed
            if address.collection:
                out.setdefault(address.depot, set()).add(address.collection)
    return out


def build(
    graph: Graph,
    settings: StackSettings,
    *,
    opts: pulumi.ResourceOptions | None = None,
    stack_references: dict[str, pulumi.StackReference] | None = None,
) -> BuildResult:
    """Instantiate a component for every node of ``graph`` (a resolved graph), in its order.

    ``opts`` applies to every top-level component (for example an explicit provider);
    ``stack_references`` maps depot names provided by other stacks to those stacks.
    """
    # The stack's protect setting is a default: a caller's explicit ``protect`` wins. Left unset, the
    # components protect what holds data (buckets, Glue databases, secrets) and nothing else.
    stack_default = pulumi.ResourceOptions(protect=None if settings.protect else False)
    caller = pulumi.ResourceOptions.merge(stack_default, opts or pulumi.ResourceOptions())
    return _Builder(graph, settings, caller, stack_references or {}).run()


class _Builder:
    def __init__(
        self,
        graph: Graph,
        settings: StackSettings,
        opts: pulumi.ResourceOptions,
        stack_references: dict[str, pulumi.StackReference],
    ) -> None:
        self.graph = graph
        self.settings = settings
        self.opts = opts
        self.stack_references = stack_references
        self.result = BuildResult()
        self.components: dict[NodeKey, pulumi.Resource] = {}
        self.collections = collections_by_depot(graph)
        self.products = products_by_member(graph)
        self.namespaces: dict[str, tuple[str, pulumi.Resource]] = {}
        """Workspace → (physical name, Namespace), from the first bundle that declares it."""

    def run(self) -> BuildResult:
        for node in self.graph.of_kind("bundle"):
            self._bundle(node)
        for key in self.graph.order:
            node = self.graph.nodes[key]
            manifest = node.manifest
            if isinstance(manifest, InstanceSecret):
                self._secret(node, manifest)
            elif isinstance(manifest, DepotModel):
                self._depot(node, manifest)
            elif isinstance(manifest, Cluster):
                self._cluster(node, manifest)
            elif isinstance(manifest, Workflow):
                self._workflow(node, manifest)
            elif isinstance(manifest, DataProduct):
                self._product(node, manifest)
        return self.result

    # -- placement ---------------------------------------------------------------------------
    def _options(self, node: Node, extra: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        """The caller's opts merged with the node's own: parent (the holding bundle), depends_on (the
        node's dependencies) and the aliases of its other placements."""
        # A bundle's dependencies are its members, which it parents: it depends on none of them.
        depends = [
            self.components[dep]
            for dep in self.graph.dependencies(node.key)
            if dep in self.components and node.kind != "bundle"
        ]
        depends.extend(extra or [])
        unique = list({id(resource): resource for resource in depends}.values())
        own = pulumi.ResourceOptions(
            depends_on=unique or None, aliases=list(placement_aliases(self._depth(node), self.opts))
        )
        holder = node.source.bundle
        if holder is not None and holder in self.result.bundles:
            own.parent = self.result.bundles[holder]
        return pulumi.ResourceOptions.merge(self.opts, own)

    def _depth(self, node: Node) -> int:
        """How many bundles hold ``node`` (0: top level)."""
        depth, holder = 0, node.source.bundle
        while holder is not None:
            depth += 1
            outer = self.graph.get("bundle", holder)
            holder = outer.source.bundle if outer is not None else None
        return depth

    def _workspace(self, node: Node) -> tuple[StackSettings, list[pulumi.Resource]]:
        """Settings whose namespace is the node's workspace namespace, and that namespace resource."""
        holder = node.source.bundle
        bundle = self.result.bundles.get(holder) if holder else None
        if bundle is None:
            return self.settings, []
        model = self.graph.get("bundle", holder) if holder else None
        assert model is not None and isinstance(model.manifest, BundleModel)
        workspace = next(
            (e.workspace for e in model.manifest.bundle.resources if e.id == node.source.bundle_id), None
        )
        found = self.namespaces.get(workspace) if workspace else None
        if found is None:
            return self.settings, []
        physical, namespace = found
        return dataclasses.replace(self.settings, namespace=physical), [namespace]

    def _ownership(self, node: Node) -> Ownership:
        """Owner and data product of a node (tags of its AWS resources, labels of its Kubernetes objects)."""
        return ownership_of(self.graph, node.key, self.settings, self.products)

    # -- kinds -------------------------------------------------------------------------------
    def _bundle(self, node: Node) -> Bundle:
        existing = self.result.bundles.get(node.name)
        if existing is not None:
            return existing
        holder = node.source.bundle
        if holder is not None and holder not in self.result.bundles:
            outer = self.graph.get("bundle", holder)
            if outer is not None:
                self._bundle(outer)
        assert isinstance(node.manifest, BundleModel)
        members = self.graph.bundle_members(node.name)
        has_workloads = any(kind in WORKLOAD_KINDS for kind, _ in members)
        args = BundleArgs.from_manifest(
            node.manifest,
            self.settings,
            has_workloads=has_workloads,
            ownership=self._ownership(node),
            shared_workspaces=frozenset(self.namespaces),
        )
        component = Bundle(node.name, args, self._options(node))
        for workspace in args.workspaces or ():
            self.namespaces.setdefault(
                workspace.name, (workspace.namespace, component.namespaces[workspace.name])
            )
        self.result.bundles[node.name] = component
        self.components[node.key] = component
        return component

    def _secret(self, node: Node, manifest: InstanceSecret) -> None:
        component = InstanceSecretComponent(
            node.name,
            InstanceSecretArgs.from_manifest(manifest, self.settings, ownership=self._ownership(node)),
            self._options(node),
        )
        self.result.secrets[node.name] = component
        self.components[node.key] = component

    def _depot(self, node: Node, manifest: DepotModel) -> None:
        arns: dict[Acl, pulumi.Input[str]] = {}
        for secret in self.graph.depot_secrets(node.name):
            component = self.result.secrets.get(secret.name)
            if component is not None:
                arns.setdefault(secret.acl, component.arn)
        depot = Depot(
            node.name,
            DepotArgs.from_manifest(
                manifest,
                self.settings,
                collections=sorted(self.collections.get(node.name, ())),
                secret_arns=arns,
                ownership=self._ownership(node),
            ),
            self._options(node),
        )
        self.result.depots[node.name] = depot
        self.components[node.key] = depot

    def _secrets_of(self, depot: str) -> list[InstanceSecret]:
        return self.graph.depot_secrets(depot)

    def _cluster(self, node: Node, manifest: Cluster) -> None:
        depots, depot_secrets = self.graph.cluster_inputs(manifest)
        extra: list[pulumi.Resource] = [self.result.depots[name] for name in depots]
        for secrets in depot_secrets.values():
            extra.extend(self.result.secrets[s.name] for s in secrets if s.name in self.result.secrets)
        settings, namespace = self._workspace(node)
        args = TrinoClusterArgs.from_manifest(
            manifest, settings, depots=depots, depot_secrets=depot_secrets, ownership=self._ownership(node)
        )
        component = TrinoCluster(node.name, args, self._options(node, [*namespace, *extra]))
        self.result.clusters[node.name] = component
        self.components[node.key] = component

    def _workflow(self, node: Node, manifest: Workflow) -> None:
        plan = plan_workflow(manifest, self.graph, self.settings)
        if plan.problems:  # the stack program refused these already (stack_jobs.check_workflows)
            path, message = plan.problems[0]
            raise ComponentArgsError(str(node.source.diagnostic(path, message)))
        # In DAG order: the first depot's scanner keeps the workflow's name (and physical names), so a
        # workflow that grows to scan more depots adds scanners beside it and renames none.
        targets = list(
            dict.fromkeys(job.scanned_depot.depot for job in manifest.scanner_jobs if job.scanned_depot)
        )
        settings, namespace = self._workspace(node)
        for depot_name in targets:
            depot_node = self.graph.get("depot", depot_name)
            if depot_node is None:
                continue
            assert isinstance(depot_node.manifest, DepotModel)
            secrets = self._secrets_of(depot_name)
            # The read secret; a v1 depot whose only inline secret is rw (DataOS's templates) reads with it.
            read = next((s for s in secrets if s.acl == Acl.READ), None) or next(iter(secrets), None)
            extra: list[pulumi.Resource] = [*namespace, self.result.depots[depot_name]]
            if read is not None and read.name in self.result.secrets:
                extra.append(self.result.secrets[read.name])
            name = node.name if depot_name == targets[0] else f"{node.name}-{depot_name}"
            args = ScannerJobArgs.from_manifest(
                manifest, depot_node.manifest, settings, read_secret=read, ownership=self._ownership(node)
            )
            component = ScannerJob(name, args, self._options(node, extra))
            self.result.scanners[name] = component
            self.components.setdefault(node.key, component)
        self._stack_jobs(node, manifest, plan, has_scanners=bool(targets))

    def _stack_jobs(self, node: Node, manifest: Workflow, plan: WorkflowPlan, *, has_scanners: bool) -> None:
        """The workflow's container and stack jobs (one WorkflowJob), and notes on jobs not run."""
        for note in plan.notes:
            self.result.notes.append(note)
            pulumi.log.warn(note)
        if not plan.runnable:
            return
        settings, namespace = self._workspace(node)
        name = f"{node.name}-jobs" if has_scanners else node.name
        args = WorkflowJobArgs.from_manifest(
            manifest, plan.runnable, settings, ownership=self._ownership(node)
        )
        component = WorkflowJob(name, args, self._options(node, namespace))
        self.result.workflow_jobs[name] = component
        self.components.setdefault(node.key, component)

    def _product(self, node: Node, manifest: DataProduct) -> None:
        bundle = self.result.bundles.get(manifest.bundle_name) if manifest.bundle_name else None
        component = DataProductComponent(
            node.name,
            DataProductArgs.from_manifest(
                manifest,
                self.settings,
                depots=self.result.depots,
                bundle=bundle,
                stack_references=self.stack_references,
            ),
            self._options(node),
        )
        self.result.products[node.name] = component
        self.components[node.key] = component
