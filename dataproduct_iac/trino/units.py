"""Trino's data sizes (``28GB``) and durations (``25m``), parsed the way the pinned Trino parses them.

Trino reads both through airlift's ``DataSize.valueOf`` / ``Duration.valueOf`` (airlift units 1.10
in Trino 476): an unsigned decimal number (``1``, ``1.5``; not ``.5``, ``1.``, ``1e3``), optional
whitespace, and a unit spelled exactly: sizes ``B kB MB GB TB PB`` (no ``KB``, ``GiB`` or ``EB``),
durations ``ns us ms s m h d``. Whitespace is Java's ``\\s`` and digits are ASCII only.

Trino's ``DataSize`` units are binary: ``1GB`` is 2^30 bytes, the same as Kubernetes' ``1Gi``.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

_SPACE = "[ \\t\\n\\x0b\\f\\r]*"
_NUMBER = "(?P<num>[0-9]+(?:\\.[0-9]+)?)"
_SIZE = re.compile(f"{_SPACE}{_NUMBER}{_SPACE}(?P<unit>[a-zA-Z]+){_SPACE}")
_SIZE_UNITS = {"B": 1, "kB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40, "PB": 2**50}
SIZE_UNITS = tuple(_SIZE_UNITS)
"""The units Trino's DataSize knows, smallest first."""

_DURATION = _SIZE
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
    """``'28GB'`` → bytes. Raises ValueError with an example when Trino would refuse the text."""
    match = _SIZE.fullmatch(text)
    if not match or match["unit"] not in _SIZE_UNITS:
        hint = ""
        if match and match["unit"].upper() in {u.upper() for u in _SIZE_UNITS}:
            exact = next(u for u in _SIZE_UNITS if u.upper() == match["unit"].upper())
            hint = f"; the unit is written {exact!r}"
        raise ValueError(
            f"{text!r} is not a Trino data size (units {', '.join(_SIZE_UNITS)}, "
            f"examples: '512MB', '28GB', '1.5TB'){hint}"
        )
    exact_bytes = Decimal(match["num"]) * _SIZE_UNITS[match["unit"]]
    return int(exact_bytes.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_duration(text: str) -> Decimal:
    """``'25m'`` → seconds. Raises ValueError when Trino would refuse the text."""
    match = _DURATION.fullmatch(text)
    if not match or match["unit"] not in _DURATION_SECONDS:
        raise ValueError(
            f"{text!r} is not a Trino duration (units {', '.join(_DURATION_SECONDS)}, "
            "examples: '30s', '2m', '1h', '1d')"
        )
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
