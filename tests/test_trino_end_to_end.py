"""End to end: the seed's data product answers SQL on a real Trino.

moto (S3 + Glue + Secrets Manager on 127.0.0.1) holds the stack as ``pulumi up`` would leave it and
the seed's datasets: GA sessions as Parquet partitioned by date, traffic sources as CSV, campaigns
as quoted CSV, events as JSON lines (plain and gzip), and the product's output, traffic by source,
as an Iceberg table that Trino itself writes. ``dataproduct scan`` registers them in Glue; the
cluster ``tests/fixtures/trino_e2e/cluster.yaml`` (the hive catalog of the seed's S3 depot and the
iceberg catalog of its lakehouse depot, pointed at moto) boots on the real pinned Trino; queries
return the rows written; ``dataproduct query`` prints them; ``dataproduct drift --live`` finds the
stack and the Trino cluster in sync.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers.aws import REGION, MotoServer, fake_aws_env
from helpers.cli import run_dataproduct
from helpers.deployed import deploy_stack
from helpers.trino_server import LocalCluster, credential_values

from dataproduct_iac.drift.live import AwsClients
from dataproduct_iac.graph import Graph, resolve
from dataproduct_iac.loader import load
from dataproduct_iac.manifests.cluster import Cluster
from dataproduct_iac.manifests.depot import Depot
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.scanner import glue as scanner_glue
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.stack_config import stack_settings
from dataproduct_iac.trino import render_cluster
from dataproduct_iac.trino.client import QueryResult, TrinoConnection, execute

pytestmark = [pytest.mark.trino, pytest.mark.integration]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "traffic-source-analysis"
STACK = "local"
MANIFESTS = [
    EXAMPLE / "manifests" / "depot.yaml",
    EXAMPLE / "manifests" / "secrets.yaml",
    EXAMPLE / "manifests" / "cluster-depots.yaml",
    EXAMPLE / "manifests" / "scanner.yaml",
    ROOT / "tests" / "fixtures" / "trino_e2e" / "cluster.yaml",
]
VALUES = EXAMPLE / "values.yaml"

# -- the seed's datasets ----------------------------------------------------------------------------
SESSIONS = {
    "2024-01-01": [
        (1, "google", 3, 12.5, datetime(2024, 1, 1, 8, 0)),
        (2, "newsletter", 1, 0.0, datetime(2024, 1, 1, 9, 30)),
        (3, "google", 5, 40.25, datetime(2024, 1, 1, 12, 15)),
        (4, "direct", 2, 7.0, datetime(2024, 1, 1, 18, 45)),
        (5, "bing", 1, 0.0, datetime(2024, 1, 1, 23, 59)),
        (6, "google", 4, 3.75, datetime(2024, 1, 1, 6, 5)),
    ],
    "2024-01-02": [
        (7, "newsletter", 2, 15.0, datetime(2024, 1, 2, 10, 0)),
        (8, "direct", 6, 99.99, datetime(2024, 1, 2, 11, 11)),
        (9, "google", 1, 0.0, datetime(2024, 1, 2, 14, 30)),
        (10, "bing", 3, 5.5, datetime(2024, 1, 2, 20, 20)),
    ],
}
TRAFFIC_SOURCES = [
    ("google", "organic", 0.0, 1),
    ("newsletter", "email", 0.15, 2),
    ("direct", "none", 0.0, 3),
    ("bing", "cpc", 0.42, 4),
]
CAMPAIGNS = [
    ("Spring sale", "newsletter", 'Subject "Save 20%", sent Mon, Wed'),
    ("Brand, search", "google", "Always on"),
    ("Retargeting", "bing", "Paused, budget review"),
]
EVENTS = [
    {"event_id": 1, "source": "google", "kind": "pageview", "value": 1.0, "page": {"path": "/", "ms": 120}},
    {"event_id": 2, "source": "google", "kind": "click", "value": 2.5, "page": {"path": "/buy", "ms": 80}},
    {"event_id": 3, "source": "bing", "kind": "pageview", "value": 1.0, "page": {"path": "/", "ms": 300}},
]
EVENTS_GZIP = [
    {"event_id": 4, "source": "newsletter", "kind": "click", "value": 4.0, "page": {"path": "/s", "ms": 50}},
    {"event_id": 5, "source": "direct", "kind": "purchase", "value": 99.99, "page": {"path": "/c", "ms": 9}},
]


def _parquet(rows: list[tuple[int, str, int, float, datetime]]) -> bytes:
    table = pa.table(
        {
            "session_id": pa.array([r[0] for r in rows], pa.int64()),
            "source": pa.array([r[1] for r in rows], pa.string()),
            "visits": pa.array([r[2] for r in rows], pa.int32()),
            "revenue": pa.array([r[3] for r in rows], pa.float64()),
            "started_at": pa.array([r[4] for r in rows], pa.timestamp("ms")),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _csv(header: list[str], rows: list[tuple[Any, ...]], *, quote_all: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n"
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def upload_datasets(s3: Any, bucket: str) -> None:
    """The seed's GA export under the depot's relativePath ``raw``: ``<collection>/<dataset>/...``."""
    base = "raw/ga_sessions"
    for day, rows in SESSIONS.items():
        s3.put_object(Bucket=bucket, Key=f"{base}/sessions/date={day}/part-0.parquet", Body=_parquet(rows))
    s3.put_object(
        Bucket=bucket,
        Key=f"{base}/traffic_sources/part-0.csv",
        Body=_csv(["source", "medium", "cost_per_click", "rank"], TRAFFIC_SOURCES, quote_all=False),
    )
    s3.put_object(
        Bucket=bucket,
        Key=f"{base}/campaigns/part-0.csv",
        Body=_csv(["name", "source", "notes"], CAMPAIGNS, quote_all=True),
    )
    s3.put_object(Bucket=bucket, Key=f"{base}/events/part-0.jsonl", Body=_jsonl(EVENTS))
    s3.put_object(
        Bucket=bucket, Key=f"{base}/events/part-1.jsonl.gz", Body=gzip.compress(_jsonl(EVENTS_GZIP))
    )


# -- the estate -------------------------------------------------------------------------------------


@dataclass
class Estate:
    moto: MotoServer
    env: dict[str, str]
    settings: StackSettings
    graph: Graph
    cluster: LocalCluster
    scans: dict[str, str]
    """Depot → the scan command's output."""

    @property
    def trino(self) -> TrinoConnection:
        return TrinoConnection(server=self.cluster.url, user="analyst", timeout=300)

    def sql(self, statement: str) -> QueryResult:
        return execute(self.trino, statement)

    def cli(self, *args: str) -> Any:
        return run_dataproduct(*args, cwd=ROOT, env=self.env, timeout=600)

    def manifest_args(self) -> list[str]:
        return [*map(str, MANIFESTS), "--values", str(VALUES), "--set", f"aws-endpoint={self.moto.url}"]


