"""How commands print: warnings on standard error, JSON on standard output."""

from __future__ import annotations

import json
import sys
from typing import Any

from ..diagnostics import Diagnostic


def print_warnings(warnings: list[Diagnostic]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def emit_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")
