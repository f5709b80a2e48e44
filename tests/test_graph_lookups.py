"""A resolved graph's lookups (dependencies, nodes by kind, bundle members, a depot's secrets) answer
for the edges, order and nodes the graph holds, whatever a caller tries to change afterwards.

They are built once, from the graph's own relations. Before, they were cached under a stamp of the
lists' id() and lengths, so an edit that kept both (an edge replaced in place, a node swapped) was
answered from the old lookups."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from dataproduct_iac.graph import Edge, Graph, resolve
from dataproduct_iac.loader import load
from dataproduct_iac.placeholders import ValueSources


def _lookups_agree_with_relations(graph: Graph) -> None:
    for key in graph.order:
        assert set(graph.dependencies(key)) == {e.target for e in graph.edges if e.source == key}
    for kind in {key[0] for key in graph.nodes}:
        assert [n.key for n in graph.of_kind(kind)] == [k for k in graph.order if k[0] == kind]
    for bundle in graph.of_kind("bundle"):
        expected = [k for k in graph.order if graph.nodes[k].source.bundle == bundle.name and k != bundle.key]
        assert graph.bundle_members(bundle.name) == expected
    for depot in graph.of_kind("depot"):
        secrets = {
            e.target[1] for e in graph.edges if e.source == depot.key and e.target[0] == "instance-secret"
        }
        assert {s.name for s in graph.depot_secrets(depot.name)} == secrets


def _edits(graph: Graph) -> list[Callable[[], object]]:
    """The :data:`EDITS`: each keeps the lengths of edges, order and nodes (all the old stamp saw)."""
    depot = next(n for n in graph.nodes.values() if n.kind == "depot")
    first = graph.edges[0]
    moved = Edge(first.source, depot.key if first.target != depot.key else graph.order[0], "edited")
    member = next(n for n in graph.nodes.values() if n.source.bundle is not None)
    unbundled = dataclasses.replace(member, source=dataclasses.replace(member.source, bundle=None))
    return [
        lambda: graph.edges.__setitem__(0, moved),  # type: ignore[attr-defined]
        lambda: graph.nodes.__setitem__(member.key, unbundled),  # type: ignore[attr-defined]
        lambda: setattr(graph, "edges", [moved, *graph.edges[1:]]),
        lambda: graph.order.reverse(),  # type: ignore[attr-defined]
    ]


EDITS = (
    "an edge replaced in place",
    "a node swapped",
    "edges put back as a list",
    "the order reversed in place",
)


@pytest.mark.parametrize("edit_index", range(len(EDITS)), ids=EDITS)
def test_lookups_never_answer_for_relations_the_graph_no_longer_holds(
    traffic_example: tuple[Path, ValueSources], edit_index: int
) -> None:
    path, sources = traffic_example
    graph = resolve(load([path], sources))
    _lookups_agree_with_relations(graph)  # the lookups exist now
    edit = _edits(graph)[edit_index]
    with contextlib.suppress(TypeError, AttributeError, dataclasses.FrozenInstanceError):
        edit()  # refused (the graph unchanged), or else the lookups must follow it
    _lookups_agree_with_relations(graph)


def test_a_graph_keeps_its_own_copies(traffic_example: tuple[Path, ValueSources]) -> None:
    path, sources = traffic_example
    resolved = resolve(load([path], sources))
    nodes, edges, order = dict(resolved.nodes), list(resolved.edges), list(resolved.order)
    graph = Graph(nodes, tuple(edges), tuple(order))
    edges.clear()
    order.clear()
    nodes.clear()
    assert graph.edges == resolved.edges and graph.order == resolved.order
    _lookups_agree_with_relations(graph)
