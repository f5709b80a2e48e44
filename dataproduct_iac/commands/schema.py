"""``dataproduct schema``: JSON Schema of the manifests, for editors (VS Code YAML extension)."""

from __future__ import annotations

import argparse

from ..manifests import MODELS, json_schemas
from ._inputs import emit_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the manifests",
        description="Print JSON Schema for one kind, or for any manifest (default).",
    )
    parser.add_argument("--kind", choices=sorted(MODELS), help="only this kind")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    emit_json(json_schemas(args.kind))
    return 0
