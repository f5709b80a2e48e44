from __future__ import annotations

from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load


def test_traffic_example_validates_and_orders(traffic_example):
    path, sources = traffic_example
    graph = resolve(load([path], sources))
    order = graph.order
    assert order.index(("instance-secret", "s3depot-r")) < order.index(("depot", "s3depot"))
    assert order.index(("depot", "s3depot")) < order.index(("workflow", "scan-depot"))
    assert order[-1] == ("product", "traffic-source-analysis")
    assert graph.nodes[("instance-secret", "redshift-r")].implicit
