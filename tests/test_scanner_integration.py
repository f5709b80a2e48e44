"""The scanner against a real moto server on 127.0.0.1: formats, Glue tables, idempotency, failures."""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections import Counter
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataproduct_iac.manifests.workflow import FilterPattern
from dataproduct_iac.scanner import DatabaseNaming, ScanSettings, scan_depot

pytestmark = pytest.mark.integration

GLUE_WRITES = {
    "CreateTable",
    "UpdateTable",
    "DeleteTable",
    "CreateDatabase",
    "BatchCreatePartition",
    "BatchDeletePartition",
    "CreatePartition",
    "UpdatePartition",
}


def parquet_bytes(table: Any, row_group_size: int) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=row_group_size)
    return buf.getvalue()


def events_table(rows: int, *, extra: bool = False) -> Any:
    columns: dict[str, Any] = {
        "event_id": pa.array(range(rows), pa.int32()),
        "user": pa.array([f"user-{i % 97}" for i in range(rows)], pa.string()),
        "amount": pa.array([i * 0.5 for i in range(rows)], pa.float64()),
        "ts": pa.array([1_700_000_000_000 + i for i in range(rows)], pa.timestamp("ms")),
        "tags": pa.array([["a", "b"]] * rows, pa.list_(pa.string())),
    }
    if extra:
        columns["event_id"] = pa.array(range(rows), pa.int64())
        columns["country"] = pa.array(["DE"] * rows, pa.string())
    return pa.table(columns)


def iceberg_metadata(version: int, *, with_country: bool) -> dict[str, Any]:
    fields = [
        {"id": 1, "name": "id", "required": True, "type": "long"},
        {"id": 2, "name": "ts", "required": False, "type": "timestamptz"},
        {"id": 3, "name": "price", "required": False, "type": "decimal(10, 2)"},
        {
            "id": 4,
            "name": "attrs",
            "required": False,
            "type": {
                "type": "map",
                "key-id": 5,
                "key": "string",
                "value-id": 6,
                "value": "string",
                "value-required": False,
            },
        },
    ]
    if with_country:
        fields.append({"id": 7, "name": "country", "required": False, "type": "string"})
    return {
        "format-version": 2,
        "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
        "location": "s3://somewhere/orders",
        "last-sequence-number": version,
        "last-updated-ms": 1_700_000_000_000 + version,
        "last-column-id": 7,
        "current-schema-id": version,
        "schemas": [{"type": "struct", "schema-id": version, "fields": fields}],
        "default-spec-id": 0,
        "partition-specs": [
            {
                "spec-id": 0,
                "fields": [{"name": "ts_day", "transform": "day", "source-id": 2, "field-id": 1000}],
            }
        ],
        "last-partition-id": 1000,
        "properties": {},
        "current-snapshot-id": -1,
        "snapshots": [],
    }


