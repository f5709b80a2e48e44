"""What each node of a resolved graph is wired to, derived from the graph alone (no pulumi).

Shared by the component builder, the stack program's pre-flight checks and the live drift checks,
so that all three see the same owner, product and cluster inputs.
"""

from __future__ import annotations

from .graph import Graph, NodeKey
from .manifests import Cluster, DataProduct, Depot, InstanceSecret
from .settings import StackSettings
from .tags import Ownership, ownership, product_ownership


def products_by_member(graph: Graph) -> dict[NodeKey, DataProduct]:
    """The data product each node belongs to: its bundle (and nested bundles) and their members.

    A node several products reach belongs to the first of them (graph order).
    """
    out: dict[NodeKey, DataProduct] = {}
    for node in graph.of_kind("product"):
        product = node.manifest
        assert isinstance(product, DataProduct)
        bundle = product.bundle_name
        if bundle is None or graph.get("bundle", bundle) is None:
            continue
        out.setdefault(("bundle", bundle), product)
        pending = [bundle]
        seen: set[str] = set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            for member in graph.bundle_members(current):
                out.setdefault(member, product)
                if member[0] == "bundle":
                    pending.append(member[1])
    return out


def ownership_of(
    graph: Graph,
    key: NodeKey,
    settings: StackSettings,
    products: dict[NodeKey, DataProduct] | None = None,
) -> Ownership:
    """Owner and product of the node ``key`` (``products``: a precomputed :func:`products_by_member`)."""
    node = graph.nodes[key]
    if isinstance(node.manifest, DataProduct):
        return product_ownership(node.manifest, settings)
    product = (products if products is not None else products_by_member(graph)).get(key)
    return ownership(
        settings,
        owner=node.manifest.owner,
        product=product.name if product else None,
        product_owner=product.owner if product else None,
    )


ClusterInputs = tuple[dict[str, Depot], dict[str, list[InstanceSecret]]]


def cluster_inputs(graph: Graph, cluster: Cluster) -> ClusterInputs:
    """The depots a cluster addresses (by name) and each one's instance secrets (r before rw), including
    the secrets its ``depots[].secrets`` name explicitly."""
    depots: dict[str, Depot] = {}
    depot_secrets: dict[str, list[InstanceSecret]] = {}
    for entry in cluster.minerva.depots:
        name = entry.parsed.depot
        depot_node = graph.get("depot", name)
        if depot_node is None:
            continue
        assert isinstance(depot_node.manifest, Depot)
        depots[name] = depot_node.manifest
        secrets = depot_secrets.setdefault(name, list(graph.depot_secrets(name)))
        for ref in entry.secrets:
            secret_node = graph.get("instance-secret", ref.name)
            if (
                secret_node is not None
                and isinstance(secret_node.manifest, InstanceSecret)
                and all(s.name != ref.name for s in secrets)
            ):
                secrets.append(secret_node.manifest)
    return depots, depot_secrets
