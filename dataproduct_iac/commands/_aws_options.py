"""Flags for the timeouts and retries of AWS requests, shared by ``scan`` and ``drift --live``."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..aws_clients import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRY_BUDGET,
    ClientSettings,
)

FLAGS = ("connect_timeout", "read_timeout", "max_attempts", "retry_budget")
"""The :class:`~dataproduct_iac.aws_clients.ClientSettings` fields the flags set (same names)."""


def add_aws_arguments(parser: argparse.ArgumentParser, *, stack_keys: bool = True) -> None:
    where = " (default: the stack's dataproduct:aws* setting, else %s)" if stack_keys else " (default %s)"
    group = parser.add_argument_group("AWS requests")
    group.add_argument(
        "--connect-timeout",
        type=float,
        metavar="SECONDS",
        help="seconds to wait for a connection" + where % DEFAULT_CONNECT_TIMEOUT,
    )
    group.add_argument(
        "--read-timeout",
        type=float,
        metavar="SECONDS",
        help="seconds to wait for a reply" + where % DEFAULT_READ_TIMEOUT,
    )
    group.add_argument(
        "--max-attempts",
        type=int,
        metavar="N",
        help="attempts per request, the first one included" + where % DEFAULT_MAX_ATTEMPTS,
    )
    group.add_argument(
        "--retry-budget",
        type=float,
        metavar="SECONDS",
        help="seconds one request may take with its retries; no retry starts after this"
        + where % DEFAULT_RETRY_BUDGET,
    )


def aws_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The AWS request settings given as flags (only those given)."""
    return {name: getattr(args, name) for name in FLAGS if getattr(args, name, None) is not None}


def with_flags(base: ClientSettings, args: argparse.Namespace) -> ClientSettings:
    """``base`` with the flags given; a value that cannot be used is a usage error naming the flag."""
    from ..aws_clients import ClientSettingError
    from ..errors import UsageError

    try:
        return dataclasses.replace(base, **aws_flags(args))
    except ClientSettingError as exc:
        raise UsageError(f"--{str(exc.field).replace('_', '-')} {exc.reason}") from None
