"""Trino's data sizes (``28GB``) and durations (``25m``), parsed the way Trino parses them.

Trino's ``DataSize`` units are binary: ``1GB`` is 2^30 bytes, the same as Kubernetes' ``1Gi``.
"""

from __future__ import annotations

import re
from decimal import Decimal

_SIZE = re.compile(r"^\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>B|kB|KB|MB|GB|TB|PB)\s*$")
_SIZE_UNITS = {"B": 1, "kB": 2**10, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40, "PB": 2**50}

_DURATION = re.compile(r"^\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ns|us|ms|s|m|h|d)\s*$")
_DURATION_SECONDS = {
    "ns": Decimal("1e-9"),
    "us": Decimal("1e-6"),
    "ms": Decimal("1e-3"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
    "d": Decimal(86400),
}

GIB = 2**30


def parse_data_size(text: str) -> int:
    """``'28GB'`` → bytes. Raises ValueError with an example when the text is not a Trino size."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a Trino data size (examples: '512MB', '28GB', '1.5TB')")
    return int(Decimal(match["num"]) * _SIZE_UNITS[match["unit"]])


def parse_duration(text: str) -> Decimal:
    """``'25m'`` → seconds. Raises ValueError when the text is not a Trino duration."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a Trino duration (examples: '30s', '2m', '1h', '1d')")
    return Decimal(match["num"]) * _DURATION_SECONDS[match["unit"]]


def format_data_size(size: int | Decimal) -> str:
    """Bytes → the largest whole Trino unit that keeps three significant digits (``'29.1GB'``)."""
    value = Decimal(size)
    for unit in ("PB", "TB", "GB", "MB", "kB"):
        scale = _SIZE_UNITS[unit]
        if value >= scale:
            scaled = value / scale
            if scaled == scaled.to_integral_value():
                return f"{int(scaled)}{unit}"
            return f"{scaled.quantize(Decimal('0.1'))}{unit}"
    return f"{int(value)}B"


def gib(size: int | Decimal) -> str:
    """Bytes as GiB with one decimal, for messages (``'41.6 GiB'``)."""
    return f"{(Decimal(size) / GIB).quantize(Decimal('0.1'))} GiB"
