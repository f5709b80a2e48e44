"""``dataproduct schema``: JSON Schema of the manifests, for editors (VS Code YAML extension)."""

from __future__ import annotations

import argparse

from ..manifests import MODELS, json_schemas
from ._output import emit_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the manifests",
        description=(
            "Print JSON Schema (draft 2020-12) for one kind, or for any manifest (default). Point an "
            "editor at it, e.g. VS Code's YAML extension via the 'yaml.schemas' setting."
        ),
        epilog=(
            "examples:\n"
            "  dataproduct schema > dataproduct.schema.json\n"
            "  dataproduct schema --kind depot\n"
            "  dataproduct schema --no-placeholders   # for manifests with every placeholder filled"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kind", choices=sorted(MODELS), help="only this kind")
    parser.add_argument(
        "--no-placeholders",
        dest="placeholders",
        action="store_false",
        help="do not accept ${{x}}/${x}/$X placeholders in typed fields",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    emit_json(json_schemas(args.kind, placeholders=args.placeholders))
    return 0
