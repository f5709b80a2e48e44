"""Column types as Glue/Hive type strings, conversions from Arrow and Iceberg, and schema merging.

A schema is an ordered list of :class:`Column`; types are Hive type strings as Glue stores them
(``bigint``, ``decimal(10,2)``, ``array<string>``, ``struct<a:int,b:string>``), which is what
Trino's Hive connector reads from the Glue Data Catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    type: str


class SchemaConflict(ValueError):
    """Two files of one dataset disagree in a way that cannot be merged."""


_INTEGERS = ("tinyint", "smallint", "int", "bigint")
_FLOATS = ("float", "double")
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


def arrow_to_hive(arrow_type: Any) -> str:
    """The Hive type of a ``pyarrow.DataType`` (as Trino reads the Parquet column)."""
    import pyarrow as pa

    t = arrow_type
    if pa.types.is_dictionary(t):
        return arrow_to_hive(t.value_type)
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_int8(t):
        return "tinyint"
    if pa.types.is_int16(t) or pa.types.is_uint8(t):
        return "smallint"
    if pa.types.is_int32(t) or pa.types.is_uint16(t):
        return "int"
    if pa.types.is_int64(t) or pa.types.is_uint32(t):
        return "bigint"
    if pa.types.is_uint64(t):
        return "decimal(20,0)"
    if pa.types.is_float16(t) or pa.types.is_float32(t):
        return "float"
    if pa.types.is_float64(t):
        return "double"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return "binary"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_time(t) or pa.types.is_null(t):
        return "string"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return f"array<{arrow_to_hive(t.value_type)}>"
    if pa.types.is_map(t):
        return f"map<{arrow_to_hive(t.key_type)},{arrow_to_hive(t.item_type)}>"
    if pa.types.is_struct(t):
        fields = ",".join(f"{t.field(i).name}:{arrow_to_hive(t.field(i).type)}" for i in range(t.num_fields))
        return f"struct<{fields}>"
    raise SchemaConflict(f"unsupported Parquet column type {t}")


_ICEBERG_PRIMITIVES = {
    "boolean": "boolean",
    "int": "int",
    "long": "bigint",
    "float": "float",
    "double": "double",
    "date": "date",
    "time": "string",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "timestamp_ns": "timestamp",
    "timestamptz_ns": "timestamp",
    "string": "string",
    "uuid": "string",
    "binary": "binary",
}


def iceberg_to_hive(iceberg_type: Any) -> str:
    """The Hive type of an Iceberg type (JSON form from ``*.metadata.json``)."""
    if isinstance(iceberg_type, str):
        if iceberg_type in _ICEBERG_PRIMITIVES:
            return _ICEBERG_PRIMITIVES[iceberg_type]
        match = re.fullmatch(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)", iceberg_type)
        if match:
            return f"decimal({match[1]},{match[2]})"
        if iceberg_type.startswith("fixed["):
            return "binary"
        raise SchemaConflict(f"unsupported Iceberg type {iceberg_type!r}")
    if isinstance(iceberg_type, dict):
        kind = iceberg_type.get("type")
        if kind == "struct":
            inner = ",".join(f"{f['name']}:{iceberg_to_hive(f['type'])}" for f in iceberg_type["fields"])
            return f"struct<{inner}>"
        if kind == "list":
            return f"array<{iceberg_to_hive(iceberg_type['element'])}>"
        if kind == "map":
            return f"map<{iceberg_to_hive(iceberg_type['key'])},{iceberg_to_hive(iceberg_type['value'])}>"
    raise SchemaConflict(f"unsupported Iceberg type {iceberg_type!r}")


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split ``a:int,b:struct<c:int,d:string>`` at top-level separators only."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        if char == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def widen(left: str, right: str, *, inferred: bool = False) -> str:
    """The narrowest type both ``left`` and ``right`` fit in, or :class:`SchemaConflict`.

    Compatible changes: integer widening (int → bigint), float → double, decimal widening, new
    struct fields. With ``inferred`` (CSV and JSON samples, whose types are guesses), integers and
    floating point merge to ``double``, ``date`` and ``timestamp`` to ``timestamp``, and anything
    else to ``string``.
    """
    if left == right:
        return left
    if left in _INTEGERS and right in _INTEGERS:
        return _INTEGERS[max(_INTEGERS.index(left), _INTEGERS.index(right))]
    if left in _FLOATS and right in _FLOATS:
        return "double"
    dl, dr = _DECIMAL.match(left), _DECIMAL.match(right)
    if dl and dr:
        scale = max(int(dl[2]), int(dr[2]))
        digits = max(int(dl[1]) - int(dl[2]), int(dr[1]) - int(dr[2]))
        if digits + scale > 38:
            raise SchemaConflict(f"{left} and {right} do not fit one decimal type")
        return f"decimal({digits + scale},{scale})"
    if left.startswith("struct<") and right.startswith("struct<"):
        return _merge_structs(left, right, inferred=inferred)
    if left.startswith("array<") and right.startswith("array<"):
        return f"array<{widen(left[6:-1], right[6:-1], inferred=inferred)}>"
    if inferred:
        numeric = {*_INTEGERS, *_FLOATS}
        if left in numeric and right in numeric:
            return "double"
        if {left, right} == {"date", "timestamp"}:
            return "timestamp"
        return "string"
    raise SchemaConflict(f"{left} vs {right}")


def _merge_structs(left: str, right: str, *, inferred: bool) -> str:
    def fields(text: str) -> list[tuple[str, str]]:
        body = text[len("struct<") : -1]
        out = []
        for part in split_top_level(body):
            name, _, typ = part.partition(":")
            out.append((name, typ))
        return out

    merged = merge_columns(
        [Column(n, t) for n, t in fields(left)], [Column(n, t) for n, t in fields(right)], inferred=inferred
    )
    return "struct<" + ",".join(f"{c.name}:{c.type}" for c in merged) + ">"


def merge_columns(base: list[Column], other: list[Column], *, inferred: bool = False) -> list[Column]:
    """Merge ``other`` into ``base``: widen shared columns, append new ones (all Hive columns are nullable).

    Column names compare case-insensitively (Glue and Trino lower-case them). Raises
    :class:`SchemaConflict` naming every column that cannot be merged.
    """
    out = list(base)
    index = {c.name.lower(): i for i, c in enumerate(out)}
    conflicts: list[str] = []
    for column in other:
        key = column.name.lower()
        if key not in index:
            index[key] = len(out)
            out.append(column)
            continue
        current = out[index[key]]
        try:
            out[index[key]] = Column(current.name, widen(current.type, column.type, inferred=inferred))
        except SchemaConflict as exc:
            conflicts.append(f"column {column.name!r}: {exc}")
    if conflicts:
        raise SchemaConflict("; ".join(conflicts))
    return out
