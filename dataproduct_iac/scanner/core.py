"""``scan_depot``: list an S3 depot, read each dataset's schema, and register it in Glue.

The library entry point for the ``dataproduct scan`` command and the scanner container. One
failing dataset never stops the others; a failed listing never deletes anything.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from ..aws_clients import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRY_BUDGET,
    ClientSettings,
    IncompleteReply,
)
from ..errors import DataproductError
from ..settings import COLLECTION, StackSettings, glue_name
from ..version import __version__
from . import glue as g
from .layout import CSV, FORMATS, ICEBERG, JSON, PARQUET, Dataset, group_objects, list_objects
from .readers import CorruptFile, FileSchema, read_csv, read_iceberg, read_json_lines, read_parquet
from .report import CREATED, DELETED, FAILED, FLAGGED, UNCHANGED, UPDATED, DatasetOutcome, ScanReport
from .s3io import make_clients
from .types import Column, SchemaConflict, merge_columns

SCANNER_VERSION = __version__


class NameFilter(Protocol):
    """Include/exclude patterns (``manifests.workflow.FilterPattern`` fits)."""

    def admits(self, name: str) -> bool: ...


class ScanSettingError(DataproductError, ValueError):
    """A scan setting that cannot be used (also a ``ValueError``, as Python callers expect)."""


class DatasetError(ValueError):
    """A dataset that cannot be registered, with the reason."""


@dataclass(frozen=True)
class DatabaseNaming:
    """Glue database names per collection: a template with ``{collection}`` plus explicit overrides.

    :meth:`from_stack` gives the same names as ``StackSettings.glue_database_name`` (the names the
    Trino catalogs and the drift checks use).
    """

    template: str = COLLECTION
    overrides: dict[str, str] = field(default_factory=dict)

    def name(self, collection: str) -> str:
        if collection in self.overrides:
            return self.overrides[collection]
        return glue_name(self.template.replace(COLLECTION, collection))

    @classmethod
    def from_stack(cls, settings: StackSettings, depot: str) -> DatabaseNaming:
        """The names ``settings.glue_database_name`` gives the collections of ``depot``."""
        overrides = {
            key.split(":", 1)[1]: value
            for key, value in settings.physical_names.items()
            if key.startswith(f"{depot}:") and value
        }
        return cls(settings.glue_database_template(depot), overrides)


def table_name(dataset: str) -> str:
    """The Glue table of a dataset."""
    return glue_name(dataset)


@dataclass
class ScanSettings:
    """Everything one scan needs. Only ``bucket`` is required."""

    bucket: str
    prefix: str = ""
    """The depot's ``relativePath``."""
    depot: str = "depot"
    default_format: str | None = PARQUET
    """Format of files without a telling extension (the depot's ``format``)."""
    formats: tuple[str, ...] = FORMATS
    schema_filter: NameFilter | None = None
    """Applies to collections (Glue databases)."""
    table_filter: NameFilter | None = None
    """Applies to datasets (Glue tables)."""
    only: list[str] = field(default_factory=list)
    """Restrict the scan to ``collection`` or ``collection/dataset`` entries."""
    mark_deleted: bool = False
    deleted_action: Literal["flag", "delete"] = "flag"
    dry_run: bool = False
    full: bool = False
    """Read every dataset even when its objects are unchanged since the last scan."""
    concurrency: int = 8
    session: Any = None
    """A ``boto3.Session``; default: a new one (the standard credential chain)."""
    endpoint_url: str | None = None
    region: str | None = None
    retry_mode: Literal["standard", "adaptive", "legacy"] = "standard"
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    """Attempts per AWS request (the first one plus retries)."""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    """Seconds to wait for a connection to S3 or Glue."""
    read_timeout: float = DEFAULT_READ_TIMEOUT
    """Seconds to wait for (the next bytes of) a reply."""
    retry_budget: float = DEFAULT_RETRY_BUDGET
    """Seconds one request may take with all its retries: no retry starts after this."""
    sample_bytes: int = 64 * 1024
    sample_rows: int = 1000
    database_naming: DatabaseNaming = field(default_factory=DatabaseNaming)
    progress: Callable[[int, int, DatasetOutcome], None] | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ScanSettingError("concurrency must be at least 1")
        self.client_settings  # noqa: B018 - checks the timeouts and retries (ClientSettingError)
        unknown = set(self.formats) - set(FORMATS)
        if unknown:
            raise ScanSettingError(f"unknown formats {sorted(unknown)}; known: {', '.join(FORMATS)}")
        for entry in self.only:
            if not re.fullmatch(r"[^/]+(/[^/]+)?", entry.strip("/")):
                raise ScanSettingError(f"--only {entry!r}: expected 'collection' or 'collection/dataset'")

    @property
    def root(self) -> str:
        prefix = self.prefix.strip("/")
        return f"{prefix}/" if prefix else ""

    @property
    def client_settings(self) -> ClientSettings:
        """Timeouts and retries of the scan's S3 and Glue clients."""
        return ClientSettings(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_attempts=self.max_attempts,
            retry_budget=self.retry_budget,
            retry_mode=self.retry_mode,
        )

    def admits(self, collection: str, dataset: str) -> bool:
        if self.schema_filter is not None and not self.schema_filter.admits(collection):
            return False
        return self.table_filter is None or self.table_filter.admits(dataset)

    def in_scope(self, collection: str, dataset: str) -> bool:
        if not self.only:
            return True
        entries = [e.strip("/") for e in self.only]
        return collection in entries or f"{collection}/{dataset}" in entries


