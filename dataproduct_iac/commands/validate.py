"""``dataproduct validate``: load, validate and resolve manifests; report every error."""

from __future__ import annotations

import argparse
from collections import Counter

from ..diagnostics import Diagnostic, ManifestError
from ._manifest_inputs import add_manifest_arguments, load_graph
from ._output import emit_json, print_warnings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check manifests: schema, placeholders, references, cycles",
        description=(
            "Validate manifests without touching any cloud. Exit 0 when valid, 1 with every error when not."
        ),
    )
    add_manifest_arguments(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="github: workflow commands, so each error annotates its file and line in a pull request",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        result, graph = load_graph(args)
    except ManifestError as exc:
        if args.format == "json":
            emit_json({"valid": False, "errors": [d.as_dict() for d in exc.diagnostics], "manifests": []})
            return 1
        if args.format == "github":
            for diagnostic in exc.diagnostics:
                print(github_annotation(diagnostic))
        raise
    if args.format == "json":
        emit_json(
            {
                "valid": True,
                "errors": [],
                "warnings": [w.as_dict() for w in graph.warnings],
                "manifests": [
                    {
                        "kind": key[0],
                        "name": key[1],
                        "file": graph.nodes[key].source.file,
                        "line": graph.nodes[key].source.line,
                        "implicit": graph.nodes[key].implicit,
                    }
                    for key in graph.order
                ],
            }
        )
        return 0
    print_warnings(graph.warnings)
    if args.format == "github":
        for warning in graph.warnings:
            print(github_annotation(warning))
    counts = Counter(key[0] for key in graph.order)
    detail = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    print(f"ok: {len(graph.order)} manifests valid in {len(result.files)} files ({detail})")
    return 0


def github_annotation(diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command (``::error file=...,line=...,title=...::message``)."""
    level = "warning" if diagnostic.severity == "warning" else "error"
    properties = [f"file={_escape_property(diagnostic.file)}"]
    if diagnostic.line:
        properties.append(f"line={diagnostic.line}")
    properties.append(f"title={_escape_property(diagnostic.field)}")
    return f"::{level} {','.join(properties)}::{_escape_data(diagnostic.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
