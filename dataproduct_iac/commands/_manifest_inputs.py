"""What the commands that read manifests take from their command line: PATH..., --values, --set, the
stack; and the graph loaded from them. (A ``_`` module: the CLI registers every other module of
this package as a command.)"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic, ManifestError
from ..placeholders import ValueSources
from ..settings import StackSettings

if TYPE_CHECKING:
    from ..stack_config import ProgramInputs


def add_manifest_arguments(parser: argparse.ArgumentParser, *, paths_required: bool = True) -> None:
    parser.add_argument(
        "paths",
        nargs="+" if paths_required else "*",
        metavar="PATH",
        help="manifest files or directories (searched recursively for *.yaml and *.yml); globs allowed",
    )
    parser.add_argument(
        "--values",
        "-f",
        action="append",
        default=[],
        metavar="FILE",
        help="YAML file of placeholder values (repeatable; later files win)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        dest="set_values",
        help="a placeholder value; wins over --values and the environment (repeatable)",
    )


def value_sources(args: argparse.Namespace) -> ValueSources:
    from ..placeholders import parse_set_values, read_values_file

    errors: list[Diagnostic] = []
    files: list[dict[str, Any]] = []
    for path in args.values:
        try:
            files.append(read_values_file(path))
        except ManifestError as exc:
            errors.extend(exc.diagnostics)
    try:
        set_values = parse_set_values(args.set_values)
    except ManifestError as exc:
        errors.extend(exc.diagnostics)
        set_values = {}
    if errors:
        raise ManifestError(errors)
    return ValueSources(set_values=set_values, files=list(reversed(files)))


def add_cli_values(inputs: ProgramInputs, args: argparse.Namespace) -> None:
    """Put ``--values``/``--set`` in front of a stack's own values (they win), and keep the values
    files out of the manifests."""
    cli = value_sources(args)
    inputs.sources.set_values = cli.set_values
    inputs.sources.files = [*cli.files, *inputs.sources.files]
    inputs.exclude = [*inputs.exclude, *args.values]


def stack_settings(stack: str | None, cwd: str = ".") -> StackSettings:
    """A stack's settings as its program sees them, read offline; the defaults (``dev``) without one."""
    from ..stack_config import stack_settings as read_settings

    if not stack:
        print("note: no --stack given; physical names assume stack 'dev'", file=sys.stderr)
        return StackSettings()
    return read_settings(stack, start=cwd)


def load_graph(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Load, validate and resolve the manifests named on the command line."""
    from ..graph import resolve
    from ..loader import load

    result = load(args.paths, value_sources(args), exclude=args.values)
    return result, resolve(result)