class _Scan:
    def __init__(self, settings: ScanSettings, report: ScanReport) -> None:
        import boto3

        self.settings = settings
        self.report = report
        self.stats = report.stats
        session = settings.session or boto3.session.Session()
        self.s3, self.glue = make_clients(
            session,
            settings.client_settings,
            endpoint_url=settings.endpoint_url,
            region=settings.region,
            pool_size=2 * settings.concurrency + 2,
            stats=self.stats,
        )
        self.files = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="scan-file")
        self.now = datetime.now(UTC).replace(microsecond=0).isoformat()
        self._db_lock = threading.Lock()
        self._databases: set[str] = set()
        """Databases known to exist (or, in a dry run, to be created): one ``GetDatabase`` each per scan."""
        self.known_tables: dict[str, Future[dict[str, dict[str, Any]] | None]] = {}
        """Database → its tables, read once with ``GetTables`` (instead of a ``GetTable`` per dataset)."""

    # -- listing ---------------------------------------------------------------------------
    def listing(self) -> dict[tuple[str, str], Dataset] | None:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError

        prefixes = [self.settings.root + e.strip("/") + "/" for e in self.settings.only] or [
            self.settings.root
        ]
        objects = []
        try:
            for prefix in prefixes:
                objects.extend(list_objects(self.s3, self.settings.bucket, prefix))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            message = f"{code}: {exc.response.get('Error', {}).get('Message', '')}"
            if code in ("NoSuchBucket", "AccessDenied", "InvalidBucketName", "InvalidAccessKeyId"):
                self.report.input_error = f"s3://{self.settings.bucket}: {message}"
            else:
                self.report.listing_error = message
            return None
        except (NoCredentialsError, ParamValidationError) as exc:  # e.g. a bucket name S3 cannot have
            self.report.input_error = f"s3://{self.settings.bucket}: {exc}"
            return None
        except IncompleteReply as exc:  # a cut-off page: the listing is not complete, nothing is scanned
            self.report.listing_error = f"the listing is incomplete: {exc}"
            return None
        except BotoCoreError as exc:
            self.report.listing_error = f"{type(exc).__name__}: {exc}"
            return None
        self.report.objects_listed = len(objects)
        self.report.bytes_stored = sum(o.size for o in objects)
        return group_objects(objects, self.settings.root)

    # -- one dataset -----------------------------------------------------------------------
    def scan(self, ds: Dataset) -> DatasetOutcome:
        from botocore.exceptions import BotoCoreError, ClientError

        s = self.settings
        outcome = DatasetOutcome(
            ds.collection,
            ds.name,
            s.database_naming.name(ds.collection),
            table_name(ds.name),
            FAILED,
            files=len(ds.files),
            bytes=ds.total_bytes,
        )
        try:
            fingerprint = ds.fingerprint(
                f"{SCANNER_VERSION}|{s.default_format}|{','.join(s.formats)}|{s.sample_bytes}|{s.sample_rows}"
            )
            existing = None if ds.problems else self._existing(outcome.database, outcome.table)
            if existing is not None and not s.full and _unchanged(existing, s.depot, fingerprint):
                # Same objects (keys, sizes, ETags) as when this table was written: nothing to read.
                params = existing.get("Parameters") or {}
                outcome.action = UNCHANGED
                outcome.format = params.get("dataproduct.format", "").upper() or None
                outcome.columns = len((existing.get("StorageDescriptor") or {}).get("Columns") or [])
                outcome.partitions = len(ds.partitions)
                return outcome
            spec = self._table_spec(ds, outcome)
            spec.parameters[g.P_FINGERPRINT] = fingerprint
            self._write(spec, ds, outcome, existing)
        except (CorruptFile, SchemaConflict, DatasetError, ValueError) as exc:
            outcome.action, outcome.message = FAILED, str(exc)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            outcome.action = FAILED
            outcome.message = f"{exc.operation_name}: {error.get('Code')}: {error.get('Message', '')}"
        except IncompleteReply as exc:
            outcome.action, outcome.message = FAILED, str(exc)
        except BotoCoreError as exc:
            outcome.action, outcome.message = FAILED, f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # one dataset never aborts the others
            outcome.action, outcome.message = FAILED, f"{type(exc).__name__}: {exc}"
        return outcome

    def table_snapshot(self, database: str, names: list[str]) -> dict[str, dict[str, Any]] | None:
        """The tables ``names`` of ``database`` (those that exist) by name; None when they cannot be
        listed (each dataset then asks)."""
        try:
            return g.tables_named(self.glue, database, names)
        except Exception:  # e.g. no glue:GetTables permission: fall back to GetTable per dataset
            return None

    def _existing(self, database: str, table: str) -> dict[str, Any] | None:
        known = self.known_tables.get(database)
        tables = known.result() if known is not None else None
        if tables is not None:
            return tables.get(table)
        return g.get_table(self.glue, database, table)

    def _table_spec(self, ds: Dataset, outcome: DatasetOutcome) -> g.TableSpec:
        s = self.settings
        if ds.problems:
            raise DatasetError("; ".join(ds.problems))
        fmt = ds.format(s.default_format)
        outcome.format = fmt
        if fmt not in s.formats:
            raise DatasetError(f"format {fmt} is not enabled for this scan (enabled: {', '.join(s.formats)})")
        location = f"s3://{s.bucket}/{ds.prefix}"
        params = {
            "dataproduct.format": fmt.lower(),
            "dataproduct.files": str(len(ds.files)),
            "dataproduct.bytes": str(ds.total_bytes),
            g.P_VERSION: SCANNER_VERSION,
            g.P_DEPOT: s.depot,
            g.P_LAST_SCAN: self.now,
        }
        if fmt == ICEBERG:
            table = read_iceberg(self.s3, s.bucket, ds, self.stats)
            params["dataproduct.iceberg.format_version"] = str(table.format_version)
            params["dataproduct.iceberg.partitioning"] = ",".join(table.partition_spec) or "unpartitioned"
            outcome.columns = len(table.columns)
            return g.TableSpec(
                outcome.table,
                fmt,
                location,
                table.columns,
                parameters=params,
                metadata_location=f"s3://{s.bucket}/{table.metadata_key}",
            )
        files = sorted((f for f in ds.files if f.size > 0), key=lambda f: f.key)
        if not files:
            raise DatasetError("every data file is empty")
        if fmt == PARQUET:
            reader: Callable[[Any], FileSchema] = lambda f: read_parquet(self.s3, s.bucket, f, self.stats)  # noqa: E731
        elif fmt == CSV:
            reader = lambda f: read_csv(  # noqa: E731
                self.s3, s.bucket, f, self.stats, sample_bytes=s.sample_bytes, sample_rows=s.sample_rows
            )
        elif fmt == JSON:
            reader = lambda f: read_json_lines(  # noqa: E731
                self.s3, s.bucket, f, self.stats, sample_bytes=s.sample_bytes, sample_rows=s.sample_rows
            )
        else:
            raise DatasetError(f"unsupported format {fmt}")
        futures: list[Future[FileSchema]] = [self.files.submit(reader, f) for f in files]
        schemas: list[tuple[str, FileSchema]] = []
        corrupt: list[str] = []
        for f, future in zip(files, futures, strict=True):
            try:
                schemas.append((f.key, future.result()))
            except CorruptFile as exc:
                corrupt.append(str(exc))
        if corrupt:
            more = f" (and {len(corrupt) - 1} more)" if len(corrupt) > 1 else ""
            raise CorruptFile(f"{len(corrupt)} of {len(files)} files unreadable: {corrupt[0]}{more}")
        columns = merge_schemas(schemas, positional=fmt == CSV)
        if fmt == PARQUET:
            params["dataproduct.rows"] = str(sum(int(fs.extra.get("rows", 0)) for _, fs in schemas))
        keys = ds.partition_keys or []
        clash = {k.lower() for k in keys} & {c.name.lower() for c in columns}
        if clash and fmt == CSV:
            raise DatasetError(f"partition keys {sorted(clash)} are also CSV columns; rename the directories")
        params["dataproduct.partitions"] = str(len(ds.partitions))
        outcome.columns = len([c for c in columns if c.name.lower() not in {k.lower() for k in keys}])
        outcome.partitions = len(ds.partitions)
        return g.TableSpec(
            outcome.table,
            fmt,
            location,
            columns,
            partition_keys=keys,
            parameters=params,
            csv_quoted=any(fs.quoted for _, fs in schemas),
        )

    def _ensure_database(self, collection: str, database: str) -> None:
        with self._db_lock:
            if database in self._databases:
                return
            g.ensure_database(
                self.glue,
                database,
                location=f"s3://{self.settings.bucket}/{self.settings.root}{collection}/",
                depot=self.settings.depot,
                version=SCANNER_VERSION,
                dry_run=self.settings.dry_run,
            )
            self._databases.add(database)

    def _write(
        self, spec: g.TableSpec, ds: Dataset, outcome: DatasetOutcome, existing: dict[str, Any] | None
    ) -> None:
        """Create or update the table. ``existing``: the table as read at the start of this dataset's
        scan (no second ``GetTable``); a conflicting concurrent write makes it read the table again.

        The table is committed last: its fingerprint (what makes the next scan skip the dataset) is
        written only after its partitions were added and removed. A write with partitions still to
        follow leaves the fingerprint out, so a scan that stops half-way is redone by the next one.
        """
        s = self.settings
        database = outcome.database
        self._ensure_database(ds.collection, database)
        desired = spec.table_input()
        wanted_parts = (
            {values: f"s3://{s.bucket}/{prefix}" for values, prefix in ds.partitions.items()}
            if spec.partition_keys
            else {}
        )
        for attempt in range(3):
            if attempt:
                existing = g.get_table(self.glue, database, spec.name)
            if existing is None:
                outcome.action = CREATED
                outcome.changes, outcome.partitions_removed = [], 0  # from an attempt on a dropped table
                outcome.partitions_added = len(wanted_parts)
                if not s.dry_run:
                    try:
                        self.glue.create_table(
                            DatabaseName=database,
                            TableInput=g.uncommitted(desired) if wanted_parts else desired,
                        )
                    except self.glue.exceptions.AlreadyExistsException:
                        if attempt == 2:
                            raise
                        continue  # created meanwhile by someone else: read it and compare
                    if wanted_parts:
                        self._add_partitions(database, desired, wanted_parts, set(wanted_parts))
                        self.glue.update_table(DatabaseName=database, TableInput=desired)  # the commit
                return
            if not g.is_managed(existing, s.depot):
                raise DatasetError(
                    f"Glue table {database}.{spec.name} exists but was not registered by the scanner "
                    f"for depot {s.depot!r} (no {g.P_VERSION}/{g.P_DEPOT} parameters); left untouched"
                )
            try:
                changes = g.differences(desired, existing)
                keys_changed = "PartitionKeys" in changes
                have = (
                    g.existing_partitions(self.glue, database, spec.name)
                    if (spec.partition_keys or existing.get("PartitionKeys"))
                    else set()
                )
                remove = sorted(have) if keys_changed else sorted(have - set(wanted_parts))
                add = set(wanted_parts) if keys_changed else set(wanted_parts) - have
                outcome.changes = changes
                outcome.partitions_added, outcome.partitions_removed = len(add), len(remove)
                outcome.action = UPDATED if (changes or add or remove) else UNCHANGED
                if s.dry_run or outcome.action == UNCHANGED:
                    return
                merged = g.merged_input(desired, existing)
                version = {"VersionId": existing["VersionId"]} if existing.get("VersionId") else {}
                if remove:
                    g.delete_partitions(self.glue, database, spec.name, remove)
                if keys_changed and add:
                    # The new partitions need the new keys: the definition first, uncommitted.
                    try:
                        self.glue.update_table(
                            DatabaseName=database, TableInput=g.uncommitted(merged), **version
                        )
                    except self.glue.exceptions.ConcurrentModificationException:
                        if attempt == 2:
                            raise
                        continue
                    version = {}
                self._add_partitions(database, desired, wanted_parts, add)
                if changes:
                    try:
                        self.glue.update_table(DatabaseName=database, TableInput=merged, **version)
                    except self.glue.exceptions.ConcurrentModificationException:
                        if attempt == 2:
                            raise
                        continue  # someone else changed the table: read it again and recompute
                return
            except self.glue.exceptions.EntityNotFoundException:
                # Dropped since it was read (GetTables runs at the start of the scan): read it again,
                # and create it if it is gone.
                if attempt == 2:
                    raise

    def _add_partitions(
        self,
        database: str,
        desired: dict[str, Any],
        wanted: dict[tuple[str, ...], str],
        add: set[tuple[str, ...]],
    ) -> None:
        if add:
            inputs = [g.partition_input(desired, values, wanted[values]) for values in sorted(add)]
            g.create_partitions(self.glue, database, desired["Name"], inputs)

    # -- tables whose data is gone ---------------------------------------------------------
    def mark_deleted(self, present: set[tuple[str, str]]) -> list[DatasetOutcome]:
        s = self.settings
        location_prefix = f"s3://{s.bucket}/{s.root}"
        out = []
        for database in g.scanner_databases(self.glue, s.depot, location_prefix):
            for table in g.tables_of(self.glue, database):
                if not g.is_managed(table, s.depot):
                    continue
                location = (table.get("StorageDescriptor") or {}).get("Location", "")
                if not location.startswith(location_prefix):
                    continue
                parts = location[len(location_prefix) :].strip("/").split("/")
                if len(parts) != 2:
                    continue
                collection, dataset = parts
                if (collection, dataset) in present or not s.in_scope(collection, dataset):
                    continue
                if not s.admits(collection, dataset):
                    continue
                params = table.get("Parameters") or {}
                if s.deleted_action == "flag" and params.get(g.P_STATUS) == "deleted":
                    continue
                action = DELETED if s.deleted_action == "delete" else FLAGGED
                outcome = DatasetOutcome(collection, dataset, database, table["Name"], action)
                outcome.format = (params.get("dataproduct.format") or "").upper() or None
                outcome.message = "data is gone from the depot"
                if not s.dry_run:
                    if action == DELETED:
                        self.glue.delete_table(DatabaseName=database, Name=table["Name"])
                    else:
                        self._flag(database, table)
                out.append(outcome)
        return out

    def _flag(self, database: str, table: dict[str, Any]) -> None:
        allowed = (
            "Name",
            "Description",
            "Owner",
            "Retention",
            "StorageDescriptor",
            "PartitionKeys",
            "TableType",
            "Parameters",
        )
        table_input = {k: table[k] for k in allowed if k in table}
        table_input["Parameters"] = {
            **(table.get("Parameters") or {}),
            g.P_STATUS: "deleted",
            g.P_DELETED_AT: self.now,
        }
        kwargs: dict[str, Any] = {"DatabaseName": database, "TableInput": table_input}
        if table.get("VersionId"):
            kwargs["VersionId"] = table["VersionId"]
        self.glue.update_table(**kwargs)


