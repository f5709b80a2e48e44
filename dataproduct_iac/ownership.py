"""Which data product owns each node of a resolved graph, and the owner and product its resources
carry (no pulumi).

One rule, used by the components (tags and labels), the live drift checks (expected tags) and
``preview``'s grouping of changes by data product: a product owns itself, its bundle and every
member of that bundle, nested bundles included; a node several products reach belongs to the first
of them in graph order. Using a depot as an input or output does not make a product its owner.
"""

from __future__ import annotations

from .graph import Graph, NodeKey
from .manifests import DataProduct
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


def product_names(graph: Graph) -> dict[str, str]:
    """Manifest name → name of the data product that owns it (products own themselves): how
    ``preview`` attributes the resources of a component, named after its manifest, to a product."""
    out = {node.name: node.name for node in graph.of_kind("product")}
    for (_, name), product in products_by_member(graph).items():
        out.setdefault(name, product.name)
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
