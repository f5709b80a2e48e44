"""Schema readers, one per format. Each reads as little of the object as its format allows.

- Parquet: the footer only, through :class:`RangedS3File`: one ranged GET of the last 16 KiB
  (a second one when the footer is longer); pyarrow parses those bytes. Row groups are never fetched.
- CSV: the first ``sample_bytes`` (one ranged GET): the header plus type inference over the
  complete rows of that sample.
- JSON lines: the first ``sample_bytes``: the union of the keys of the sampled objects.
- Iceberg: the current ``metadata/*.metadata.json`` (``version-hint.text`` when present, else the
  highest version).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from .layout import Dataset, S3Object, iceberg_metadata_version, is_gzip
from .s3io import RangedS3File, RequestStats
from .types import Column, SchemaConflict, iceberg_to_hive, merge_columns, widen

_INT = re.compile(r"^[+-]?\d{1,18}$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$")


class CorruptFile(ValueError):
    """A file that cannot be read as its format."""


@dataclass
class FileSchema:
    columns: list[Column]
    quoted: bool = False
    """CSV: the sample contains quoted fields (needs OpenCSVSerde)."""
    extra: dict[str, Any] = field(default_factory=dict)


def _text_sample(
    s3: Any, bucket: str, obj: S3Object, sample_bytes: int, stats: RequestStats
) -> tuple[str, bool]:
    """The first bytes of a text object, decoded; ``truncated`` when the object is longer."""
    reader = RangedS3File(s3, bucket, obj.key, obj.size, stats)
    raw = reader.read_range(0, sample_bytes)
    truncated = obj.size > len(raw)
    if is_gzip(obj.key):
        try:
            decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
            plain = decoder.decompress(raw, sample_bytes * 8)
        except zlib.error as exc:
            raise CorruptFile(f"{obj.key}: not gzip data ({exc})") from None
        truncated = truncated or bool(decoder.unconsumed_tail)
        raw = plain
    text = raw.decode("utf-8", errors="replace")
    if truncated:
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut >= 0 else ""
    return text, truncated


PARQUET_TAIL_BYTES = 16 * 1024
"""First (and usually only) GET per Parquet file: the last 16 KiB, which hold the footer of most files."""
_MAGIC = b"PAR1"


def parquet_footer(reader: RangedS3File, tail_bytes: int = PARQUET_TAIL_BYTES) -> bytes:
    """``PAR1 + footer + length + PAR1``: the footer alone, as a buffer pyarrow reads like a file.

    One ranged GET of the object's tail; a second one only when the footer is longer than that
    tail. (pyarrow's own reader would fetch the last 64 KiB whatever the footer's size.)
    """
    size = reader.size
    if size < 12:
        raise CorruptFile("too small to be a Parquet file")
    reader.seek(-min(size, tail_bytes), io.SEEK_END)
    tail = reader.read()
    if tail[-4:] != _MAGIC:
        raise CorruptFile("no Parquet magic bytes at the end of the file")
    length = int.from_bytes(tail[-8:-4], "little")
    if length <= 0 or length + 12 > size:
        raise CorruptFile(f"footer length {length} does not fit a file of {size} bytes")
    if length + 8 > len(tail):
        missing = length + 8 - len(tail)
        reader.seek(size - len(tail) - missing)
        tail = reader.read(missing) + tail
    return _MAGIC + tail[-(length + 8) :]


def read_parquet(s3: Any, bucket: str, obj: S3Object, stats: RequestStats) -> FileSchema:
    """The schema from the footer: pyarrow parses the footer bytes fetched by :func:`parquet_footer`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .types import arrow_to_hive

    reader = RangedS3File(s3, bucket, obj.key, obj.size, stats)
    try:
        footer = parquet_footer(reader)
        parquet = pq.ParquetFile(pa.BufferReader(footer))
        schema = parquet.schema_arrow
        rows = parquet.metadata.num_rows
        row_groups = parquet.metadata.num_row_groups
    except CorruptFile as exc:
        raise CorruptFile(f"{obj.key}: not a readable Parquet file ({exc})") from None
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise CorruptFile(f"{obj.key}: not a readable Parquet file ({exc})") from None
    columns = [Column(f.name, arrow_to_hive(f.type)) for f in schema]
    extra = {"rows": rows, "row_groups": row_groups, "bytes_read": reader.bytes_read}
    return FileSchema(columns, extra=extra)


def infer_value(value: str) -> str | None:
    """The Hive type of one CSV field (``None`` for an empty field)."""
    if value == "":
        return None
    if value.lower() in ("true", "false"):
        return "boolean"
    if _INT.match(value):
        return "bigint"
    if _FLOAT.match(value):
        return "double"
    if _DATE.match(value):
        return "date"
    if _TIMESTAMP.match(value):
        return "timestamp"
    return "string"


