"""``dataproduct drift``: drift from a refresh preview (``--stack``) or live checks (``--live``)."""

from __future__ import annotations

import argparse
import sys

from ._aws_options import add_aws_arguments
from ._manifest_inputs import add_manifest_arguments
from .preview import add_engine_arguments, run_engine_command


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "drift",
        help="what changed outside the code: refresh preview of a stack, or --live checks against AWS/Trino",
        description=(
            "With --stack S: 'pulumi refresh --preview-only' through the Automation API, grouped by data "
            "product (needs the Pulumi CLI). With --live [PATH...]: compare the manifests (default: the "
            "stack's configured manifests and values) and the stack's settings with AWS "
            "(Secrets Manager, S3, Glue) and Trino directly, without Pulumi state; AWS access through the "
            "standard boto3 chain, AWS_ENDPOINT_URL honoured. Exit 0 in sync, 2 drift found, 1 error "
            "(live: also when a check could not be completed)."
        ),
    )
    add_manifest_arguments(parser, paths_required=False)
    add_engine_arguments(parser)
    parser.add_argument("--live", action="store_true", help="check the cloud directly (no Pulumi state)")
    parser.add_argument(
        "--trino-url",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="live: the Trino coordinator of cluster NAME (repeat per cluster); a bare URL when the "
        "manifests define exactly one cluster",
    )
    parser.add_argument("--region", metavar="REGION", help="live: AWS region (default: stack aws:region)")
    parser.add_argument("--workers", type=int, default=8, metavar="N", help="live: concurrent checks (8)")
    parser.add_argument("--all", action="store_true", help="live: list in-sync checks too")
    add_aws_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.live:
        return run_engine_command(args, refresh=True)
    return run_live(args)


def run_live(args: argparse.Namespace) -> int:
    from .. import program
    from ..drift.live import AwsClients, desired_state, exit_code, run_checks, trino_urls
    from ..drift.report import render_findings
    from ..errors import UsageError
    from ..stack_config import PLACEHOLDER_SECRET, stack_inputs
    from ._aws_options import with_flags
    from ._manifest_inputs import add_cli_values
    from ._output import print_warnings

    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.fail_on != "none":
        raise UsageError("--fail-on applies to preview and refresh changes, not to --live")
    stack = args.stack
    if not stack:
        stack = "dev"
        print("note: no --stack given; physical names assume stack 'dev'", file=sys.stderr)
    # the same inputs as the stack program: stack file settings (+ manifests and values without PATH)
    stack_file, inputs = stack_inputs(stack, start=args.cwd, paths=args.paths)
    add_cli_values(inputs, args)
    prepared = program.prepare(inputs)
    for note in stack_file.notes:
        print(f"note: {note}", file=sys.stderr)
    print_warnings(prepared.graph.warnings)

    settings = prepared.settings
    desired = desired_state(prepared.graph, settings, unavailable_value=PLACEHOLDER_SECRET)
    urls = trino_urls(args.trino_url, [c.name for c in desired.clusters])
    unchecked = [c.name for c in desired.clusters if c.name not in urls]
    if unchecked:
        print(
            f"note: Trino clusters not checked: {', '.join(unchecked)} (give --trino-url NAME=URL)",
            file=sys.stderr,
        )
    aws = AwsClients.create(args.region or settings.region, with_flags(settings.aws_client_settings(), args))
    findings = run_checks(desired, aws, settings=settings, trino_urls=urls, max_workers=args.workers)
    sys.stdout.write(render_findings(findings, args.format, stack=settings.stack, include_in_sync=args.all))
    return exit_code(findings)
