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

_FLAG_TABLE: tuple[tuple[str, type, str, str, float], ...] = (
    ("connect_timeout", float, "SECONDS", "seconds to wait for a connection", DEFAULT_CONNECT_TIMEOUT),
    ("read_timeout", float, "SECONDS", "seconds to wait for a reply", DEFAULT_READ_TIMEOUT),
    ("max_attempts", int, "N", "attempts per request, the first one included", DEFAULT_MAX_ATTEMPTS),
    (
        "retry_budget",
        float,
        "SECONDS",
        "seconds one request may take with its retries; no retry starts after this",
        DEFAULT_RETRY_BUDGET,
    ),
)
"""Each flag: the :class:`~dataproduct_iac.aws_clients.ClientSettings` field it sets (the flag is its
name with dashes), its type, metavar, help and the default without a stack setting."""

FLAGS = tuple(field for field, *_ in _FLAG_TABLE)
"""The :class:`~dataproduct_iac.aws_clients.ClientSettings` fields the flags set (same names)."""


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS requests")
    for field, kind, metavar, text, default in _FLAG_TABLE:
        group.add_argument(
            "--" + field.replace("_", "-"),
            type=kind,
            metavar=metavar,
            help=f"{text} (default: the stack's dataproduct:aws* setting, else {default})",
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