class Estate:
    """A bucket with datasets, a session whose calls are counted, and a scan runner."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.bucket = f"scan-{uuid.uuid4().hex[:12]}"
        self.depot = f"d{uuid.uuid4().hex[:8]}"
        self.s3 = boto3.client("s3", endpoint_url=endpoint)
        self.glue = boto3.client("glue", endpoint_url=endpoint)
        self.s3.create_bucket(Bucket=self.bucket)
        self.calls: Counter[str] = Counter()
        self.get_bytes: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.new_session()

    def new_session(self) -> None:
        """A session for the scans with only the counting handlers (injected faults are gone)."""
        self.session = boto3.session.Session()
        self.session.events.register("before-parameter-build.s3.GetObject", self._remember_key)
        self.session.events.register("after-call", self._count)

    @staticmethod
    def _remember_key(params: Any, context: Any, **_: Any) -> None:
        context["test_key"] = params["Key"]

    def _count(self, model: Any, context: Any, parsed: Any = None, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1
            if model.name == "GetObject" and isinstance(parsed, dict):
                self.get_bytes[context["test_key"]] += int(parsed.get("ContentLength", 0))

    def glue_writes(self) -> int:
        return sum(n for name, n in self.calls.items() if name in GLUE_WRITES)

    def put(self, key: str, body: bytes | str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)

    def db(self, collection: str) -> str:
        return f"{self.depot}_{collection}"

    def settings(self, **overrides: Any) -> ScanSettings:
        values: dict[str, Any] = {
            "bucket": self.bucket,
            "prefix": "raw",
            "depot": self.depot,
            "session": self.session,
            "concurrency": 4,
            "database_naming": DatabaseNaming(f"{self.depot}_{{collection}}"),
        }
        values.update(overrides)
        return ScanSettings(**values)

    def scan(self, **overrides: Any) -> Any:
        self.calls.clear()
        self.get_bytes.clear()
        return scan_depot(self.settings(**overrides))

    def table(self, collection: str, name: str) -> dict[str, Any]:
        table: dict[str, Any] = self.glue.get_table(DatabaseName=self.db(collection), Name=name)["Table"]
        return table

    def columns(self, collection: str, name: str) -> list[tuple[str, str]]:
        return [(c["Name"], c["Type"]) for c in self.table(collection, name)["StorageDescriptor"]["Columns"]]


@pytest.fixture
def estate(moto_endpoint: str) -> Estate:
    return Estate(moto_endpoint)


def seed_all_formats(e: Estate) -> None:
    data = parquet_bytes(events_table(5000), row_group_size=1000)
    assert pq.ParquetFile(io.BytesIO(data)).metadata.num_row_groups == 5
    for day in ("2024-01-01", "2024-01-02"):
        for country in ("DE", "FR"):
            e.put(f"raw/ga_web/events/dt={day}/country={country}/part-0.parquet", data)
    e.put("raw/ga_web/events/_SUCCESS", b"")
    e.put(
        "raw/ga_web/users/users-1.csv",
        "id,name,score,signup,active\n1,al,1.5,2024-01-01,true\n2,bo,2,2024-01-02,false\n3,,,,\n",
    )
    e.put("raw/ga_web/users/users-2.csv", "id,name,score,signup,active,plan\n4,cy,7,2024-02-01,true,pro\n")
    e.put(
        "raw/ga_web/sessions/part-0.jsonl",
        '{"sid": "a", "n": 1, "ok": true, "geo": {"lat": 1.5, "lon": 2}}\n'
        '{"sid": "b", "n": 2, "pages": ["/", "/x"], "geo": {"lat": 3, "lon": 4, "city": "B"}}\n',
    )
    meta = "raw/shop/orders/metadata/"
    e.put(meta + "00000-aaaa.metadata.json", json.dumps(iceberg_metadata(0, with_country=False)))
    e.put(meta + "00001-bbbb.metadata.json", json.dumps(iceberg_metadata(1, with_country=True)))
    e.put(meta + "snap-1-manifest-list.avro", b"avro")
    e.put("raw/shop/orders/data/ts_day=2024-01-01/00000-0-data.parquet", data)


def test_registers_parquet_csv_json_and_iceberg_tables(estate: Estate) -> None:
    seed_all_formats(estate)
    report = estate.scan()
    assert report.exit_code == 0, [(o.dataset, o.message) for o in report.failed]
    actions = {(o.collection, o.dataset): o.action for o in report.outcomes}
    assert actions == {
        ("ga_web", "events"): "created",
        ("ga_web", "users"): "created",
        ("ga_web", "sessions"): "created",
        ("shop", "orders"): "created",
    }

    events = estate.table("ga_web", "events")
    assert estate.columns("ga_web", "events") == [
        ("event_id", "int"),
        ("user", "string"),
        ("amount", "double"),
        ("ts", "timestamp"),
        ("tags", "array<string>"),
    ]
    assert [(p["Name"], p["Type"]) for p in events["PartitionKeys"]] == [
        ("dt", "string"),
        ("country", "string"),
    ]
    sd = events["StorageDescriptor"]
    assert sd["Location"] == f"s3://{estate.bucket}/raw/ga_web/events/"
    assert sd["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert (
        sd["SerdeInfo"]["SerializationLibrary"]
        == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    params = events["Parameters"]
    assert params["dataproduct.format"] == "parquet"
    assert params["dataproduct.files"] == "4"
    assert params["dataproduct.rows"] == "20000"
    assert params["dataproduct.depot"] == estate.depot
    assert "dataproduct.last_scan" in params and "dataproduct.scanner_version" in params
    partitions = estate.glue.get_partitions(DatabaseName=estate.db("ga_web"), TableName="events")[
        "Partitions"
    ]
    assert sorted(tuple(p["Values"]) for p in partitions) == [
        ("2024-01-01", "DE"),
        ("2024-01-01", "FR"),
        ("2024-01-02", "DE"),
        ("2024-01-02", "FR"),
    ]
    location = {tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in partitions}
    assert (
        location[("2024-01-02", "FR")] == f"s3://{estate.bucket}/raw/ga_web/events/dt=2024-01-02/country=FR/"
    )

    users = estate.table("ga_web", "users")
    assert estate.columns("ga_web", "users") == [
        ("id", "bigint"),
        ("name", "string"),
        ("score", "double"),
        ("signup", "date"),
        ("active", "boolean"),
        ("plan", "string"),
    ]
    assert users["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == (
        "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
    )
    assert users["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == ","
    assert users["Parameters"]["skip.header.line.count"] == "1"
    assert users["StorageDescriptor"]["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"

    sessions = estate.table("ga_web", "sessions")
    assert estate.columns("ga_web", "sessions") == [
        ("sid", "string"),
        ("n", "bigint"),
        ("ok", "boolean"),
        ("geo", "struct<lat:double,lon:bigint,city:string>"),
        ("pages", "array<string>"),
    ]
    assert (
        sessions["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.apache.hive.hcatalog.data.JsonSerDe"
    )

    orders = estate.table("shop", "orders")
    assert orders["Parameters"]["table_type"] == "ICEBERG"
    assert orders["Parameters"]["metadata_location"] == (
        f"s3://{estate.bucket}/raw/shop/orders/metadata/00001-bbbb.metadata.json"
    )
    assert orders["Parameters"]["dataproduct.iceberg.partitioning"] == "day(ts)"
    assert orders["PartitionKeys"] == []
    assert estate.columns("shop", "orders") == [
        ("id", "bigint"),
        ("ts", "timestamp"),
        ("price", "decimal(10,2)"),
        ("attrs", "map<string,string>"),
        ("country", "string"),
    ]
    db = estate.glue.get_database(Name=estate.db("shop"))["Database"]
    assert db["Parameters"]["dataproduct.depot"] == estate.depot


def test_quoted_csv_uses_open_csv_serde_with_string_columns(estate: Estate) -> None:
    estate.put("raw/c/quoted/a.csv", 'id,comment\n1,"hello, world"\n2,"x"\n')
    report = estate.scan()
    assert report.exit_code == 0
    table = estate.table("c", "quoted")
    assert (
        table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.apache.hadoop.hive.serde2.OpenCSVSerde"
    )
    assert estate.columns("c", "quoted") == [("id", "string"), ("comment", "string")]


def test_iceberg_version_hint_wins(estate: Estate) -> None:
    meta = "raw/shop/hinted/metadata/"
    estate.put(meta + "v1.metadata.json", json.dumps(iceberg_metadata(1, with_country=False)))
    estate.put(meta + "v2.metadata.json", json.dumps(iceberg_metadata(2, with_country=True)))
    estate.put(meta + "version-hint.text", "1\n")
    report = estate.scan()
    assert report.exit_code == 0
    table = estate.table("shop", "hinted")
    assert table["Parameters"]["metadata_location"].endswith("/metadata/v1.metadata.json")
    assert "country" not in [c for c, _ in estate.columns("shop", "hinted")]


def test_parquet_reads_only_the_footer(estate: Estate) -> None:
    small = parquet_bytes(events_table(2_000), row_group_size=500)
    large = parquet_bytes(events_table(400_000), row_group_size=50_000)
    assert len(large) > 30 * len(small) or len(large) > 3_000_000
    estate.put("raw/f/small/a.parquet", small)
    estate.put("raw/f/large/a.parquet", large)
    report = estate.scan()
    assert report.exit_code == 0
    footer = {
        name: int.from_bytes(data[-8:-4], "little") + 8 for name, data in (("small", small), ("large", large))
    }
    read_small = estate.get_bytes["raw/f/small/a.parquet"]
    read_large = estate.get_bytes["raw/f/large/a.parquet"]
    # Bounded by the tail read (16 KiB) or the footer itself, whatever the file size.
    assert footer["large"] <= read_large <= max(16 * 1024, footer["large"] + 8)
    assert footer["small"] <= read_small <= max(16 * 1024, footer["small"] + 8)
    assert read_large < len(large) / 20
    assert read_small <= len(small)
    assert report.stats.bytes_read == read_small + read_large
    assert estate.calls["GetObject"] == 2  # one tail read per file


def test_parquet_footer_longer_than_the_tail_read_takes_a_second_get(estate: Estate) -> None:
    wide = pa.table({f"column_with_a_long_name_{i:04d}": pa.array([i], pa.int64()) for i in range(600)})
    data = parquet_bytes(wide, 1)
    footer = int.from_bytes(data[-8:-4], "little")
    assert footer > 16 * 1024
    estate.put("raw/f/wide/a.parquet", data)
    report = estate.scan()
    assert report.exit_code == 0
    assert estate.calls["GetObject"] == 2
    assert estate.get_bytes["raw/f/wide/a.parquet"] == footer + 8
    assert len(estate.columns("f", "wide")) == 600


SIX_DATASETS = [("a", "x"), ("a", "y"), ("a", "z"), ("b", "x"), ("b", "y"), ("c", "x")]


def seed_six_datasets(e: Estate) -> None:
    data = parquet_bytes(events_table(100), 50)
    for collection, name in SIX_DATASETS:
        for day in ("2024-01-01", "2024-01-02"):
            e.put(f"raw/{collection}/{name}/dt={day}/part-0.parquet", data)


def test_scan_requests_per_file_dataset_and_database(estate: Estate) -> None:
    # 3 collections (databases a: 3 datasets, b: 2, c: 1) of 2 Parquet files per dataset.
    seed_six_datasets(estate)
    report = estate.scan()
    assert report.exit_code == 0, [o.message for o in report.outcomes]
    assert {o.action for o in report.outcomes} == {"created"}
    assert estate.calls["ListObjectsV2"] == 1
    assert estate.calls["GetObject"] == 2 * len(SIX_DATASETS)  # one tail read per file
    # Existing tables: one GetTables for a database with several datasets, GetTable for a lone one;
    # read once per dataset (before its files), not again before the write.
    assert estate.calls["GetTables"] == 2, dict(estate.calls)
    assert estate.calls["GetTable"] == 1, dict(estate.calls)
    assert estate.calls["GetDatabase"] == 3, dict(estate.calls)  # per database, not per dataset
    assert estate.calls["CreateDatabase"] == 3
    assert estate.calls["CreateTable"] == len(SIX_DATASETS)
    assert estate.calls["BatchCreatePartition"] == len(SIX_DATASETS)
    assert estate.columns("b", "y") == estate.columns("a", "x")

    rescan = estate.scan()
    assert [o.action for o in rescan.outcomes] == ["unchanged"] * len(SIX_DATASETS)
    assert dict(estate.calls) == {"ListObjectsV2": 1, "GetTables": 2, "GetTable": 1}

    only = estate.scan(only=["a/y"])  # a narrowed scan does not read the whole database
    assert [o.action for o in only.outcomes] == ["unchanged"]
    assert dict(estate.calls) == {"ListObjectsV2": 1, "GetTable": 1}


def test_get_tables_pages_only_through_the_tables_being_scanned(estate: Estate) -> None:
    seed_six_datasets(estate)
    assert estate.scan().exit_code == 0
    # Someone else's tables share database a: the scan does not page through them.
    for index in range(120):
        estate.glue.create_table(DatabaseName=estate.db("a"), TableInput={"Name": f"foreign_{index:03d}"})
    returned: list[str] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        returned.extend(t["Name"] for t in parsed.get("TableList", []))

    estate.session.events.register("after-call.glue.GetTables", record)
    rescan = estate.scan()
    assert [o.action for o in rescan.outcomes] == ["unchanged"] * len(SIX_DATASETS)
    assert estate.calls["GetTables"] == 2
    assert not [name for name in returned if name.startswith("foreign_")], returned


def test_scan_without_get_tables_asks_per_dataset(estate: Estate) -> None:
    seed_six_datasets(estate)

    def refuse(**_: Any) -> None:
        raise RuntimeError("GetTables refused")  # e.g. a policy without glue:GetTables

    estate.session.events.register("before-call.glue.GetTables", refuse)
    report = estate.scan()
    assert report.exit_code == 0, [o.message for o in report.outcomes]
    assert {o.action for o in report.outcomes} == {"created"}
    assert estate.calls["GetTable"] == len(SIX_DATASETS)


def test_table_created_meanwhile_by_someone_else_is_read_again_not_failed(estate: Estate) -> None:
    data = parquet_bytes(events_table(100), 50)
    estate.put("raw/shop/orders/dt=2024-01-01/part-0.parquet", data)
    raced: list[str] = []

    def create_first(params: Any, **_: Any) -> None:
        # Another scanner writes the same definition between our GetTable and our CreateTable.
        if not raced:
            raced.append(params["TableInput"]["Name"])
            estate.glue.create_table(DatabaseName=params["DatabaseName"], TableInput=params["TableInput"])

    estate.session.events.register("before-parameter-build.glue.CreateTable", create_first)
    report = estate.scan()
    assert raced == ["orders"]
    assert report.exit_code == 0, [o.message for o in report.outcomes]
    # Read again after the refused create: the same definition, only its partition is missing.
    assert [o.action for o in report.outcomes] == ["updated"]
    assert estate.calls["CreateTable"] == 1  # ours, refused with AlreadyExistsException
    assert estate.calls["GetTable"] == 2
    partitions = estate.glue.get_partitions(DatabaseName=estate.db("shop"), TableName="orders")
    assert [p["Values"] for p in partitions["Partitions"]] == [["2024-01-01"]]


def test_table_dropped_after_the_listing_of_tables_is_created_again_not_failed(estate: Estate) -> None:
    data = parquet_bytes(events_table(100), 50)
    for dataset in ("events", "clicks"):  # two datasets in one database: their tables come from GetTables
        estate.put(f"raw/ga_web/{dataset}/dt=2024-01-01/a.parquet", data)
    assert estate.scan().exit_code == 0
    estate.put("raw/ga_web/events/dt=2024-01-02/b.parquet", parquet_bytes(events_table(100, extra=True), 50))
    dropped: list[str] = []

    def drop_events(**_: Any) -> None:
        # Someone drops the table between our GetTables and our update of it.
        if not dropped:
            dropped.append("events")
            estate.glue.delete_table(DatabaseName=estate.db("ga_web"), Name="events")

    estate.session.events.register("after-call.glue.GetTables", drop_events)
    report = estate.scan()
    assert dropped == ["events"] and estate.calls["GetTables"] == 1
    assert report.exit_code == 0, [o.message for o in report.outcomes]
    assert {o.table: o.action for o in report.outcomes} == {"events": "created", "clicks": "unchanged"}
    assert ("tags", "array<string>") in estate.columns("ga_web", "events")
    partitions = estate.glue.get_partitions(DatabaseName=estate.db("ga_web"), TableName="events")
    assert sorted(p["Values"] for p in partitions["Partitions"]) == [["2024-01-01"], ["2024-01-02"]]


def test_rescan_writes_nothing(estate: Estate) -> None:
    seed_all_formats(estate)
    first = estate.scan()
    assert first.exit_code == 0
    assert estate.glue_writes() > 0
    before = {
        name: estate.table(c, name)["VersionId"] for c, name in [("ga_web", "events"), ("shop", "orders")]
    }
    second = estate.scan()
    assert second.exit_code == 0
    assert {o.action for o in second.outcomes} == {"unchanged"}
    assert estate.glue_writes() == 0, dict(estate.calls)
    assert estate.calls["GetObject"] == 0  # objects unchanged (keys, sizes, ETags): nothing re-read
    full = estate.scan(full=True)
    assert {o.action for o in full.outcomes} == {"unchanged"}
    assert estate.glue_writes() == 0
    assert estate.calls["GetObject"] > 0
    after = {
        name: estate.table(c, name)["VersionId"] for c, name in [("ga_web", "events"), ("shop", "orders")]
    }
    assert before == after


def test_changed_schema_updates_in_place_and_keeps_user_parameters(estate: Estate) -> None:
    estate.put("raw/ga_web/events/dt=2024-01-01/a.parquet", parquet_bytes(events_table(100), 50))
    assert estate.scan().exit_code == 0
    table = estate.table("ga_web", "events")
    table_input = {
        k: table[k] for k in ("Name", "StorageDescriptor", "PartitionKeys", "TableType", "Parameters")
    }
    table_input["Parameters"] = {**table["Parameters"], "owner_team": "growth"}
    table_input["StorageDescriptor"]["Columns"][1]["Comment"] = "pseudonymous user id"
    estate.glue.update_table(DatabaseName=estate.db("ga_web"), TableInput=table_input)
    version = estate.table("ga_web", "events")["VersionId"]

    estate.put("raw/ga_web/events/dt=2024-01-02/b.parquet", parquet_bytes(events_table(100, extra=True), 50))
    report = estate.scan()
    assert report.exit_code == 0
    (outcome,) = report.outcomes
    assert outcome.action == "updated"
    assert outcome.partitions_added == 1
    assert "Columns" in outcome.changes
    table = estate.table("ga_web", "events")
    assert estate.columns("ga_web", "events") == [
        ("event_id", "bigint"),
        ("user", "string"),
        ("amount", "double"),
        ("ts", "timestamp"),
        ("tags", "array<string>"),
        ("country", "string"),
    ]
    assert table["Parameters"]["owner_team"] == "growth"
    assert table["StorageDescriptor"]["Columns"][1]["Comment"] == "pseudonymous user id"
    assert table["Parameters"]["dataproduct.files"] == "2"
    assert int(table["VersionId"]) > int(version)
    assert estate.calls["UpdateTable"] == 1 and estate.calls["CreateTable"] == 0


def test_incompatible_schemas_are_reported_and_others_succeed(estate: Estate) -> None:
    estate.put("raw/m/clash/a.parquet", parquet_bytes(pa.table({"x": pa.array([1, 2], pa.int64())}), 10))
    estate.put("raw/m/clash/b.parquet", parquet_bytes(pa.table({"x": pa.array(["a", "b"])}), 10))
    estate.put("raw/m/fine/a.parquet", parquet_bytes(pa.table({"x": pa.array([1], pa.int32())}), 10))
    report = estate.scan()
    assert report.exit_code == 2
    by_name = {o.dataset: o for o in report.outcomes}
    assert by_name["clash"].action == "failed"
    assert "column 'x'" in (by_name["clash"].message or "") and "bigint vs string" in (
        by_name["clash"].message or ""
    )
    assert by_name["fine"].action == "created"
    with pytest.raises(estate.glue.exceptions.EntityNotFoundException):
        estate.table("m", "clash")


def test_corrupt_files_fail_their_dataset_only(estate: Estate) -> None:
    estate.put("raw/m/broken/a.parquet", b"PAR1 not really parquet at all" * 50)
    estate.put("raw/m/broken_json/a.jsonl", '{"a": 1}\nnot json\n')
    estate.put("raw/m/good/a.parquet", parquet_bytes(pa.table({"x": [1, 2, 3]}), 2))
    report = estate.scan()
    assert report.exit_code == 2
    by_name = {o.dataset: o for o in report.outcomes}
    assert by_name["broken"].action == "failed" and "Parquet" in (by_name["broken"].message or "")
    assert by_name["broken_json"].action == "failed" and "line 2" in (by_name["broken_json"].message or "")
    assert by_name["good"].action == "created"
    assert [f.dataset for f in report.failed] == ["broken", "broken_json"]


def test_deleted_dataset_is_flagged_then_deleted(estate: Estate) -> None:
    estate.put("raw/ga_web/keep/a.parquet", parquet_bytes(pa.table({"x": [1]}), 1))
    estate.put("raw/ga_web/gone/a.parquet", parquet_bytes(pa.table({"x": [1]}), 1))
    assert estate.scan().exit_code == 0
    estate.s3.delete_object(Bucket=estate.bucket, Key="raw/ga_web/gone/a.parquet")

    # Without markDeletedTables nothing happens to the table.
    assert estate.scan().exit_code == 0
    assert "dataproduct.status" not in estate.table("ga_web", "gone")["Parameters"]

    report = estate.scan(mark_deleted=True)
    assert report.exit_code == 0
    assert {(o.dataset, o.action) for o in report.outcomes} == {
        ("keep", "unchanged"),
        ("gone", "flagged-deleted"),
    }
    assert estate.table("ga_web", "gone")["Parameters"]["dataproduct.status"] == "deleted"
    assert estate.scan(mark_deleted=True).outcomes[-1].action == "unchanged"  # already flagged: no write
    assert estate.glue_writes() == 0

    report = estate.scan(mark_deleted=True, deleted_action="delete")
    assert ("gone", "deleted") in {(o.dataset, o.action) for o in report.outcomes}
    with pytest.raises(estate.glue.exceptions.EntityNotFoundException):
        estate.table("ga_web", "gone")
    assert estate.table("ga_web", "keep")


def test_data_coming_back_clears_the_deleted_flag(estate: Estate) -> None:
    body = parquet_bytes(pa.table({"x": [1]}), 1)
    estate.put("raw/a/t/a.parquet", body)
    estate.put("raw/a/other/a.parquet", body)
    estate.scan()
    estate.s3.delete_object(Bucket=estate.bucket, Key="raw/a/t/a.parquet")
    estate.scan(mark_deleted=True)
    estate.put("raw/a/t/a.parquet", body)
    report = estate.scan(mark_deleted=True)
    assert ("t", "updated") in {(o.dataset, o.action) for o in report.outcomes}
    assert "dataproduct.status" not in estate.table("a", "t")["Parameters"]


def _always_fail() -> Any:
    """A ``before-send`` handler answering every request with HTTP 500 (register it per operation)."""
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"

    def handler(request: Any, **_: Any) -> Any:
        return AWSResponse(request.url, 500, {}, Raw())

    return handler


def test_failed_listing_never_deletes(estate: Estate) -> None:
    estate.put("raw/ga_web/t/a.parquet", parquet_bytes(pa.table({"x": [1]}), 1))
    assert estate.scan().exit_code == 0
    estate.session.events.register("before-send.s3.ListObjectsV2", _always_fail())
    report = estate.scan(mark_deleted=True, deleted_action="delete", max_attempts=2)
    assert report.exit_code == 2
    assert report.listing_error and "InternalError" in report.listing_error
    assert report.outcomes == []
    assert estate.table("ga_web", "t")["Parameters"].get("dataproduct.status") is None


def test_injected_server_errors_are_retried(estate: Estate) -> None:
    from botocore.awsrequest import AWSResponse

    seed_all_formats(estate)
    counter = {"n": 0, "injected": 0}
    lock = threading.Lock()

    class Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_: Any) -> Any:
            yield self.body

    def flaky(request: Any, **_: Any) -> Any:
        with lock:
            counter["n"] += 1
            fail = counter["n"] % 3 == 0  # a third of all requests
            if fail:
                counter["injected"] += 1
        if not fail:
            return None
        if "glue" in request.url or request.headers.get("X-Amz-Target", b""):
            body = b'{"__type": "InternalServiceException", "message": "injected"}'
        else:
            body = b"<Error><Code>SlowDown</Code><Message>injected</Message></Error>"
        return AWSResponse(request.url, 503, {}, Raw(body))

    estate.session.events.register("before-send", flaky)
    report = estate.scan(max_attempts=8)
    assert counter["injected"] > 5
    assert report.exit_code == 0, [(o.dataset, o.message) for o in report.failed]
    assert report.stats.retries >= counter["injected"] - 1
    assert {o.action for o in report.outcomes} == {"created"}
    assert estate.columns("ga_web", "events")[0] == ("event_id", "int")


def test_filters_and_only(estate: Estate) -> None:
    body = parquet_bytes(pa.table({"x": [1]}), 1)
    for key in ("ga_web/a", "ga_web/tmp_b", "other/c", "ga_app/d"):
        estate.put(f"raw/{key}/part.parquet", body)
    report = estate.scan(
        schema_filter=FilterPattern.model_validate({"includes": ["^ga_.*"]}),
        table_filter=FilterPattern.model_validate({"excludes": ["^tmp_.*"]}),
    )
    assert sorted(o.dataset for o in report.outcomes) == ["a", "d"]
    assert sorted(report.excluded) == ["ga_web/tmp_b", "other/c"]
    report = estate.scan(only=["other"])
    assert [(o.collection, o.dataset) for o in report.outcomes] == [("other", "c")]


def test_dry_run_writes_nothing(estate: Estate) -> None:
    seed_all_formats(estate)
    report = estate.scan(dry_run=True)
    assert report.exit_code == 0
    assert {o.action for o in report.outcomes} == {"created"}
    assert estate.glue_writes() == 0
    with pytest.raises(estate.glue.exceptions.EntityNotFoundException):
        estate.glue.get_database(Name=estate.db("ga_web"))


def test_tables_not_made_by_the_scanner_are_left_alone(estate: Estate) -> None:
    estate.put("raw/ga_web/manual/a.parquet", parquet_bytes(pa.table({"x": [1]}), 1))
    estate.glue.create_database(DatabaseInput={"Name": estate.db("ga_web")})
    estate.glue.create_table(
        DatabaseName=estate.db("ga_web"),
        TableInput={"Name": "manual", "StorageDescriptor": {"Columns": [{"Name": "y", "Type": "int"}]}},
    )
    report = estate.scan()
    assert report.exit_code == 2
    assert "not registered by the scanner" in (report.outcomes[0].message or "")
    assert estate.columns("ga_web", "manual") == [("y", "int")]


def test_missing_bucket_is_bad_input(estate: Estate) -> None:
    report = estate.scan(bucket=f"missing-{uuid.uuid4().hex[:8]}")
    assert report.exit_code == 1
    assert report.input_error and "NoSuchBucket" in report.input_error


def _raise_on(operation: str, error: Exception, times: int = 1_000) -> Any:
    """A ``before-send`` handler that fails the first ``times`` requests of ``operation``
    (an ``X-Amz-Target`` suffix for Glue) with ``error``."""
    seen = {"n": 0}

    def handler(request: Any, **_: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        if target.endswith(f".{operation}") and seen["n"] < times:
            seen["n"] += 1
            raise error
        return None

    return handler


def _partitions(e: Estate, collection: str, table: str) -> list[list[str]]:
    reply = e.glue.get_partitions(DatabaseName=e.db(collection), TableName=table)
    return sorted(p["Values"] for p in reply["Partitions"])


def test_a_table_whose_partitions_failed_is_scanned_again_by_the_next_scan(estate: Estate) -> None:
    from botocore.exceptions import ConnectionClosedError

    data = parquet_bytes(events_table(100), 50)
    for day in ("2024-01-01", "2024-01-02"):
        estate.put(f"raw/ga_web/events/dt={day}/part-0.parquet", data)
    reset = ConnectionClosedError(endpoint_url=estate.endpoint)
    estate.session.events.register("before-send", _raise_on("BatchCreatePartition", reset))
    failed = estate.scan(max_attempts=2)
    assert failed.exit_code == 2
    assert [o.action for o in failed.outcomes] == ["failed"]
    assert _partitions(estate, "ga_web", "events") == []

    estate.new_session()
    clean = estate.scan()
    assert clean.exit_code == 0, [o.message for o in clean.failed]
    assert [o.action for o in clean.outcomes] == ["updated"]  # not "unchanged": it was never finished
    assert _partitions(estate, "ga_web", "events") == [["2024-01-01"], ["2024-01-02"]]
    assert [o.action for o in estate.scan().outcomes] == ["unchanged"]


def test_per_item_errors_of_a_batch_call_fail_the_dataset_until_a_scan_finishes_it(estate: Estate) -> None:
    from botocore.awsrequest import AWSResponse

    estate.put("raw/ga_web/events/dt=2024-01-01/part-0.parquet", parquet_bytes(events_table(100), 50))

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield json.dumps(
                {
                    "Errors": [
                        {
                            "PartitionValues": ["2024-01-01"],
                            "ErrorDetail": {"ErrorCode": "AccessDeniedException", "ErrorMessage": "no"},
                        }
                    ]
                }
            ).encode()

    def refuse_items(request: Any, **_: Any) -> Any:
        if request.headers.get("X-Amz-Target", b"").endswith(b".BatchCreatePartition"):
            return AWSResponse(request.url, 200, {}, Raw())
        return None

    estate.session.events.register("before-send", refuse_items)
    failed = estate.scan()
    assert failed.exit_code == 2
    assert "AccessDeniedException" in (failed.outcomes[0].message or "")
    estate.new_session()
    clean = estate.scan()
    assert clean.exit_code == 0 and [o.action for o in clean.outcomes] == ["updated"]
    assert _partitions(estate, "ga_web", "events") == [["2024-01-01"]]


def test_a_cut_off_partition_listing_fails_the_dataset_instead_of_reading_as_no_partitions(
    estate: Estate,
) -> None:
    from botocore.awsrequest import AWSResponse

    data = parquet_bytes(events_table(100), 50)
    for day in ("2024-01-01", "2024-01-02"):
        estate.put(f"raw/ga_web/events/dt={day}/part-0.parquet", data)
    assert estate.scan().exit_code == 0
    estate.s3.delete_object(Bucket=estate.bucket, Key="raw/ga_web/events/dt=2024-01-01/part-0.parquet")
    estate.put("raw/ga_web/events/dt=2024-01-03/part-0.parquet", data)

    class Cut:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_: Any) -> Any:
            yield self.body[: len(self.body) // 2]

    def cut(request: Any, **_: Any) -> Any:
        # The real reply, half of its body under the whole body's Content-Length.
        if not request.headers.get("X-Amz-Target", b"").endswith(b".GetPartitions"):
            return None
        whole = estate.glue._endpoint.http_session.send(request)
        return AWSResponse(request.url, whole.status_code, dict(whole.headers), Cut(whole.content))

    estate.session.events.register("before-send", cut)
    report = estate.scan()
    assert report.exit_code == 2
    assert "incomplete reply to glue.GetPartitions" in (report.outcomes[0].message or "")
    # nothing was taken for "no partitions": the stale one is still there, to be removed by a clean scan
    estate.new_session()
    clean = estate.scan()
    assert clean.exit_code == 0 and [o.action for o in clean.outcomes] == ["updated"]
    assert _partitions(estate, "ga_web", "events") == [["2024-01-02"], ["2024-01-03"]]


def test_bucket_name_s3_cannot_have_is_bad_input(estate: Estate) -> None:
    report = estate.scan(bucket="Bad_Bucket!!")
    assert report.exit_code == 1
    assert report.input_error and "Bad_Bucket!!" in report.input_error and report.listing_error is None
