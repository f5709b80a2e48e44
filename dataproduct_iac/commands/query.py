"""``dataproduct query``: run SQL on a Minerva (Trino) cluster, the seed's Workbench step.

The server comes from ``--server``, else ``DATAPRODUCT_TRINO_SERVER``, else the stack output
``clusters.<NAME>.coordinatorUrl`` (reading stack outputs needs the pulumi CLI). Credentials
never come from the command line itself: ``--password`` reads ``DATAPRODUCT_TRINO_PASSWORD`` or
prompts, ``--jwt`` reads ``DATAPRODUCT_TRINO_JWT``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

PASSWORD_ENV = "DATAPRODUCT_TRINO_PASSWORD"
JWT_ENV = "DATAPRODUCT_TRINO_JWT"
SERVER_ENV = "DATAPRODUCT_TRINO_SERVER"
USER_ENV = "DATAPRODUCT_TRINO_USER"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "query",
        help="run SQL on a Trino (Minerva) cluster",
        description=(
            "Run one SQL statement on a cluster and print the rows. Exit 0 on success, 1 when the "
            "statement or the connection fails. Inside Kubernetes the coordinator is "
            "http://<cluster>.<namespace>.svc:8080; from a workstation use "
            "'kubectl port-forward svc/<cluster> 8080:8080' and --server http://127.0.0.1:8080."
        ),
    )
    parser.add_argument("sql", metavar="SQL", help='the statement, e.g. "SELECT * FROM system.runtime.nodes"')
    parser.add_argument("--cluster", help="cluster name (looks up its coordinator URL in the stack outputs)")
    parser.add_argument("--stack", default="dev", help="stack whose outputs name the server (default dev)")
    parser.add_argument(
        "--server", help=f"coordinator URL, e.g. https://trino.example.com (env {SERVER_ENV})"
    )
    parser.add_argument("--user", help=f"Trino user (env {USER_ENV}; default the login name)")
    parser.add_argument(
        "--password",
        action="store_true",
        help=f"basic authentication over https; the password comes from {PASSWORD_ENV} or a prompt",
    )
    parser.add_argument(
        "--jwt", action="store_true", help=f"JWT authentication over https; token from {JWT_ENV}"
    )
    parser.add_argument("--catalog", help="default catalog for unqualified names")
    parser.add_argument("--schema", help="default schema for unqualified names")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    parser.add_argument("--ca-cert", metavar="FILE", help="CA bundle to verify the server's certificate")
    parser.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    parser.add_argument("--timeout", type=float, default=60.0, help="HTTP request timeout in seconds")
    parser.set_defaults(handler=run)


def _server_from_stack(cluster: str, stack: str) -> str:
    from ..errors import UsageError

    hint = (
        f"pass --server or set {SERVER_ENV} (for example --server http://127.0.0.1:8080 after "
        f"'kubectl port-forward svc/{cluster} 8080:8080')"
    )
    try:
        from pulumi import automation as auto

        outputs: dict[str, Any] = {
            k: v.value for k, v in auto.select_stack(stack_name=stack, work_dir=os.getcwd()).outputs().items()
        }
    except FileNotFoundError:
        raise UsageError(
            f"the pulumi CLI is not installed, so stack outputs cannot be read; {hint}"
        ) from None
    except Exception as exc:  # automation raises CommandError and friends; show the kind only
        raise UsageError(
            f"cannot read the outputs of stack {stack!r} ({type(exc).__name__}); {hint}"
        ) from None
    entry = (outputs.get("clusters") or {}).get(cluster) or {}
    url = entry.get("coordinatorUrl") if isinstance(entry, dict) else None
    if not url:
        raise UsageError(f"stack {stack!r} has no output clusters.{cluster}.coordinatorUrl; {hint}")
    return str(url)


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..trino.client import FORMATTERS, TrinoConnection, execute

    server = args.server or os.environ.get(SERVER_ENV)
    if not server:
        if not args.cluster:
            raise UsageError("give --cluster NAME (to read the stack outputs) or --server URL")
        server = _server_from_stack(args.cluster, args.stack)
    if args.password and args.jwt:
        raise UsageError("give either --password or --jwt, not both")
    if (args.password or args.jwt) and not server.startswith("https://"):
        raise UsageError("--password and --jwt need an https:// server (Trino refuses credentials over http)")
    password = jwt = None
    if args.password:
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            if not sys.stdin.isatty():
                raise UsageError(f"--password: set {PASSWORD_ENV} (no terminal to prompt on)")
            password = getpass.getpass("Trino password: ")
    if args.jwt:
        jwt = os.environ.get(JWT_ENV)
        if not jwt:
            raise UsageError(f"--jwt: set {JWT_ENV} to the token")
    if args.insecure and args.ca_cert:
        raise UsageError("give either --insecure or --ca-cert, not both")
    verify: bool | str = False if args.insecure else (args.ca_cert or True)
    user = args.user or os.environ.get(USER_ENV) or getpass.getuser()
    connection = TrinoConnection(
        server=server,
        user=user,
        password=password,
        jwt=jwt,
        catalog=args.catalog,
        schema=args.schema,
        verify=verify,
        timeout=args.timeout,
    )
    result = execute(connection, args.sql)
    sys.stdout.write(FORMATTERS[args.format](result))
    return 0