def _unchanged(existing: dict[str, Any], depot: str, fingerprint: str) -> bool:
    params = existing.get("Parameters") or {}
    return (
        g.is_managed(existing, depot)
        and params.get(g.P_FINGERPRINT) == fingerprint
        and params.get(g.P_VERSION) == SCANNER_VERSION
        and params.get(g.P_STATUS) != "deleted"
    )


def merge_schemas(schemas: Iterable[tuple[str, FileSchema]], *, positional: bool = False) -> list[Column]:
    """Merge the files' schemas; :class:`SchemaConflict` naming the first file that does not fit.

    ``positional`` (CSV): columns are matched by position, so a file may only add columns at the
    end of the header, never reorder or rename them.
    """
    merged: list[Column] = []
    first_key = ""
    for key, schema in schemas:
        if not merged:
            merged, first_key = list(schema.columns), key
            continue
        if positional:
            a = [c.name.lower() for c in merged]
            b = [c.name.lower() for c in schema.columns]
            short, long = (a, b) if len(a) <= len(b) else (b, a)
            if long[: len(short)] != short:
                raise SchemaConflict(
                    f"CSV header of {key} ({', '.join(b)}) does not extend the header of {first_key} "
                    f"({', '.join(a)}); CSV columns are positional"
                )
        try:
            merged = merge_columns(merged, schema.columns, inferred=positional)
        except SchemaConflict as exc:
            raise SchemaConflict(f"schema of {key} is incompatible with {first_key}: {exc}") from None
    return merged


