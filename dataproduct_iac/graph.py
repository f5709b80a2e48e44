"""References between manifests: resolution, cycle detection and a deterministic build order.

An edge ``A → B`` reads "A needs B": B is built first. Inline v1 depot credentials become
implicit instance secrets named ``<depot>-<acl>``.
"""

from __future__ import annotations

import difflib
import heapq
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .cyclic_gc import gc_paused
from .diagnostics import Diagnostic, FieldPath, ManifestError, sorted_unique
from .loader import Loaded, LoadResult
from .manifests import (
    Acl,
    Bundle,
    Cluster,
    DataProduct,
    DatasetAddress,
    Depot,
    DepotType,
    InstanceSecret,
    Manifest,
    ResourceRef,
    Workflow,
)
from .manifests.connections import trino_gap
from .manifests.depot import SecretRef
from .manifests.instance_secret import InstanceSecretSpec
from .manifests.product import V1AlphaData

NodeKey = tuple[str, str]
"""(kind, name)."""

KIND_ORDER = ("instance-secret", "depot", "workflow", "cluster", "bundle", "product")
_RANK = {kind: index for index, kind in enumerate(KIND_ORDER)}
_MANAGED_REF_KINDS = {
    "instance-secret": "instance-secret",
    "depot": "depot",
    "workflow": "workflow",
    "cluster": "cluster",
    "bundle": "bundle",
    "product": "product",
    "dataproduct": "product",
}


def node_label(key: NodeKey) -> str:
    return f"{key[0]}/{key[1]}"


@dataclass
class Node:
    key: NodeKey
    manifest: Manifest
    source: Loaded
    implicit: bool = False
    """True for instance secrets made from a v1 depot's inline ``connectionSecret``."""

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def name(self) -> str:
        return self.key[1]


@dataclass(frozen=True, order=True)
class Edge:
    source: NodeKey
    target: NodeKey
    reason: str
    at: tuple[Loaded, FieldPath] | None = field(default=None, compare=False, hash=False, repr=False)
    """The manifest and the path in it where the reference is written."""

    @property
    def site(self) -> Diagnostic | None:
        """Where the reference is written (file, line, field), for error messages; computed on demand
        (only a cycle's message needs it, and there are thousands of edges)."""
        return self.at[0].diagnostic(self.at[1], self.reason) if self.at is not None else None


@dataclass(frozen=True)
class Graph:
    """The resolved manifests, as :func:`resolve` returns them. Read-only: ``nodes`` is a read-only
    mapping and ``edges`` and ``order`` are tuples, so the lookups built from them when the graph is
    made (a node's dependencies, nodes by kind, a bundle's members: O(degree) per query instead of a
    pass over the graph) always answer for what the graph holds."""

    nodes: Mapping[NodeKey, Node] = field(default_factory=dict)
    edges: tuple[Edge, ...] = ()
    order: tuple[NodeKey, ...] = ()
    """Every node, each after the nodes it needs."""
    external_refs: dict[NodeKey, list[str]] = field(default_factory=dict)
    """References to resources this tool does not manage (lens, service ports), per referrer."""
    warnings: list[Diagnostic] = field(default_factory=list)

    _index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Own, unchangeable copies of the relations the index is built from (the dataclass is frozen).
        object.__setattr__(self, "nodes", MappingProxyType(dict(self.nodes)))
        object.__setattr__(self, "edges", tuple(self.edges))
        object.__setattr__(self, "order", tuple(self.order))
        object.__setattr__(self, "_index", _Index(self))

    def dependencies(self, key: NodeKey) -> list[NodeKey]:
        return sorted(self._index.targets.get(key, ()), key=_sort_key)

    def of_kind(self, kind: str) -> list[Node]:
        return [self.nodes[k] for k in self._index.by_kind.get(kind, ())]

    def get(self, kind: str, name: str) -> Node | None:
        return self.nodes.get((kind, name))

    def depot_secrets(self, depot: str) -> list[InstanceSecret]:
        """The instance secrets a depot uses (explicit refs and implicit inline ones), r first."""
        targets = {t for t in self._index.targets.get(("depot", depot), ()) if t[0] == "instance-secret"}
        out = [self.nodes[target].manifest for target in targets]
        secrets = [m for m in out if isinstance(m, InstanceSecret)]
        return sorted(secrets, key=lambda s: (s.acl != Acl.READ, s.name))

    def bundle_members(self, bundle: str) -> list[NodeKey]:
        return [k for k in self._index.by_bundle.get(bundle, ()) if k != ("bundle", bundle)]

    def cluster_inputs(self, cluster: Cluster) -> tuple[dict[str, Depot], dict[str, list[InstanceSecret]]]:
        """The depots a cluster addresses (by name) and each one's instance secrets (r before rw),
        including the secrets its ``depots[].secrets`` name explicitly."""
        depots: dict[str, Depot] = {}
        depot_secrets: dict[str, list[InstanceSecret]] = {}
        for entry in cluster.depots:
            name = entry.parsed.depot
            depot_node = self.get("depot", name)
            if depot_node is None:
                continue
            assert isinstance(depot_node.manifest, Depot)
            depots[name] = depot_node.manifest
            secrets = depot_secrets.setdefault(name, list(self.depot_secrets(name)))
            for ref in entry.secrets:
                secret_node = self.get("instance-secret", ref.name)
                if (
                    secret_node is not None
                    and isinstance(secret_node.manifest, InstanceSecret)
                    and all(s.name != ref.name for s in secrets)
                ):
                    secrets.append(secret_node.manifest)
        return depots, depot_secrets


