"""``dataproduct scan``: register an S3 depot's datasets in the Glue Data Catalog.

Settings come, lowest precedence first, from ``DATAPRODUCT_SCAN_*`` environment variables (how the
``ScannerJob`` container is configured), from manifests (the depot, its read secret and the scanner
workflow) when PATHs are given, and from flags.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ._aws_options import add_aws_arguments
from ._manifest_inputs import add_manifest_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="scan an S3 depot and register its datasets in the Glue Data Catalog",
        description=(
            "List s3://<bucket>/<relativePath>/<collection>/<dataset>/[k=v/...]files, read each dataset's "
            "schema (Parquet footers via ranged GETs, CSV/JSON samples, Iceberg metadata) and create or "
            "update Glue tables. Exit 0 when every dataset was scanned, 2 when some failed, 1 on bad input. "
            "Settings also come from DATAPRODUCT_SCAN_* environment variables (see docs/scanner.md)."
        ),
    )
    add_manifest_arguments(parser, paths_required=False)
    parser.add_argument("--depot", help="the depot to scan (with PATH: a depot manifest's name)")
    parser.add_argument("--workflow", help="take filters and markDeletedTables from this scanner workflow")
    parser.add_argument(
        "--stack", help="stack whose naming applies to Glue databases and buckets (default dev)"
    )
    parser.add_argument("--cwd", default=".", help=argparse.SUPPRESS)
    parser.add_argument("--bucket", help="bucket to scan (instead of a depot manifest)")
    parser.add_argument("--prefix", help="key prefix (the depot's relativePath)")
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        metavar="COLLECTION[/DATASET]",
        help="scan only these collections or datasets (repeatable)",
    )
    parser.add_argument("--dry-run", action="store_true", default=None, help="compare, write nothing")
    parser.add_argument(
        "--full",
        action="store_true",
        default=None,
        help="read every dataset, also those whose objects are unchanged since the last scan",
    )
    parser.add_argument(
        "--mark-deleted",
        action="store_true",
        default=None,
        help="handle Glue tables whose data is gone (markDeletedTables)",
    )
    parser.add_argument(
        "--deleted-action",
        choices=("flag", "delete"),
        default=None,
        help="what markDeletedTables does: flag the table (default) or delete it",
    )
    parser.add_argument("--concurrency", type=int, default=None, help="worker threads (default 8)")
    parser.add_argument("--retry-mode", choices=("standard", "adaptive"), default=None)
    add_aws_arguments(parser)
    parser.add_argument("--endpoint-url", default=None, help="S3/Glue endpoint (default: boto3's chain)")
    parser.add_argument("--format", choices=("text", "json"), default=None, dest="output")
    parser.set_defaults(handler=run)


def _from_manifests(args: argparse.Namespace, stack: Any) -> tuple[dict[str, Any], Any]:
    """Settings from the depot manifest, its read secret and its scanner workflow; and a boto3 session."""
    import boto3

    from ..errors import UsageError
    from ..manifests import Acl
    from ..manifests.connections import S3Connection
    from ..scanner import DatabaseNaming
    from ..scanner.credentials import depot_credential_keys
    from ._manifest_inputs import load_graph
    from ._output import print_warnings

    if not args.depot:
        raise UsageError("--depot NAME is required with manifest PATHs")
    _, graph = load_graph(args)
    print_warnings(graph.warnings)
    node = graph.get("depot", args.depot)
    if node is None:
        names = ", ".join(n.name for n in graph.of_kind("depot")) or "none"
        raise UsageError(f"no depot {args.depot!r} in the manifests (depots: {names})")
    depot = node.manifest
    connection = depot.connection
    if not isinstance(connection, S3Connection):
        raise UsageError(f"depot {args.depot!r} is {depot.depot_type.value}; the scanner reads S3 depots")
    bucket = connection.bucket if depot.depot.external else stack.bucket_name(connection.bucket)
    values: dict[str, Any] = {
        "bucket": bucket,
        "prefix": connection.prefix,
        "depot": depot.name,
        "default_format": connection.format.value,
        "database_naming": DatabaseNaming.from_stack(stack, depot.name),
    }
    if connection.region:
        values["region"] = connection.region
    if connection.endpoint:
        values["endpoint_url"] = connection.endpoint
    jobs = []
    for wf in graph.of_kind("workflow"):
        if args.workflow and wf.name != args.workflow:
            continue
        for job in wf.manifest.scanner_jobs:
            if job.scanned_depot is not None and job.scanned_depot.depot == depot.name:
                jobs.append((wf.name, job))
    if args.workflow and not jobs:
        raise UsageError(f"workflow {args.workflow!r} has no scanner job for depot {depot.name!r}")
    if len(jobs) > 1:
        found = ", ".join(f"{w}/{j.name}" for w, j in jobs)
        raise UsageError(
            f"several scanner jobs scan depot {depot.name!r} ({found}); pick one with --workflow"
        )
    if jobs:
        config = jobs[0][1].scanner_config
        values["schema_filter"] = config.schema_filter_pattern
        values["table_filter"] = config.table_filter_pattern
        values["mark_deleted"] = config.mark_deleted_tables
        address = jobs[0][1].scanned_depot
        if address is not None and address.collection:
            values["only"] = [
                f"{address.collection}/{address.dataset}" if address.dataset else address.collection
            ]
    session = None
    for secret in graph.depot_secrets(depot.name):
        if secret.acl != Acl.READ:
            continue
        data = secret.instance_secret.data
        keys = depot_credential_keys(depot, secret)
        if keys:
            session = boto3.session.Session(
                aws_access_key_id=data[keys["AWS_ACCESS_KEY_ID"]].get_secret_value(),
                aws_secret_access_key=data[keys["AWS_SECRET_ACCESS_KEY"]].get_secret_value(),
                aws_session_token=(
                    data[keys["AWS_SESSION_TOKEN"]].get_secret_value()
                    if "AWS_SESSION_TOKEN" in keys
                    else None
                ),
            )
            break
    return values, session


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..scanner import DatabaseNaming, ScanSettings, scan_depot
    from ..scanner.env import settings_from_env
    from ..scanner.report import Progress
    from ..settings import COLLECTION
    from ._aws_options import FLAGS as AWS_FLAGS
    from ._aws_options import aws_flags
    from ._manifest_inputs import stack_settings
    from ._output import emit_json

    env_values = settings_from_env(os.environ)
    output = args.output or env_values.pop("output", "text")
    env_values.pop("output", None)
    if output not in ("text", "json"):
        raise UsageError("DATAPRODUCT_SCAN_OUTPUT must be text or json")
    template = env_values.pop("template", None)
    overrides = env_values.pop("overrides", {})
    values: dict[str, Any] = dict(env_values)
    if template or overrides:
        values["database_naming"] = DatabaseNaming(template or COLLECTION, overrides)
    session = None
    stack = None
    if args.paths:
        stack = stack_settings(args.stack or os.environ.get("DATAPRODUCT_STACK"), args.cwd)
        manifest_values, session = _from_manifests(args, stack)
        values.update(manifest_values)
    elif args.stack:
        stack = stack_settings(args.stack, args.cwd)
        depot = args.depot or values.get("depot")
        if not depot:
            raise UsageError("--stack without manifests needs --depot (the Glue names derive from it)")
        values["database_naming"] = DatabaseNaming.from_stack(stack, depot)
    if stack is not None:  # the stack's AWS request settings, unless the environment gives them
        client = stack.aws_client_settings()
        for name in AWS_FLAGS:
            values.setdefault(name, getattr(client, name))
    flags = {
        "depot": args.depot,
        "bucket": args.bucket,
        "prefix": args.prefix,
        "only": args.only,
        "dry_run": args.dry_run,
        "full": args.full,
        "mark_deleted": args.mark_deleted,
        "deleted_action": args.deleted_action,
        "concurrency": args.concurrency,
        "retry_mode": args.retry_mode,
        "endpoint_url": args.endpoint_url,
        **aws_flags(args),
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    if not values.get("bucket"):
        raise UsageError(
            "nothing to scan: give manifest PATHs with --depot, or --bucket (or DATAPRODUCT_SCAN_BUCKET)"
        )
    if values.get("deleted_action", "flag") not in ("flag", "delete"):
        raise UsageError("DATAPRODUCT_SCAN_DELETED_ACTION must be flag or delete")
    if values.get("retry_mode", "standard") not in ("standard", "adaptive", "legacy"):
        raise UsageError("the retry mode must be standard or adaptive")
    settings = ScanSettings(**values, session=session, progress=Progress() if output == "text" else None)
    report = scan_depot(settings)
    if output == "json":
        emit_json(report.as_dict())
    else:
        report.render_text(sys.stdout)
        if report.input_error:
            print(f"dataproduct scan: error: {report.input_error}", file=sys.stderr)
    return report.exit_code