def scan_depot(settings: ScanSettings) -> ScanReport:
    """Scan ``s3://bucket/prefix`` and register what it holds in Glue. Never raises for bad data."""
    started = time.monotonic()
    report = ScanReport(settings.bucket, settings.prefix, settings.depot, dry_run=settings.dry_run)
    scan = _Scan(settings, report)
    try:
        datasets = scan.listing()
        if datasets is None:
            return report
        present = {key for key, ds in datasets.items() if ds.files or ds.metadata_files}
        todo: list[Dataset] = []
        for key in sorted(present):
            ds = datasets[key]
            if settings.admits(ds.collection, ds.name):
                todo.append(ds)
            else:
                report.excluded.append(ds.address)
        clashes: dict[tuple[str, str], list[Dataset]] = {}
        for ds in todo:
            clashes.setdefault(
                (settings.database_naming.name(ds.collection), table_name(ds.name)), []
            ).append(ds)
        with ThreadPoolExecutor(settings.concurrency, thread_name_prefix="scan-dataset") as pool:
            if not settings.only:
                # A database with several datasets to scan: one GetTables (paginated) answers all of
                # them. Submitted first, so the pool (FIFO) runs them before the datasets that wait.
                per_database: dict[str, list[str]] = {}
                for ds in todo:
                    per_database.setdefault(settings.database_naming.name(ds.collection), []).append(
                        table_name(ds.name)
                    )
                for database, names in sorted(per_database.items()):
                    if len(names) > 1:
                        scan.known_tables[database] = pool.submit(scan.table_snapshot, database, names)
            futures = []
            for ds in todo:
                same = clashes[(settings.database_naming.name(ds.collection), table_name(ds.name))]
                if len(same) > 1:
                    ds.problems.append(
                        "datasets " + ", ".join(d.address for d in same) + " map to the same Glue table"
                    )
                futures.append(pool.submit(scan.scan, ds))
            for done, future in enumerate(futures, start=1):
                outcome = future.result()
                report.outcomes.append(outcome)
                if settings.progress is not None:
                    settings.progress(done, len(futures), outcome)
        if settings.mark_deleted:
            try:
                report.outcomes.extend(scan.mark_deleted(present))
            except Exception as exc:
                report.mark_deleted_error = f"{type(exc).__name__}: {exc}"
    finally:
        scan.files.shutdown(wait=True)
        report.seconds = time.monotonic() - started
    return report
