"""The ``dataproduct`` command line. It only wires: parsing, loading, and printing.

Each subcommand lives in ``dataproduct_iac.commands.<name>`` and exposes ``register(subparsers)``;
heavy imports (pulumi, boto3, trino) happen inside the command's run function, so that
``dataproduct validate`` starts quickly.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from .diagnostics import ManifestError
from .errors import DataproductError
from .version import __version__

EPILOG = """examples:
  dataproduct validate examples/traffic-source-analysis/manifests --values examples/traffic-source-analysis/values.yaml
  dataproduct graph examples/traffic-source-analysis/manifests --values values.yaml --format mermaid
  dataproduct schema > dataproduct.schema.json

exit codes: 0 success, 1 bad input or error, 2 changes/drift/partial results (where a command says so)
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 1 like any other bad input (2 means "changes" here), and an
    unknown option is named even when a required argument is missing too."""

    _arguments: list[str] | None = None

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._arguments = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        if message.startswith("the following arguments are required"):
            unknown = [
                a
                for a in self._arguments or []
                if a.startswith("-") and a != "-" and a.split("=", 1)[0] not in self._option_string_actions
            ]
            if unknown:
                message = f"unrecognized arguments: {' '.join(unknown)}"
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dataproduct",
        description="Data products as code: DataOS-style manifests → AWS and Kubernetes with Pulumi.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 1
    try:
        code: int = args.handler(args)
        return code
    except ManifestError as exc:
        print(exc.summary(), file=sys.stderr)
        return 1
    except DataproductError as exc:  # what the user can fix; any other exception is a bug: let it show
        print(f"dataproduct {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
