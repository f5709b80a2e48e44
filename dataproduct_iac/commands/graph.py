"""``dataproduct graph``: the resolved build order and the dependency edges."""

from __future__ import annotations

import argparse

from ..graph import Graph, node_label
from ._manifest_inputs import add_manifest_arguments, load_graph
from ._output import emit_json, print_warnings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "graph",
        help="print the dependency graph and build order",
        description="Resolve references and print the build order (dependencies first) and the edges.",
    )
    add_manifest_arguments(parser)
    parser.add_argument("--format", choices=("text", "mermaid", "dot", "json"), default="text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _, graph = load_graph(args)
    print_warnings(graph.warnings)
    render = {"text": render_text, "mermaid": render_mermaid, "dot": render_dot}.get(args.format)
    if render is None:
        emit_json(as_json(graph))
    else:
        print(render(graph), end="")
    return 0


def as_json(graph: Graph) -> dict[str, object]:
    return {
        "order": [{"kind": k[0], "name": k[1], "implicit": graph.nodes[k].implicit} for k in graph.order],
        "edges": [
            {"from": node_label(e.source), "to": node_label(e.target), "reason": e.reason}
            for e in graph.edges
        ],
        "external": {node_label(k): v for k, v in sorted(graph.external_refs.items())},
    }


def render_text(graph: Graph) -> str:
    lines = ["Build order (dependencies first):"]
    width = len(str(len(graph.order)))
    for index, key in enumerate(graph.order, start=1):
        deps = graph.dependencies(key)
        implicit = " (implicit, from inline connectionSecret)" if graph.nodes[key].implicit else ""
        suffix = f"  ← needs {', '.join(node_label(d) for d in deps)}" if deps else ""
        lines.append(f"  {index:>{width}}. {node_label(key)}{implicit}{suffix}")
    for key, refs in sorted(graph.external_refs.items()):
        lines.append(f"  external references of {node_label(key)}: {', '.join(refs)}")
    return "\n".join(lines) + "\n"


def _node_id(key: tuple[str, str]) -> str:
    return f"{key[0]}__{key[1]}".replace("-", "_")


def render_mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    for key in graph.order:
        lines.append(f'  {_node_id(key)}["{key[0]}<br/>{key[1]}"]')
    for edge in graph.edges:
        lines.append(f"  {_node_id(edge.source)} -->|{edge.reason}| {_node_id(edge.target)}")
    return "\n".join(lines) + "\n"


def render_dot(graph: Graph) -> str:
    lines = ["digraph dataproduct {", "  rankdir=LR;", "  node [shape=box];"]
    for key in graph.order:
        lines.append(f'  "{node_label(key)}";')
    for edge in graph.edges:
        lines.append(f'  "{node_label(edge.source)}" -> "{node_label(edge.target)}" [label="{edge.reason}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
