"""Faults between the tool and AWS. A TCP proxy on 127.0.0.1 (``benchmarks/netem.py``) sits between the
scanner or the live drift checks and this module's own moto server, and resets (before or after the
server handled the request), delays, truncates or black-holes the requests that match a pattern; the
server is also killed and restarted.

After every fault the run's exit code is honest, nothing is recorded as done that was not done, a
failed listing deletes nothing, drift never reads a broken reply as drift or as in sync, and one clean
scan afterwards converges: every dataset's table committed (its fingerprint written) with exactly the
partitions its directories hold.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers.aws import REGION, MotoServer, fake_aws_env
from helpers.netem import Netem

from dataproduct_iac.drift.live import (
    AwsClients,
    BucketTarget,
    DatabaseTarget,
    Desired,
    SecretTarget,
    TableTarget,
    digest,
    exit_code,
    run_checks,
)
from dataproduct_iac.scanner import DatabaseNaming, ScanSettings, scan_depot
from dataproduct_iac.scanner.glue import P_FINGERPRINT
from dataproduct_iac.settings import StackSettings

pytestmark = pytest.mark.integration

GLUE = r"X-Amz-Target: AWSGlue\."
LISTING = r"^GET /[^ ]*\?list-type=2"
GET_OBJECT = r"(?s)^GET /[^? ]+/[^? ]+ .*\r\n[Rr]ange: "


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    """A moto server of this module alone: a test here may kill it."""
    moto = MotoServer()
    moto.start()
    try:
        yield moto
    finally:
        moto.stop()


@pytest.fixture
def proxy(server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Netem]:
    """The fault proxy in front of ``server``; the environment points at the server itself (seeding and
    checking go there directly, the code under test through the proxy)."""
    if server.process is None:  # killed by an earlier test that failed before restarting it
        server.start()
    for name, value in fake_aws_env(server.url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    proxy = Netem(server.port, latency_s=0.0)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def parquet(rows: int = 20) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"id": pa.array(range(rows), pa.int64()), "v": ["x"] * rows}), buf)
    return buf.getvalue()


class Depot:
    """A bucket with a partitioned and an unpartitioned dataset, scanned through the proxy."""

    def __init__(self, proxy: Netem) -> None:
        self.proxy = proxy
        self.bucket = f"faults-{uuid.uuid4().hex[:12]}"
        self.depot = f"f{uuid.uuid4().hex[:8]}"
        self.s3 = boto3.client("s3")  # straight to moto
        self.glue = boto3.client("glue")

    def seed(self) -> Depot:
        self.s3.create_bucket(Bucket=self.bucket)
        for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
            self.put(f"raw/ga/events/dt={day}/part-0.parquet")
        self.put("raw/ga/users/part-0.parquet")
        return self

    def put(self, key: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=parquet())

    def scan(self, **overrides: Any) -> Any:
        values: dict[str, Any] = {
            "bucket": self.bucket,
            "prefix": "raw",
            "depot": self.depot,
            "endpoint_url": self.proxy.url,
            "session": boto3.session.Session(),
            "concurrency": 2,
            "database_naming": DatabaseNaming(f"{self.depot}_{{collection}}"),
            "connect_timeout": 1,
            "read_timeout": 2,
            "max_attempts": 3,
            "retry_budget": 4,
        }
        values.update(overrides)
        return scan_depot(ScanSettings(**values))

    def expected(self) -> dict[str, set[tuple[str, ...]]]:
        """Dataset → the partition values its directories hold (what the catalog must say)."""
        out: dict[str, set[tuple[str, ...]]] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="raw/"):
            for item in page.get("Contents", []):
                _, _, dataset, *dirs = item["Key"].split("/")
                out.setdefault(dataset, set())
                if len(dirs) > 1:
                    out[dataset].add(tuple(d.split("=", 1)[1] for d in dirs[:-1]))
        return out

    def catalog(self) -> dict[str, tuple[bool, set[tuple[str, ...]]]]:
        """Table → (committed: its fingerprint written, its partitions), as Glue has them."""
        database = f"{self.depot}_ga"
        try:
            tables = self.glue.get_tables(DatabaseName=database)["TableList"]
        except self.glue.exceptions.EntityNotFoundException:
            return {}
        out = {}
        for table in tables:
            partitions = self.glue.get_partitions(DatabaseName=database, TableName=table["Name"])[
                "Partitions"
            ]
            out[table["Name"]] = (
                P_FINGERPRINT in (table.get("Parameters") or {}),
                {tuple(p["Values"]) for p in partitions},
            )
        return out

    def converged(self) -> bool:
        return self.catalog() == {name: (True, parts) for name, parts in self.expected().items()}


@dataclass(frozen=True)
class Case:
    """A fault, the exit code of the scan it hits, and what is checked in between."""

    faults: list[dict[str, Any]]
    exit_code: int
    scanned_before: bool = False
    """A clean scan first, then a partition added and one removed (the faulty scan has to change both)."""
    scan: dict[str, Any] | None = None
    message: str | None = None
    """In the report of the faulty scan (a dataset's message or the listing error)."""


CASES = {
    "reset before BatchCreatePartition, every attempt": Case(
        [{"action": "reset", "pattern": GLUE + "BatchCreatePartition"}], 2, message="ConnectionClosedError"
    ),
    "reset after CreateTable (the table exists), every attempt": Case(
        [{"action": "reset-after", "pattern": GLUE + "CreateTable"}], 2
    ),
    "reset after BatchCreatePartition, first attempt only": Case(
        [{"action": "reset-after", "pattern": GLUE + "BatchCreatePartition", "times": 1}], 0
    ),
    "truncated CreateTable reply, every attempt": Case(
        [{"action": "truncate", "pattern": GLUE + "CreateTable"}], 2, message="incomplete reply to glue"
    ),
    "truncated GetPartitions reply, every attempt": Case(
        [{"action": "truncate", "pattern": GLUE + "GetPartitions"}],
        2,
        scanned_before=True,
        message="incomplete reply to glue.GetPartitions",
    ),
    "truncated listing page, every attempt (markDeletedTables: delete)": Case(
        [{"action": "truncate", "pattern": LISTING}],
        2,
        scanned_before=True,
        scan={"mark_deleted": True, "deleted_action": "delete"},
        message="the listing is incomplete: incomplete reply to s3.ListObjectsV2",
    ),
    "truncated GetObject bodies, every attempt": Case(
        [{"action": "truncate", "pattern": GET_OBJECT}], 2, message="incomplete reply to s3.GetObject"
    ),
    "GetObject delayed 0.3 s": Case([{"action": "delay", "pattern": GET_OBJECT, "seconds": 0.3}], 0),
    "black-holed GetTable(s)": Case([{"action": "blackhole", "pattern": GLUE + "GetTable"}], 2),
    "every request reset": Case([{"action": "reset", "pattern": ""}], 2, message="ConnectionClosedError"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_after_a_fault_one_clean_scan_converges(proxy: Netem, name: str) -> None:
    case = CASES[name]
    depot = Depot(proxy).seed()
    if case.scanned_before:
        assert depot.scan().exit_code == 0
        depot.put("raw/ga/events/dt=2024-01-04/part-0.parquet")
        depot.s3.delete_object(Bucket=depot.bucket, Key="raw/ga/events/dt=2024-01-01/part-0.parquet")
    before = depot.catalog()
    for fault in case.faults:
        proxy.add_fault(**fault)
    report = depot.scan(**(case.scan or {}))
    proxy.clear_faults()

    assert report.exit_code == case.exit_code, report.as_dict()
    if case.message is not None:
        messages = [report.listing_error or ""] + [o.message or "" for o in report.outcomes]
        assert any(case.message in m for m in messages), messages
    if report.listing_error:
        assert depot.catalog() == before  # a failed listing writes and deletes nothing
        assert report.stats.retries == 2  # both retries of the page are counted
    after, expected = depot.catalog(), depot.expected()

    clean = depot.scan()
    assert clean.exit_code == 0, clean.as_dict()
    assert depot.converged(), (depot.catalog(), expected)
    failed = {o.table for o in report.failed}
    for outcome in clean.outcomes:
        # A dataset the faulty scan did not finish is taken up again, unless it was finished after all
        # (the server did the work and only the reply was lost).
        if outcome.table in failed and outcome.action == "unchanged":
            assert after.get(outcome.table) == (True, expected[outcome.dataset]), outcome
    assert {o.action for o in depot.scan().outcomes} == {"unchanged"}


def test_every_attempt_and_retry_of_a_black_holed_request_is_within_the_budget(proxy: Netem) -> None:
    depot = Depot(proxy).seed()
    hole = proxy.add_fault("blackhole", LISTING)
    report = depot.scan(max_attempts=10, read_timeout=1, retry_budget=1.5)
    assert report.exit_code == 2 and "ReadTimeoutError" in (report.listing_error or "")
    assert 2 <= hole.hits < 10  # attempts stop at the budget, not at max_attempts
    assert report.stats.retries == hole.hits - 1


def test_a_server_killed_during_the_scan_then_restarted_converges(proxy: Netem, server: MotoServer) -> None:
    depot = Depot(proxy).seed()
    keys = [f"raw/ga/events/dt={d}/part-0.parquet" for d in ("2024-01-01", "2024-01-02", "2024-01-03")]
    keys.append("raw/ga/users/part-0.parquet")
    killed: list[str] = []

    def kill_at_the_first_write(request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        if b"CreateTable" in target and not killed:
            killed.append(target.decode())
            server.kill()

    session = boto3.session.Session()
    session.events.register("before-send", kill_at_the_first_write)
    try:
        report = depot.scan(session=session, retry_budget=2)
    finally:
        if server.process is None:
            server.start()
    assert killed and report.exit_code == 2, report.as_dict()
    # The restarted server is empty (moto keeps nothing); the objects come back, as S3 would keep them.
    depot.s3 = boto3.client("s3")
    depot.glue = boto3.client("glue")
    depot.s3.create_bucket(Bucket=depot.bucket)
    for key in keys:
        depot.put(key)
    clean = depot.scan()
    assert clean.exit_code == 0 and depot.converged(), clean.as_dict()


def test_concurrent_scans_of_one_depot_converge(proxy: Netem) -> None:
    depot = Depot(proxy).seed()
    for day in range(4, 12):
        depot.put(f"raw/ga/events/dt=2024-01-{day:02d}/part-0.parquet")
    reports: list[Any] = []
    lock = threading.Lock()

    def scan() -> None:
        report = depot.scan()
        with lock:
            reports.append(report)

    threads = [threading.Thread(target=scan) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.exit_code for r in reports] == [0, 0, 0], [r.as_dict() for r in reports if r.exit_code]
    assert depot.converged()
    assert {o.action for o in depot.scan().outcomes} == {"unchanged"}


# -- live drift ------------------------------------------------------------------------------------
SETTINGS = StackSettings(stack="faults", environment="faults")


def deployed_estate() -> Desired:
    """A secret, a bucket, a Glue database and table as the stack would have made them (straight to
    moto), and the desired state that says so."""
    suffix = uuid.uuid4().hex[:8]
    desired = Desired()
    secretsmanager, s3, glue = (boto3.client(s, region_name=REGION) for s in ("secretsmanager", "s3", "glue"))
    values = {"user": "reader", "password": "not-a-real-password"}
    tags = {"dataproduct:name": "lake-r", "environment": "faults"}
    secretsmanager.create_secret(
        Name=f"lake-r-{suffix}",
        SecretString=json.dumps(values),
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    desired.secrets.append(
        SecretTarget(
            "lake-r",
            f"lake-r-{suffix}",
            {k: digest(desired.salt, v) for k, v in values.items()},
            [],
            tags,
            desired.salt,
        )
    )
    bucket = f"lake-{suffix}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict.fromkeys(flags, True))
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    desired.buckets.append(BucketTarget("lake", bucket, None))
    database = f"lake_raw_{suffix}"
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput={"Name": "events"})
    desired.tables.append(TableTarget("product", "dataos://lake:raw/events", database, "events"))
    desired.databases.append(DatabaseTarget("product", "dataos://lake:raw", database))
    return desired


def test_drift_reads_cut_off_replies_as_unknown_never_as_drift_or_in_sync(
    proxy: Netem, monkeypatch: pytest.MonkeyPatch
) -> None:
    desired = deployed_estate()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    aws = AwsClients.create(REGION, SETTINGS.aws_client_settings())
    clean = run_checks(desired, aws, settings=SETTINGS)
    assert {f.status for f in clean} == {"in_sync"} and exit_code(clean) == 0, clean

    proxy.add_fault("truncate", r"^(GET|POST|PUT) ")  # every reply with a body (HEAD has none)
    findings = run_checks(desired, aws, settings=SETTINGS)
    assert [f for f in findings if f.status == "drifted"] == []
    in_sync = [(f.resource.split(" ")[0], f.check) for f in findings if f.status == "in_sync"]
    assert in_sync == [("bucket", "exists")]  # a HEAD request: nothing to cut off
    unknown = [f for f in findings if f.status == "unknown"]
    assert len(unknown) == len(findings) - 1
    assert all("IncompleteReply" in f.actual for f in unknown), [f.actual for f in unknown]
    assert exit_code(findings) == 1
