"""The depot's layout: ``<relativePath>/<collection>/<dataset>/[k=v/...]<files>``.

One complete listing of the depot prefix is grouped into datasets. Hive-style ``k=v`` directories
become partition keys; files and directories whose name starts with ``_`` or ``.`` (``_SUCCESS``,
``.crc``, ``_temporary``) are not data. A dataset with a ``metadata/*.metadata.json`` is an Iceberg
table; a ``_delta_log`` directory marks a Delta table (reported as unsupported).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

PARQUET = "PARQUET"
CSV = "CSV"
JSON = "JSON"
ICEBERG = "ICEBERG"
DELTA = "DELTA"
FORMATS = (PARQUET, CSV, JSON, ICEBERG)

_EXTENSIONS = {
    ".parquet": PARQUET,
    ".parq": PARQUET,
    ".pq": PARQUET,
    ".csv": CSV,
    ".json": JSON,
    ".jsonl": JSON,
    ".ndjson": JSON,
}
_COMPRESSION = (".gz", ".gzip")
_PARTITION = re.compile(r"^(?P<key>[^=/]+)=(?P<value>[^/]*)$")
_ICEBERG_METADATA = re.compile(r"^(?:v(?P<hadoop>\d+)|(?P<version>\d+)-[^/]*)\.metadata\.json$")


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    etag: str = ""


@dataclass
class Dataset:
    """One dataset (future Glue table) found in the listing."""

    collection: str
    name: str
    prefix: str
    """Key prefix of the dataset, ending in ``/``."""
    files: list[S3Object] = field(default_factory=list)
    metadata_files: list[S3Object] = field(default_factory=list)
    """Iceberg: the objects under ``metadata/``."""
    partition_keys: list[str] | None = None
    partitions: dict[tuple[str, ...], str] = field(default_factory=dict)
    """Partition values → key prefix of the partition (ending in ``/``)."""
    formats: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    delta: bool = False

    @property
    def address(self) -> str:
        return f"{self.collection}/{self.name}"

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files) + sum(f.size for f in self.metadata_files)

    def fingerprint(self, salt: str) -> str:
        """A digest of every object of the dataset (key, size, ETag): equal digests, equal data."""
        digest = hashlib.sha256(salt.encode())
        for obj in sorted([*self.files, *self.metadata_files], key=lambda o: o.key):
            digest.update(f"\n{obj.key}\t{obj.size}\t{obj.etag}".encode())
        return digest.hexdigest()[:32]

    @property
    def iceberg(self) -> bool:
        return any(_ICEBERG_METADATA.match(f.key.rsplit("/", 1)[-1]) for f in self.metadata_files)

    def format(self, default: str | None) -> str:
        """The dataset's format, or ValueError when it cannot be told or is mixed."""
        if self.delta:
            raise ValueError("Delta Lake tables (_delta_log) are not supported by the scanner")
        if self.iceberg:
            return ICEBERG
        known = {f for f in self.formats if f != ""}
        if len(known) > 1:
            raise ValueError(f"files of several formats in one dataset: {', '.join(sorted(known))}")
        if known:
            return known.pop()
        if default in (PARQUET, CSV, JSON):
            return default
        raise ValueError("cannot tell the format: files have no known extension and the depot gives none")


def file_format(key: str) -> str:
    """The format a file's extension names ('' when it names none)."""
    name = key.rsplit("/", 1)[-1].lower()
    for suffix in _COMPRESSION:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    for ext, fmt in _EXTENSIONS.items():
        if name.endswith(ext):
            return fmt
    return ""


def is_gzip(key: str) -> bool:
    return key.lower().endswith(_COMPRESSION)


def iceberg_metadata_version(key: str) -> int | None:
    match = _ICEBERG_METADATA.match(key.rsplit("/", 1)[-1])
    if not match:
        return None
    return int(match["hadoop"] or match["version"])


def _hidden(part: str) -> bool:
    return part.startswith(("_", "."))


def group_objects(objects: list[S3Object], root: str) -> dict[tuple[str, str], Dataset]:
    """Group a listing of ``root`` (``''`` or ``'raw/'``) into datasets keyed by (collection, name)."""
    datasets: dict[tuple[str, str], Dataset] = {}
    for obj in objects:
        if obj.key.endswith("/") or not obj.key.startswith(root):
            continue
        parts = obj.key[len(root) :].split("/")
        if len(parts) < 3 or not parts[0] or not parts[1] or _hidden(parts[0]) or _hidden(parts[1]):
            continue
        collection, name, inner = parts[0], parts[1], parts[2:]
        ds = datasets.get((collection, name))
        if ds is None:
            ds = datasets[(collection, name)] = Dataset(collection, name, f"{root}{collection}/{name}/")
        if inner[0] == "_delta_log":
            ds.delta = True
            continue
        if inner[0] == "metadata" and len(inner) == 2:
            ds.metadata_files.append(obj)
            continue
        if any(_hidden(part) for part in inner):
            continue
        dirs, filename = inner[:-1], inner[-1]
        if not filename:
            continue
        if dirs and dirs[0] == "data" and not _PARTITION.match(dirs[0]):
            # Iceberg data files (data/...): accounted for, never read.
            ds.files.append(obj)
            continue
        keys: list[str] = []
        values: list[str] = []
        for directory in dirs:
            match = _PARTITION.match(directory)
            if not match:
                ds.problems.append(
                    f"'{directory}/' in {obj.key} is neither a k=v partition directory nor a data file"
                )
                break
            keys.append(match["key"])
            values.append(match["value"])
        else:
            if ds.partition_keys is None:
                ds.partition_keys = keys
            elif ds.partition_keys != keys:
                ds.problems.append(
                    f"inconsistent partition layout: {'/'.join(ds.partition_keys) or '(none)'} vs "
                    f"{'/'.join(keys) or '(none)'} at {obj.key}"
                )
                continue
            if keys:
                ds.partitions.setdefault(tuple(values), obj.key[: obj.key.rfind("/") + 1])
            ds.files.append(obj)
            ds.formats.add(file_format(obj.key))
    for ds in datasets.values():
        if not ds.iceberg and any(f.key.startswith(f"{ds.prefix}data/") for f in ds.files):
            ds.problems.append("a data/ directory without Iceberg metadata (metadata/*.metadata.json)")
        ds.problems = sorted(set(ds.problems))[:5]
        if ds.iceberg:
            ds.problems = []
            ds.partition_keys = []
            ds.partitions = {}
    return datasets


def list_objects(s3: Any, bucket: str, prefix: str) -> list[S3Object]:
    """Every object under ``prefix`` (paginated); raises on a failed page (a partial listing is none)."""
    paginator = s3.get_paginator("list_objects_v2")
    out: list[S3Object] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            out.append(S3Object(item["Key"], int(item["Size"]), str(item.get("ETag", ""))))
    return out
