"""``dataproduct preview --stack S``: a data-product-aware ``pulumi preview`` (needs the Pulumi CLI)."""

from __future__ import annotations

import argparse
import sys

from ._manifest_inputs import add_manifest_arguments

FAIL_ON = ("none", "dangerous")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by ``preview`` and ``drift --stack``."""
    parser.add_argument("--stack", "-s", metavar="STACK", help="the Pulumi stack (e.g. dev, prod, local)")
    parser.add_argument(
        "--cwd",
        default=".",
        metavar="DIR",
        help="the Pulumi project directory, or a directory below it (default: the current one)",
    )
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="none",
        help="'dangerous': exit 1 when a bucket, secret, Glue database/table or protected resource "
        "would be replaced or deleted (default: none)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "preview",
        help="pulumi preview grouped by data product, with dangerous changes flagged (needs the Pulumi CLI)",
        description=(
            "Run 'pulumi preview' on a stack through the Automation API and group the changes by data "
            "product and component. Give the manifest PATHs (optional) to attribute bundles and depots to "
            "their data products. Exit 0 no changes, 2 changes, 1 error (or dangerous changes with "
            "--fail-on dangerous). Without the Pulumi CLI, use the offline 'dataproduct plan'."
        ),
    )
    add_manifest_arguments(parser, paths_required=False)
    add_engine_arguments(parser)
    parser.set_defaults(handler=run)


def owners(args: argparse.Namespace) -> dict[str, str]:
    """Component name → data product, from the manifests given on the command line (if any)."""
    if not args.paths:
        return {}
    from ..ownership import product_names
    from ._manifest_inputs import load_graph

    _, graph = load_graph(args)
    return product_names(graph)


def run_engine_command(args: argparse.Namespace, *, refresh: bool) -> int:
    from ..engine.automation import pulumi_cli, run_engine
    from ..engine.changes import group_events
    from ..engine.report import render_changes
    from ..errors import UsageError

    if not args.stack:
        raise UsageError("--stack is required (e.g. --stack dev)")
    pulumi_cli()  # before reading the manifests: without the CLI, say so first
    ownership = owners(args)
    result = run_engine(args.stack, refresh=refresh, work_dir=args.cwd, create=not refresh)
    changes = group_events(
        result.events, mode="drift" if refresh else "preview", stack=args.stack, owners=ownership
    )
    sys.stdout.write(render_changes(changes, args.format))
    if changes.errors:
        return 1
    if args.fail_on == "dangerous" and changes.dangerous:
        print(
            f"dataproduct {args.command}: error: {len(changes.dangerous)} dangerous change(s) "
            "(replace/delete of a bucket, secret, Glue database/table or protected resource)",
            file=sys.stderr,
        )
        return 1
    return 2 if changes.changes else 0


def run(args: argparse.Namespace) -> int:
    return run_engine_command(args, refresh=False)