def read_csv(
    s3: Any, bucket: str, obj: S3Object, stats: RequestStats, *, sample_bytes: int, sample_rows: int
) -> FileSchema:
    text, _ = _text_sample(s3, bucket, obj, sample_bytes, stats)
    if "\x00" in text:
        raise CorruptFile(f"{obj.key}: binary data in a CSV file")
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows)
    except StopIteration:
        raise CorruptFile(f"{obj.key}: no header line in the first {sample_bytes} bytes") from None
    except csv.Error as exc:
        raise CorruptFile(f"{obj.key}: {exc}") from None
    names = [name.strip() or f"col_{i}" for i, name in enumerate(header)]
    if len({n.lower() for n in names}) != len(names):
        raise CorruptFile(f"{obj.key}: duplicate column names in the header")
    types: list[str | None] = [None] * len(names)
    try:
        for count, row in enumerate(rows):
            if count >= sample_rows:
                break
            for i, value in enumerate(row[: len(names)]):
                current = types[i]
                if current == "string":
                    continue  # inferred widening never leaves string: no need to look at the value
                found = infer_value(value.strip())
                if found is None:
                    continue
                types[i] = found if current is None else widen(current, found, inferred=True)
    except csv.Error as exc:
        raise CorruptFile(f"{obj.key}: {exc}") from None
    columns = [Column(n, t or "string") for n, t in zip(names, types, strict=True)]
    return FileSchema(columns, quoted='"' in text)


def _json_type(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint" if -(2**63) <= value < 2**63 else "decimal(38,0)"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        element: str | None = None
        for item in value:
            found = _json_type(item)
            if found is not None:
                element = found if element is None else widen(element, found, inferred=True)
        return f"array<{element or 'string'}>"
    if isinstance(value, dict):
        inner = _json_columns(value)
        if not inner:
            return "map<string,string>"
        return "struct<" + ",".join(f"{c.name}:{c.type}" for c in inner) + ">"
    return "string"


def _json_columns(record: dict[str, Any]) -> list[Column]:
    return [Column(k, t) for k, v in record.items() if (t := _json_type(v)) is not None]


def read_json_lines(
    s3: Any, bucket: str, obj: S3Object, stats: RequestStats, *, sample_bytes: int, sample_rows: int
) -> FileSchema:
    text, _ = _text_sample(s3, bucket, obj, sample_bytes, stats)
    columns: list[Column] = []
    seen_keys: list[str] = []
    settled: set[tuple[Column, ...]] = set()
    """Record shapes whose merge leaves ``columns`` as it is (most records have the same shape)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number > sample_rows:
            break
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorruptFile(f"{obj.key}: line {number} is not JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise CorruptFile(f"{obj.key}: line {number} is not a JSON object")
        for key in record:
            if key not in seen_keys:
                seen_keys.append(key)
        shape = tuple(_json_columns(record))
        if shape in settled:
            continue
        merged = merge_columns(columns, list(shape), inferred=True)
        if merged == columns:
            settled.add(shape)
        else:
            columns = merged
            settled.clear()
    present = {c.name for c in columns}
    columns += [Column(k, "string") for k in seen_keys if k not in present]
    if not seen_keys:
        raise CorruptFile(f"{obj.key}: no JSON object in the first {sample_bytes} bytes")
    return FileSchema(columns)


@dataclass
class IcebergTable:
    columns: list[Column]
    metadata_key: str
    partition_spec: list[str]
    format_version: int
    table_uuid: str | None


def current_iceberg_metadata(s3: Any, bucket: str, dataset: Dataset, stats: RequestStats) -> S3Object:
    """The current metadata file: ``version-hint.text`` when present, else the highest version."""
    by_name = {f.key.rsplit("/", 1)[-1]: f for f in dataset.metadata_files}
    hint = by_name.get("version-hint.text")
    if hint is not None:
        raw = (
            RangedS3File(s3, bucket, hint.key, hint.size, stats).read_range(0, 64).decode("utf-8", "replace")
        )
        version = raw.strip()
        for name in (f"v{version}.metadata.json", f"v{version}.gz.metadata.json"):
            if name in by_name:
                return by_name[name]
    versions = [(v, f) for f in dataset.metadata_files if (v := iceberg_metadata_version(f.key)) is not None]
    if not versions:
        raise CorruptFile(f"{dataset.prefix}metadata/: no *.metadata.json")
    return max(versions, key=lambda item: (item[0], item[1].key))[1]


def read_iceberg(s3: Any, bucket: str, dataset: Dataset, stats: RequestStats) -> IcebergTable:
    meta_obj = current_iceberg_metadata(s3, bucket, dataset, stats)
    raw = RangedS3File(s3, bucket, meta_obj.key, meta_obj.size, stats).read()
    try:
        metadata = json.loads(raw)
        version = int(metadata.get("format-version", 1))
        if "schemas" in metadata:
            current = metadata.get("current-schema-id", 0)
            schema = next(s for s in metadata["schemas"] if s.get("schema-id", 0) == current)
        else:
            schema = metadata["schema"]
        columns = [Column(f["name"], iceberg_to_hive(f["type"])) for f in schema["fields"]]
        names = {f["id"]: f["name"] for f in schema["fields"]}
        if "partition-specs" in metadata:
            spec_id = metadata.get("default-spec-id", 0)
            spec = next(s for s in metadata["partition-specs"] if s.get("spec-id", 0) == spec_id)["fields"]
        else:
            spec = metadata.get("partition-spec", [])
        partitioning = [f"{p['transform']}({names.get(p['source-id'], p['source-id'])})" for p in spec]
    except (ValueError, KeyError, TypeError, StopIteration, SchemaConflict) as exc:
        raise CorruptFile(
            f"{meta_obj.key}: not valid Iceberg table metadata ({type(exc).__name__}: {exc})"
        ) from None
    return IcebergTable(columns, meta_obj.key, partitioning, version, metadata.get("table-uuid"))
