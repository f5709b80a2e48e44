"""The Glue side: desired table definitions, comparison with what exists, and idempotent writes.

Storage descriptors follow what Trino's Hive connector reads from Glue:

- Parquet: ``ParquetHiveSerDe`` with ``MapredParquetInputFormat`` / ``MapredParquetOutputFormat``.
- CSV: ``LazySimpleSerDe`` (``field.delim=,``) with the inferred column types, or
  ``OpenCSVSerde`` with every column ``string`` when the sample has quoted fields (Trino's CSV
  reader only supports varchar columns); ``skip.header.line.count=1`` either way.
- JSON lines: ``org.apache.hive.hcatalog.data.JsonSerDe`` over text files.
- Iceberg: ``table_type=ICEBERG`` and ``metadata_location`` (what Trino's Iceberg connector with
  ``iceberg.catalog.type=glue`` reads); columns are informational.

Parameters the scanner owns start with ``dataproduct.`` (plus the Hive/Glue keys it sets); every
other parameter on an existing table is a user's and is kept on update.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from .layout import CSV, ICEBERG, JSON, PARQUET
from .types import Column

TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"

PARAM_PREFIX = "dataproduct."
P_VERSION = "dataproduct.scanner_version"
P_LAST_SCAN = "dataproduct.last_scan"
P_DEPOT = "dataproduct.depot"
P_STATUS = "dataproduct.status"
P_DELETED_AT = "dataproduct.deleted_at"
P_FINGERPRINT = "dataproduct.fingerprint"
OWNED_KEYS = frozenset(
    {
        "classification",
        "EXTERNAL",
        "skip.header.line.count",
        "table_type",
        "metadata_location",
        "previous_metadata_location",
    }
)
IGNORED_IN_COMPARISON = frozenset({P_LAST_SCAN, "previous_metadata_location"})


def owned(key: str) -> bool:
    return key.startswith(PARAM_PREFIX) or key in OWNED_KEYS


def is_managed(table: dict[str, Any], depot: str) -> bool:
    params = table.get("Parameters") or {}
    return P_VERSION in params and params.get(P_DEPOT) == depot


@dataclass
class TableSpec:
    """What the scanner wants a Glue table to be."""

    name: str
    format: str
    location: str
    columns: list[Column]
    partition_keys: list[str] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    csv_quoted: bool = False
    metadata_location: str | None = None

    def table_input(self) -> dict[str, Any]:
        columns = self.columns
        params = {"EXTERNAL": "TRUE", **self.parameters}
        serde_params: dict[str, str] = {}
        if self.format == PARQUET:
            formats = (PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE)
            serde_params = {"serialization.format": "1"}
            params["classification"] = "parquet"
        elif self.format == CSV:
            params["classification"] = "csv"
            params["skip.header.line.count"] = "1"
            if self.csv_quoted:
                formats = (TEXT_INPUT, TEXT_OUTPUT, OPEN_CSV_SERDE)
                serde_params = {"separatorChar": ",", "quoteChar": '"', "escapeChar": "\\"}
                columns = [Column(c.name, "string") for c in columns]
            else:
                formats = (TEXT_INPUT, TEXT_OUTPUT, LAZY_SIMPLE_SERDE)
                serde_params = {"field.delim": ",", "serialization.format": ","}
        elif self.format == JSON:
            formats = (TEXT_INPUT, TEXT_OUTPUT, JSON_SERDE)
            params["classification"] = "json"
        elif self.format == ICEBERG:
            formats = (PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE)
            params["table_type"] = "ICEBERG"
            assert self.metadata_location is not None
            params["metadata_location"] = self.metadata_location
        else:
            raise ValueError(f"unsupported format {self.format}")
        input_format, output_format, serde = formats
        partition_names = {k.lower() for k in self.partition_keys}
        return {
            "Name": self.name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": params,
            "PartitionKeys": [{"Name": k.lower(), "Type": "string"} for k in self.partition_keys],
            "StorageDescriptor": {
                "Columns": [
                    {"Name": c.name.lower(), "Type": c.type}
                    for c in columns
                    if c.name.lower() not in partition_names
                ],
                "Location": self.location,
                "InputFormat": input_format,
                "OutputFormat": output_format,
                "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params},
            },
        }


def comparable(table: dict[str, Any]) -> dict[str, Any]:
    """The parts of a table (or TableInput) the scanner decides, without timestamps."""
    sd = table.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    params = table.get("Parameters") or {}
    return {
        "TableType": table.get("TableType"),
        "Parameters": {k: v for k, v in params.items() if owned(k) and k not in IGNORED_IN_COMPARISON},
        "PartitionKeys": [(p["Name"], p["Type"]) for p in table.get("PartitionKeys") or []],
        "Columns": [(c["Name"], c["Type"]) for c in sd.get("Columns") or []],
        "Location": sd.get("Location"),
        "InputFormat": sd.get("InputFormat"),
        "OutputFormat": sd.get("OutputFormat"),
        "Serde": serde.get("SerializationLibrary"),
        "SerdeParameters": serde.get("Parameters") or {},
    }


def differences(desired: dict[str, Any], existing: dict[str, Any]) -> list[str]:
    """Names of the compared fields that differ (empty: nothing to write)."""
    want, have = comparable(desired), comparable(existing)
    out = [key for key in want if want[key] != have.get(key)]
    if "Parameters" in out:
        changed = sorted(
            k
            for k in set(want["Parameters"]) | set(have["Parameters"])
            if want["Parameters"].get(k) != have["Parameters"].get(k)
        )
        out[out.index("Parameters")] = "Parameters(" + ",".join(changed) + ")"
    return out


def merged_input(desired: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    """The TableInput for an update: the desired definition plus what users added to the table."""
    out = copy.deepcopy(desired)
    user_params = {k: v for k, v in (existing.get("Parameters") or {}).items() if not owned(k)}
    existing_params = existing.get("Parameters") or {}
    out["Parameters"] = {**user_params, **out["Parameters"]}
    old_location = existing_params.get("metadata_location")
    if out["Parameters"].get("table_type") == "ICEBERG" and old_location:
        if old_location != out["Parameters"]["metadata_location"]:
            out["Parameters"]["previous_metadata_location"] = old_location
        elif "previous_metadata_location" in existing_params:
            out["Parameters"]["previous_metadata_location"] = existing_params["previous_metadata_location"]
    for key in ("Description", "Owner", "Retention"):
        if key in existing and existing[key] not in (None, ""):
            out[key] = existing[key]
    comments = {
        c["Name"]: c["Comment"]
        for c in (existing.get("StorageDescriptor") or {}).get("Columns") or []
        if c.get("Comment")
    }
    for column in out["StorageDescriptor"]["Columns"]:
        if column["Name"] in comments:
            column["Comment"] = comments[column["Name"]]
    return out


def uncommitted(table_input: dict[str, Any]) -> dict[str, Any]:
    """``table_input`` without its fingerprint: a table written before its partitions. The next scan
    does not take it for done (see ``_unchanged`` in core.py) and finishes it."""
    out = dict(table_input)
    out["Parameters"] = {k: v for k, v in table_input["Parameters"].items() if k != P_FINGERPRINT}
    return out


def partition_input(table_input: dict[str, Any], values: tuple[str, ...], location: str) -> dict[str, Any]:
    sd = copy.deepcopy(table_input["StorageDescriptor"])
    sd["Location"] = location
    return {"Values": list(values), "StorageDescriptor": sd, "Parameters": {}}


def existing_partitions(glue: Any, database: str, table: str) -> set[tuple[str, ...]]:
    paginator = glue.get_paginator("get_partitions")
    out: set[tuple[str, ...]] = set()
    for page in paginator.paginate(DatabaseName=database, TableName=table):
        for partition in page.get("Partitions", []):
            out.add(tuple(partition["Values"]))
    return out


def create_partitions(glue: Any, database: str, table: str, inputs: list[dict[str, Any]]) -> None:
    for start in range(0, len(inputs), 100):
        response = glue.batch_create_partition(
            DatabaseName=database, TableName=table, PartitionInputList=inputs[start : start + 100]
        )
        errors = [
            e for e in response.get("Errors", []) if e["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException"
        ]
        if errors:
            detail = errors[0]["ErrorDetail"]
            raise RuntimeError(
                f"creating partitions failed: {detail['ErrorCode']}: {detail.get('ErrorMessage', '')}"
            )


def delete_partitions(glue: Any, database: str, table: str, values: list[tuple[str, ...]]) -> None:
    for start in range(0, len(values), 25):
        chunk = [{"Values": list(v)} for v in values[start : start + 25]]
        response = glue.batch_delete_partition(
            DatabaseName=database, TableName=table, PartitionsToDelete=chunk
        )
        errors = [
            e
            for e in response.get("Errors", [])
            if e["ErrorDetail"]["ErrorCode"] != "EntityNotFoundException"
        ]
        if errors:
            detail = errors[0]["ErrorDetail"]
            raise RuntimeError(
                f"deleting partitions failed: {detail['ErrorCode']}: {detail.get('ErrorMessage', '')}"
            )


def get_table(glue: Any, database: str, name: str) -> dict[str, Any] | None:
    try:
        table: dict[str, Any] = glue.get_table(DatabaseName=database, Name=name)["Table"]
        return table
    except glue.exceptions.EntityNotFoundException:
        return None


def ensure_database(glue: Any, name: str, *, location: str, depot: str, version: str, dry_run: bool) -> bool:
    """Create the Glue database when missing; True when it was (or would be) created."""
    try:
        glue.get_database(Name=name)
        return False
    except glue.exceptions.EntityNotFoundException:
        pass
    if dry_run:
        return True
    try:
        glue.create_database(
            DatabaseInput={
                "Name": name,
                "Description": f"Datasets of {location}, registered by the dataproduct scanner",
                "LocationUri": location,
                "Parameters": {P_DEPOT: depot, "dataproduct.location": location, P_VERSION: version},
            }
        )
    except glue.exceptions.AlreadyExistsException:
        return False
    return True


def scanner_databases(glue: Any, depot: str, location_prefix: str) -> list[str]:
    """Glue databases the scanner created for this depot under ``location_prefix``."""
    out = []
    for page in glue.get_paginator("get_databases").paginate():
        for db in page.get("DatabaseList", []):
            params = db.get("Parameters") or {}
            location = params.get("dataproduct.location", "")
            if params.get(P_DEPOT) == depot and location.startswith(location_prefix):
                out.append(db["Name"])
    return out


def tables_of(glue: Any, database: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in glue.get_paginator("get_tables").paginate(DatabaseName=database):
        out.extend(page.get("TableList", []))
    return out


EXPRESSION_LIMIT = 2048
"""The longest ``Expression`` GetTables takes."""


def name_expressions(names: Iterable[str]) -> list[str]:
    """``a|b|c`` patterns (GetTables' ``Expression``), each within :data:`EXPRESSION_LIMIT`, that
    together match every one of ``names`` (scanner table names: ``[a-z0-9_]``, no pattern syntax)."""
    out: list[str] = []
    current = ""
    for name in sorted(set(names)):
        if current and len(current) + 1 + len(name) > EXPRESSION_LIMIT:
            out.append(current)
            current = ""
        current = f"{current}|{name}" if current else name
    if current:
        out.append(current)
    return out


def tables_named(glue: Any, database: str, names: Collection[str]) -> dict[str, dict[str, Any]]:
    """The tables of ``database`` called one of ``names``, by name: paginated ``GetTables`` filtered by
    name on the server, so other tables in a shared database are not paged through. Only exact names
    are kept (how the service anchors the pattern does not matter). Empty when the database is
    missing."""
    wanted = set(names)
    out: dict[str, dict[str, Any]] = {}
    try:
        for expression in name_expressions(wanted):
            pages = glue.get_paginator("get_tables").paginate(DatabaseName=database, Expression=expression)
            for page in pages:
                out.update((t["Name"], t) for t in page.get("TableList", []) if t["Name"] in wanted)
    except glue.exceptions.EntityNotFoundException:
        return {}
    return out
