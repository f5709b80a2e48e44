"""``dataproduct plan``: the stack program run in-process on the Pulumi mock engine (an offline preview)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._manifest_inputs import add_cli_values, add_manifest_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="offline preview: the resources `pulumi up` would create, without the Pulumi CLI or credentials",
        description=(
            "Run the stack program in-process on the Pulumi SDK's mock engine and print the resource tree "
            "(type, logical name, physical name, key properties) with a summary, like a first `pulumi "
            "preview`. Without PATH, the manifests, values, secrets and overrides come from "
            "stacks/Pulumi.<stack>.yaml; with PATH, those manifests are planned instead and only the "
            "stack's settings (naming, environment, protection, ...) apply. Secure stack values are "
            "decrypted when PULUMI_CONFIG_PASSPHRASE is set, otherwise planned with a marked placeholder. "
            "Exit 0 on success, 1 for bad manifests or configuration (before anything is registered)."
        ),
    )
    add_manifest_arguments(parser, paths_required=False)
    parser.add_argument("--stack", "-s", default="dev", help="stack name (default: dev)")
    parser.add_argument(
        "--json",
        dest="json_file",
        metavar="FILE",
        help="also write the plan as JSON to FILE ('-' for standard output, replacing the tree)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from .. import program
    from ..errors import UsageError
    from ..plan import run_program
    from ..plan_text import render_text
    from ..stack_config import stack_inputs

    stack_file, inputs = stack_inputs(args.stack, paths=args.paths)
    add_cli_values(inputs, args)
    json_path = Path(args.json_file) if args.json_file and args.json_file != "-" else None
    if json_path is not None and not json_path.parent.is_dir():
        raise UsageError(f"--json {args.json_file}: the directory {json_path.parent} does not exist")
    prepared = program.prepare(inputs)

    plan = run_program(
        lambda: program.deploy(prepared), project=stack_file.project, stack=args.stack, preview=True
    )
    duplicates = plan.duplicate_urns()
    if duplicates:
        raise UsageError("the program registers the same URN twice: " + ", ".join(duplicates))
    for note in [*stack_file.notes, *plan.warnings]:
        print(f"warning: {note}", file=sys.stderr)
    for warning in prepared.graph.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json_file == "-":
        sys.stdout.write(plan.to_json())
        return 0
    if json_path is not None:
        try:
            json_path.write_text(plan.to_json(), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--json {args.json_file}: cannot write: {exc.strerror}") from None
    sys.stdout.write(render_text(plan))
    return 0
