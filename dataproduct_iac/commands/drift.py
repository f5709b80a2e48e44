"""``dataproduct drift``: drift from a refresh preview (``--stack``) or live checks (``--live``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ._inputs import add_manifest_arguments
from .preview import add_engine_arguments, run_engine_command


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "drift",
        help="what changed outside the code: refresh preview of a stack, or --live checks against AWS/Trino",
        description=(
            "With --stack S: 'pulumi refresh --preview-only' through the Automation API, grouped by data "
            "product (needs the Pulumi CLI). With --live PATH...: compare the manifests with AWS "
            "(Secrets Manager, S3, Glue) and Trino directly, without Pulumi state; AWS access through the "
            "standard boto3 chain, AWS_ENDPOINT_URL honoured. Exit 0 in sync, 2 drift found, 1 error "
            "(live: also when a check could not be completed)."
        ),
    )
    add_manifest_arguments(parser, paths_required=False)
    add_engine_arguments(parser)
    parser.add_argument("--live", action="store_true", help="check the cloud directly (no Pulumi state)")
    parser.add_argument("--trino-url", metavar="URL", help="live: Trino coordinator URL for cluster checks")
    parser.add_argument("--region", metavar="REGION", help="live: AWS region (default: stack aws:region)")
    parser.add_argument("--workers", type=int, default=8, metavar="N", help="live: concurrent checks (8)")
    parser.add_argument("--all", action="store_true", help="live: list in-sync checks too")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.live:
        return run_engine_command(args, refresh=True)
    return run_live(args)


def run_live(args: argparse.Namespace) -> int:
    from ..cli import UsageError
    from ..drift.live import AwsClients, desired_state, exit_code, run_checks
    from ..drift.report import render_findings
    from ._inputs import load_graph, print_warnings

    if not args.paths:
        raise UsageError("--live needs the manifest PATHs to compare with")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.fail_on != "none":
        raise UsageError("--fail-on applies to preview and refresh changes, not to --live")
    _, graph = load_graph(args)
    print_warnings(graph.warnings)
    settings = stack_settings(args.stack, args.cwd)
    desired = desired_state(graph, settings)
    aws = AwsClients.create(args.region or settings.region)
    if desired.clusters and not args.trino_url:
        print("note: Trino clusters not checked (give --trino-url)", file=sys.stderr)
    findings = run_checks(desired, aws, settings=settings, trino_url=args.trino_url, max_workers=args.workers)
    sys.stdout.write(render_findings(findings, args.format, stack=settings.stack, include_in_sync=args.all))
    return exit_code(findings)


def stack_settings(stack: str | None, cwd: str) -> Any:
    """Stack settings from ``<stackConfigDir>/Pulumi.<stack>.yaml`` (plain values; ``secure:`` skipped).

    Read offline, without the CLI. Without ``--stack`` the defaults apply (stack ``dev``).
    """
    import yaml

    from ..settings import StackSettings

    if not stack:
        print("note: no --stack given; physical names assume stack 'dev'", file=sys.stderr)
        return StackSettings()
    project, config_dir = "dataproduct", None
    here = Path(cwd).resolve()
    for candidate in (here, *here.parents):
        project_file = candidate / "Pulumi.yaml"
        if project_file.is_file():
            data = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
            project = str(data.get("name") or project)
            config_dir = candidate / str(data.get("stackConfigDir") or ".")
            break
    config: dict[str, Any] = {}
    region: str | None = None
    stack_file = config_dir / f"Pulumi.{stack}.yaml" if config_dir else None
    if stack_file and stack_file.is_file():
        raw = (yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}).get("config") or {}
        for key, value in raw.items():
            if isinstance(value, dict) and "secure" in value:
                continue
            namespace, _, name = str(key).partition(":")
            if namespace == "dataproduct" and name:
                config[name] = value
            elif key == "aws:region":
                region = str(value)
    try:
        settings = StackSettings.from_config(config, project=project, stack=stack)
    except (TypeError, ValueError) as exc:
        from ..cli import UsageError

        raise UsageError(f"stack {stack}: {exc}") from None
    if settings.region is None and region:
        settings.region = region
    return settings