def _graph(endpoint: str) -> Graph:
    values = ValueSources(
        set_values={"aws-endpoint": endpoint}, files=[read_values_file(VALUES)], environment={}
    )
    return resolve(load(MANIFESTS, values))


def _scan(estate_env: dict[str, str], args: list[str], depot: str) -> str:
    result = run_dataproduct("scan", *args, "--depot", depot, "--stack", STACK, cwd=ROOT, env=estate_env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def estate(trino_server_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    moto = MotoServer()
    moto.start()
    try:
        env = fake_aws_env(moto.url)
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv("AWS_PROFILE", raising=False)
            for name, value in env.items():
                patch.setenv(name, value)
            settings = stack_settings(STACK, start=ROOT)
            graph = _graph(moto.url)
            aws = AwsClients.create(REGION)
            deploy_stack(
                graph,
                settings,
                aws,
                before_policies=lambda: upload_datasets(aws.s3, settings.bucket_name("ga-data")),
            )

        args = [*map(str, MANIFESTS), "--values", str(VALUES), "--set", f"aws-endpoint={moto.url}"]
        scans = {"s3depot": _scan(env, args, "s3depot")}

        node = graph.get("cluster", "e2eminerva")
        assert node is not None and isinstance(node.manifest, Cluster)
        depots = {k[1]: n.manifest for k, n in graph.nodes.items() if isinstance(n.manifest, Depot)}
        secrets = {d: graph.depot_secrets(d) for d in depots}
        rendered = render_cluster(node.manifest, depots, secrets, settings)
        cluster = LocalCluster(rendered, tmp_path_factory.mktemp("e2e"), credential_values(rendered, secrets))
        cluster.start()
        for started in cluster.nodes:
            print(f"{started.name}: started in {started.boot_seconds:.1f} s")
        try:
            estate = Estate(moto, env, settings, graph, cluster, scans)
            _write_iceberg_output(estate)
            scans["icebase"] = _scan(env, args, "icebase")
            yield estate
        finally:
            cluster.stop()
    finally:
        moto.stop()


def _write_iceberg_output(estate: Estate) -> None:
    """The product's output, written by Trino into the lakehouse depot's layout, then forgotten by Glue
    (the files stay), so that the scanner is what registers it."""
    bucket = estate.settings.bucket_name("icebase-lakehouse")
    location = f"s3://{bucket}/warehouse/traffic_analysis/traffic_by_source"
    hive_schema = estate.settings.glue_database_name("s3depot", "ga_sessions")
    estate.sql(f"CREATE SCHEMA icebase.e2e_scratch WITH (location = 's3://{bucket}/scratch')")
    estate.sql(
        f"CREATE TABLE icebase.e2e_scratch.traffic_by_source WITH (location = '{location}') AS "
        f"SELECT source, count(*) AS sessions, sum(visits) AS visits "
        f"FROM s3depot.{hive_schema}.sessions GROUP BY source"
    )
    glue = boto3.client("glue", region_name=REGION, endpoint_url=estate.moto.url, **_keys(estate.env))
    glue.delete_table(DatabaseName="e2e_scratch", Name="traffic_by_source")
    glue.delete_database(Name="e2e_scratch")


def _keys(env: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }


def _schema(estate: Estate, depot: str, collection: str) -> str:
    return estate.settings.glue_database_name(depot, collection)


# -- the queries ------------------------------------------------------------------------------------


def test_parquet_partitioned_by_date(estate: Estate) -> None:
    table = f"s3depot.{_schema(estate, 's3depot', 'ga_sessions')}.sessions"
    counts = estate.sql(f'SELECT "date", count(*), sum(visits) FROM {table} GROUP BY "date" ORDER BY 1')
    expected = [(day, len(rows), sum(r[2] for r in rows)) for day, rows in sorted(SESSIONS.items())]
    assert counts.rows == expected
    row = estate.sql(
        f"SELECT session_id, source, visits, revenue, started_at FROM {table} WHERE session_id = 8"
    )
    assert row.rows == [(8, "direct", 6, 99.99, datetime(2024, 1, 2, 11, 11))]
    assert row.types == ["bigint", "varchar", "integer", "double", "timestamp(3)"]
    pruned = estate.sql(f"SELECT count(*) FROM {table} WHERE \"date\" = '2024-01-02'")
    assert pruned.rows == [(len(SESSIONS["2024-01-02"]),)]


def test_csv_with_inferred_types(estate: Estate) -> None:
    table = f"s3depot.{_schema(estate, 's3depot', 'ga_sessions')}.traffic_sources"
    result = estate.sql(f"SELECT source, medium, cost_per_click, rank FROM {table} ORDER BY rank")
    assert result.rows == [tuple(r) for r in TRAFFIC_SOURCES]  # the header line is skipped
    assert result.types == ["varchar", "varchar", "double", "bigint"]  # the scanner infers bigint


def test_quoted_csv(estate: Estate) -> None:
    table = f"s3depot.{_schema(estate, 's3depot', 'ga_sessions')}.campaigns"
    result = estate.sql(f"SELECT name, source, notes FROM {table} ORDER BY name")
    assert result.rows == sorted(CAMPAIGNS)


def test_json_lines_plain_and_gzip(estate: Estate) -> None:
    table = f"s3depot.{_schema(estate, 's3depot', 'ga_sessions')}.events"
    result = estate.sql(
        f"SELECT event_id, source, kind, value, page.path, page.ms FROM {table} ORDER BY event_id"
    )
    expected = [
        (e["event_id"], e["source"], e["kind"], e["value"], e["page"]["path"], e["page"]["ms"])
        for e in [*EVENTS, *EVENTS_GZIP]
    ]
    assert result.rows == expected


def test_iceberg_output_registered_by_the_scanner(estate: Estate) -> None:
    table = f"icebase.{_schema(estate, 'icebase', 'traffic_analysis')}.traffic_by_source"
    result = estate.sql(f"SELECT source, sessions, visits FROM {table} ORDER BY source")
    sessions = [r for rows in SESSIONS.values() for r in rows]
    counts = Counter(r[1] for r in sessions)
    visits = Counter[str]()
    for r in sessions:
        visits[r[1]] += r[2]
    assert result.rows == [(source, counts[source], visits[source]) for source in sorted(counts)]


def test_every_table_format_the_scanner_writes_is_queried(estate: Estate) -> None:
    """Each SerDe (and Iceberg) the scanner can write appears among the tables queried above."""
    glue = boto3.client("glue", region_name=REGION, endpoint_url=estate.moto.url, **_keys(estate.env))
    seen: set[str] = set()
    for depot, collection in (("s3depot", "ga_sessions"), ("icebase", "traffic_analysis")):
        for table in glue.get_tables(DatabaseName=_schema(estate, depot, collection))["TableList"]:
            if (table.get("Parameters") or {}).get("table_type") == "ICEBERG":
                seen.add("ICEBERG")
            else:
                seen.add(table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"])
    serdes = {v for k, v in vars(scanner_glue).items() if k.endswith("_SERDE") and isinstance(v, str)}
    assert serdes | {"ICEBERG"} == seen


def test_dataproduct_query_prints_the_rows(estate: Estate) -> None:
    table = f"s3depot.{_schema(estate, 's3depot', 'ga_sessions')}.sessions"
    sql = f"SELECT source, count(*) AS sessions FROM {table} GROUP BY source ORDER BY source"
    result = estate.cli("query", "--server", estate.cluster.url, "--user", "analyst", "--format", "csv", sql)
    assert result.returncode == 0, result.stderr
    counts = Counter(r[1] for rows in SESSIONS.values() for r in rows)
    assert result.stdout == "source,sessions\n" + "".join(f"{s},{n}\n" for s, n in sorted(counts.items()))
    table_view = estate.cli("query", "--server", estate.cluster.url, "--user", "analyst", sql)
    assert table_view.returncode == 0 and table_view.stdout.rstrip().endswith(f"({len(counts)} rows)")


def test_drift_live_finds_the_stack_and_trino_in_sync(estate: Estate) -> None:
    result = estate.cli(
        "drift", "--live", *estate.manifest_args(), "--stack", STACK, "--trino-url", estate.cluster.url,
        "--format", "json", "--all",
    )  # fmt: skip
    report = json.loads(result.stdout)
    trino = [f for f in report["findings"] if f["resource"].startswith("trino cluster e2eminerva")]
    assert {f["check"] for f in trino} == {"coordinator", "workers", "version", "catalogs"}
    assert all(f["status"] == "in_sync" for f in trino), trino
    assert report["counts"]["drifted"] == 0 and report["counts"]["unknown"] == 0, report
    assert result.returncode == 0, result.stderr


def test_scan_reports_every_dataset(estate: Estate) -> None:
    for name in ("sessions", "traffic_sources", "campaigns", "events"):
        assert name in estate.scans["s3depot"]
    assert "traffic_by_source" in estate.scans["icebase"]


def test_the_sessions_are_dated(estate: Estate) -> None:
    table = f"s3depot.{_schema(estate, 's3depot', 'ga_sessions')}.sessions"
    result = estate.sql(f'SELECT DISTINCT CAST("date" AS date) FROM {table} ORDER BY 1')
    assert result.rows == [(date(2024, 1, 1),), (date(2024, 1, 2),)]
