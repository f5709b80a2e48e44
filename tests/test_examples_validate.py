from __future__ import annotations

from pathlib import Path

import pytest

from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.placeholders import ValueSources, read_values_file

EXAMPLES = sorted(
    p for p in (Path(__file__).resolve().parent.parent / "examples").iterdir() if (p / "manifests").is_dir()
)


def test_traffic_example_validates_and_orders(traffic_example):
    path, sources = traffic_example
    graph = resolve(load([path], sources))
    order = graph.order
    assert order.index(("instance-secret", "s3depot-r")) < order.index(("depot", "s3depot"))
    assert order.index(("depot", "s3depot")) < order.index(("workflow", "scan-depot"))
    assert order[-1] == ("product", "traffic-source-analysis")
    assert graph.nodes[("instance-secret", "redshift-r")].implicit


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_every_example_validates(example: Path) -> None:
    values = example / "values.yaml"
    sources = ValueSources(files=[read_values_file(values)] if values.exists() else [], environment={})
    graph = resolve(load([example / "manifests"], sources))
    assert graph.order and len(graph.order) == len(graph.nodes)
    assert not [w for w in graph.warnings if w.severity == "error"]
    products = graph.of_kind("product")
    assert products, f"{example.name} has no data product"
    for product in products:
        assert graph.dependencies(product.key), f"{product.name} references nothing"
