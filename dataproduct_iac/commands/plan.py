"""``dataproduct plan``: the stack program run in-process on the Pulumi mock engine (an offline preview)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ._inputs import add_manifest_arguments, value_sources


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
    import pulumi

    from .. import program
    from ..cli import UsageError
    from ..plan import find_project_root, read_stack_file, render_text, run_program

    root = find_project_root(Path.cwd()) or Path.cwd()
    stack_file = read_stack_file(root, args.stack)
    cli = value_sources(args)
    if args.paths:
        config = {k: v for k, v in stack_file.config.items() if k not in program.PROGRAM_KEYS}
        config["manifests"] = [os.path.abspath(p) for p in args.paths]
    elif not stack_file.exists:
        raise UsageError(
            f"no PATH given and no stack file {stack_file.path} to read the manifests from; "
            "give manifest paths or an existing --stack"
        )
    else:
        config = dict(stack_file.config)
    inputs = program.inputs_from_config(config, project=stack_file.project, stack=args.stack, root=root)
    inputs.sources.set_values = cli.set_values
    inputs.sources.files = [*cli.files, *inputs.sources.files]
    inputs.exclude = [*inputs.exclude, *args.values]
    prepared = program.prepare(inputs)

    try:
        plan = run_program(
            lambda: program.deploy(prepared), project=stack_file.project, stack=args.stack, preview=True
        )
    except (ValueError, pulumi.RunError) as exc:
        raise UsageError(str(exc)) from None
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
    if args.json_file:
        Path(args.json_file).write_text(plan.to_json(), encoding="utf-8")
    sys.stdout.write(render_text(plan))
    return 0