class _Index:
    """Lookups over a graph's edges and order, so that per-node queries cost O(degree), not O(graph)."""

    def __init__(self, graph: Graph) -> None:
        self.targets: dict[NodeKey, set[NodeKey]] = defaultdict(set)
        for edge in graph.edges:
            self.targets[edge.source].add(edge.target)
        self.by_kind: dict[str, list[NodeKey]] = defaultdict(list)
        self.by_bundle: dict[str, list[NodeKey]] = defaultdict(list)
        for key in graph.order:
            self.by_kind[key[0]].append(key)
            bundle = graph.nodes[key].source.bundle
            if bundle is not None:
                self.by_bundle[bundle].append(key)


def _sort_key(key: NodeKey) -> tuple[int, str]:
    return (_RANK.get(key[0], len(_RANK)), key[1])


class _Resolver:
    def __init__(self, result: LoadResult) -> None:
        self.result = result
        self.nodes: dict[NodeKey, Node] = {}
        self.edges: list[Edge] = []
        self.external_refs: dict[NodeKey, list[str]] = {}
        self.warnings = list(result.warnings)
        self.errors: list[Diagnostic] = []

    def run(self) -> Graph:
        self._add_nodes()
        # Members of each bundle, in node order (one pass instead of one per bundle).
        self.members: dict[str, list[NodeKey]] = defaultdict(list)
        for key, member in self.nodes.items():
            if member.source.bundle is not None:
                self.members[member.source.bundle].append(key)
        for node in list(self.nodes.values()):
            manifest = node.manifest
            if node.implicit:
                continue
            if isinstance(manifest, Depot):
                self._depot(node, manifest)
            elif isinstance(manifest, Workflow):
                self._workflow(node, manifest)
            elif isinstance(manifest, Cluster):
                self._cluster(node, manifest)
            elif isinstance(manifest, Bundle):
                self._bundle(node, manifest)
            elif isinstance(manifest, DataProduct):
                self._product(node, manifest)
        # Unique edges (the first of equal ones) in the dataclass order (source, target, reason), sorted
        # as plain tuples: no Python-level __hash__, __eq__ or key function per edge.
        unique: dict[tuple[NodeKey, NodeKey, str], Edge] = {}
        for edge in self.edges:
            unique.setdefault((edge.source, edge.target, edge.reason), edge)
        edges = [unique[k] for k in sorted(unique)]
        order = self._order(edges) if not self.errors else []
        if self.errors:
            raise ManifestError(sorted_unique(self.errors))
        return Graph(self.nodes, tuple(edges), tuple(order), self.external_refs, self.warnings)

    # -- nodes -------------------------------------------------------------------------------
    def _add_nodes(self) -> None:
        first_seen: dict[NodeKey, Loaded] = {}
        for loaded in self.result.manifests:
            key = (loaded.kind, loaded.name)
            self._add(key, Node(key, loaded.manifest, loaded), first_seen, ("name",))
        for loaded in self.result.manifests:
            manifest = loaded.manifest
            if isinstance(manifest, Depot):
                for index, inline in enumerate(manifest.depot.connection_secret):
                    name = manifest.inline_secret_name(inline.acl)
                    spec = InstanceSecretSpec.model_construct(
                        type=inline.type, acl=inline.acl, data=dict(inline.data), files=dict(inline.files)
                    )
                    spec.keep_file_texts_of(inline)  # read by the loader: not again
                    secret = InstanceSecret.model_construct(
                        name=name,
                        version="v1",
                        type="instance-secret",
                        description=f"Inline connectionSecret of depot {manifest.name}",
                        layer=manifest.layer,
                        tags=[],
                        refs=[],
                        owner=manifest.owner,
                        workspace=None,
                        title=None,
                        instance_secret=spec,
                    )
                    key = ("instance-secret", name)
                    self._add(
                        key,
                        Node(key, secret, loaded, implicit=True),
                        first_seen,
                        ("depot", "connectionSecret", index),
                    )

    def _add(self, key: NodeKey, node: Node, first_seen: dict[NodeKey, Loaded], path: FieldPath) -> None:
        if key in self.nodes:
            first = first_seen[key]
            self.errors.append(
                node.source.diagnostic(
                    path,
                    f"duplicate {key[0]} named {key[1]!r}: already defined at {first.file}:{first.line}",
                )
            )
            return
        first_seen[key] = node.source
        self.nodes[key] = node

    # -- references --------------------------------------------------------------------------
    def _need(self, node: Node, kind: str, name: str, path: FieldPath, reason: str) -> bool:
        target = (kind, name)
        if target not in self.nodes:
            candidates = [k[1] for k in self.nodes if k[0] == kind]
            close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            if not candidates:
                hint = f"; no {kind} is defined in the loaded manifests"
            self.errors.append(
                node.source.diagnostic(
                    path, f"{node_label(node.key)} references {kind} {name!r}, which is not defined{hint}"
                )
            )
            return False
        if target == node.key:
            self.errors.append(node.source.diagnostic(path, f"{node_label(node.key)} references itself"))
            return False
        self.edges.append(Edge(node.key, target, reason, (node.source, path)))
        return True

    def _depot(self, node: Node, depot: Depot) -> None:
        referenced: set[Acl] = set()
        for index, ref in enumerate(depot.depot.secrets):
            if self._need(node, "instance-secret", ref.name, ("depot", "secrets", index, "name"), "secret"):
                secret = self.nodes[("instance-secret", ref.name)].manifest
                assert isinstance(secret, InstanceSecret)
                referenced.add(secret.acl)
                self._listed_keys(node, ref, secret, ("depot", "secrets", index))
        inline: set[Acl] = set()
        for entry in depot.depot.connection_secret:
            name = depot.inline_secret_name(entry.acl)
            if ("instance-secret", name) in self.nodes:
                self.edges.append(Edge(node.key, ("instance-secret", name), "inline secret"))
            inline.add(entry.acl)
        # DataOS's own v1 templates (Redshift, Snowflake) hold a single inline rw secret: it serves
        # reads too. Referenced instance secrets follow the rule that an rw secret comes with an r one.
        if Acl.READ_WRITE in referenced and Acl.READ not in referenced | inline:
            self.errors.append(
                node.source.diagnostic(
                    ("depot", "secrets"),
                    f"depot {depot.name!r} has a read-write (acl rw) secret but no read (acl r) secret; "
                    f"DataOS refuses such a depot: add an instance secret with 'acl: r' "
                    f"(by convention '{depot.name}-r') and list it under depot.secrets",
                )
            )

    def _listed_keys(self, node: Node, ref: SecretRef, secret: InstanceSecret, at: FieldPath) -> None:
        """A key the reference at ``at`` lists that ``secret`` does not define is an error there."""
        defined = secret.key_names()
        for path, key in ref.unknown_keys(defined):
            self.errors.append(
                node.source.diagnostic(
                    (*at, *path),
                    f"instance secret {secret.name!r} has no key {key!r} (its keys: "
                    f"{', '.join(defined) or 'none'}); list keys it defines, or write 'allkeys: true'",
                )
            )

    def _workflow(self, node: Node, workflow: Workflow) -> None:
        for index, job in enumerate(workflow.workflow.dag):
            address = job.scanned_depot
            if address is None:
                continue  # jobs of other stacks, and scanners of DataOS metadata, read no depot here
            path: FieldPath = ("workflow", "dag", index, "spec", "stackSpec", "depot")
            if not self._need(node, "depot", address.depot, path, "scans"):
                continue
            depot = self.nodes[("depot", address.depot)].manifest
            if isinstance(depot, Depot) and depot.depot_type == DepotType.S3:
                self._scanner_envs(node, index, job.inline_spec.envs)
                unused = job.scanner_config.narrowing_but_not_applied()
                if unused:
                    self.warnings.append(
                        node.source.diagnostic(
                            (
                                "workflow",
                                "dag",
                                index,
                                "spec",
                                "stackSpec",
                                "sourceConfig",
                                "config",
                                unused[0],
                            ),
                            f"{', '.join(unused)} do not apply to the S3 depot {address.depot!r} "
                            "(one database, no collections, topics or data products of that kind): kept, "
                            "not applied; "
                            "schemaFilterPattern and tableFilterPattern narrow an S3 scan",
                            "warning",
                        )
                    )

    def _scanner_envs(self, node: Node, index: int, envs: dict[str, str]) -> None:
        """The scanner's own variables in a scanner job's ``envs`` (timeouts, retries, ...), read as the
        scanner container reads them when it starts, so that a value it would refuse fails here."""
        from .scanner.env import env_problems  # the scanner's parser; imported only for scanner jobs

        for name, reason in sorted(env_problems(envs).items()):
            path: FieldPath = ("workflow", "dag", index, "spec", "envs", name)
            self.errors.append(node.source.diagnostic(path, f"{reason} (the scanner would refuse it)"))

    def _cluster(self, node: Node, cluster: Cluster) -> None:
        section = cluster.cluster.type
        for index, entry in enumerate(cluster.depots):
            path: FieldPath = ("cluster", section, "depots", index, "address")
            if self._need(node, "depot", entry.parsed.depot, path, "catalog"):
                depot = self.nodes[("depot", entry.parsed.depot)].manifest
                assert isinstance(depot, Depot)
                gap = trino_gap(depot.depot_type, depot.connection)
                if gap is not None:
                    self.errors.append(
                        node.source.diagnostic(
                            path,
                            f"depot {depot.name!r} ({depot.depot_type.value}) cannot be a catalog of this "
                            f"cluster: {gap}; remove it from cluster.{section}.depots",
                        )
                    )
            for s_index, ref in enumerate(entry.secrets):
                at: FieldPath = ("cluster", section, "depots", index, "secrets", s_index)
                if self._need(node, "instance-secret", ref.name, (*at, "name"), "catalog secret"):
                    secret = self.nodes[("instance-secret", ref.name)].manifest
                    if isinstance(secret, InstanceSecret):
                        self._listed_keys(node, ref, secret, at)

    def _bundle(self, node: Node, bundle: Bundle) -> None:
        by_id: dict[str, list[NodeKey]] = defaultdict(list)
        for key in self.members.get(bundle.name, ()):
            if key != node.key:
                by_id[self.nodes[key].source.bundle_id or ""].append(key)
                self.edges.append(Edge(node.key, key, "member"))
        for index, entry in enumerate(bundle.bundle.resources):
            for dep_index, dep in enumerate(entry.dependencies):
                reason = f"bundle dependency {entry.id} → {dep}"
                at = (node.source, ("bundle", "resources", index, "dependencies", dep_index))
                for source in by_id.get(entry.id, []):
                    for target in by_id.get(dep, []):
                        if source != target:
                            self.edges.append(Edge(source, target, reason, at))
            if entry.workspace and bundle.bundle.workspaces:
                names = [w.name for w in bundle.bundle.workspaces]
                if entry.workspace not in names and entry.workspace != "public":
                    self.errors.append(
                        node.source.diagnostic(
                            ("bundle", "resources", index, "workspace"),
                            f"workspace {entry.workspace!r} is not declared under bundle.workspaces "
                            f"({', '.join(names)})",
                        )
                    )

    def _product(self, node: Node, product: DataProduct) -> None:
        section = product.version
        bundle_name = product.bundle_name
        if bundle_name:
            path: FieldPath = (section, "data", "resource", "ref")
            data = product.data
            if isinstance(data, V1AlphaData):
                index = next(i for i, r in enumerate(data.resources) if r.type == "bundle")
                path = (section, "data", "resources", index, "name")
            self._need(node, "bundle", bundle_name, path, "built by")
        for direction in ("inputs", "outputs"):
            for index, ref in enumerate(getattr(product.data, direction)):
                if ref.ref_type == "external":
                    continue
                address = ref.address
                ok = self._need(
                    node, "depot", address.depot, (section, "data", direction, index, "ref"), direction[:-1]
                )
                if ok and direction == "outputs":
                    self._check_writable(node, address, (section, "data", direction, index, "ref"))
        for port_kind, port in product.ports.all():
            target = port.target
            if isinstance(target, ResourceRef) and target.kind in _MANAGED_REF_KINDS:
                self._need(
                    node,
                    _MANAGED_REF_KINDS[target.kind],
                    target.name,
                    (section, "data", "ports", port_kind),
                    "port",
                )
            else:
                self.external_refs.setdefault(node.key, []).append(port.ref)

    def _check_writable(self, node: Node, address: DatasetAddress, path: FieldPath) -> None:
        depot = self.nodes[("depot", address.depot)].manifest
        assert isinstance(depot, Depot)
        acls = {s.acl for s in depot.depot.connection_secret}
        for ref in depot.depot.secrets:
            secret = self.nodes.get(("instance-secret", ref.name))
            if secret is not None and isinstance(secret.manifest, InstanceSecret):
                acls.add(secret.manifest.acl)
        if Acl.READ_WRITE not in acls:
            self.errors.append(
                node.source.diagnostic(
                    path,
                    f"output {address.uri} goes to depot {address.depot!r}, which has no read-write "
                    f"(acl rw) secret; add one (by convention '{address.depot}-rw') to write there",
                )
            )

    # -- order -------------------------------------------------------------------------------
    def _order(self, edges: list[Edge]) -> list[NodeKey]:
        """The nodes in build order, or [] with the error of a cycle."""
        needs: dict[NodeKey, set[NodeKey]] = {key: set() for key in self.nodes}
        needed_by: dict[NodeKey, set[NodeKey]] = {key: set() for key in self.nodes}
        for edge in edges:
            needs[edge.source].add(edge.target)
            needed_by[edge.target].add(edge.source)
        remaining = {key: len(deps) for key, deps in needs.items()}
        # Kahn's algorithm, always taking the smallest ready node by (_sort_key, key); the heap holds
        # each node's position in that order (ints compare much faster than nested tuples).
        ranked = sorted(self.nodes, key=lambda k: (_sort_key(k), k))
        position = {key: index for index, key in enumerate(ranked)}
        ready = [position[k] for k, count in remaining.items() if count == 0]
        heapq.heapify(ready)
        order: list[NodeKey] = []
        while ready:
            key = ranked[heapq.heappop(ready)]
            order.append(key)
            for dependent in needed_by[key]:
                remaining[dependent] -= 1
                if remaining[dependent] == 0:
                    heapq.heappush(ready, position[dependent])
        if len(order) != len(self.nodes):
            cycle = _find_cycle({k: needs[k] for k in needs if remaining.get(k, 0) > 0})
            message = "dependency cycle: " + " → ".join(node_label(k) for k in [*cycle, cycle[0]])
            closing = cycle[1] if len(cycle) > 1 else cycle[0]
            sites = [
                e.site for e in edges if e.source == cycle[0] and e.target == closing and e.site is not None
            ]
            if sites:
                site = min(sites)
                self.errors.append(Diagnostic(site.file, site.line, site.field, message))
            else:
                self.errors.append(self.nodes[cycle[0]].source.diagnostic((), message))
            return []
        return order


def _find_cycle(needs: dict[NodeKey, set[NodeKey]]) -> list[NodeKey]:
    """One cycle among the nodes left over by Kahn's algorithm, starting at its smallest node."""
    start = min(needs, key=_sort_key)
    path: list[NodeKey] = []
    position: dict[NodeKey, int] = {}
    current = start
    while current not in position:
        position[current] = len(path)
        path.append(current)
        current = min((d for d in needs[current] if d in needs), key=_sort_key)
    cycle = path[position[current] :]
    pivot = cycle.index(min(cycle, key=_sort_key))
    return cycle[pivot:] + cycle[:pivot]


def resolve(result: LoadResult) -> Graph:
    """Resolve every reference and order the manifests; raise :class:`ManifestError` on problems."""
    with gc_paused():
        return _Resolver(result).run()
