"""``dataproduct scan`` end to end against moto: manifests mode, container (env) mode, bad input."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataproduct_iac.cli import main

pytestmark = pytest.mark.integration

SECRET_MARKER = "sekret-DO-NOT-PRINT-4242"


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "traffic-source-analysis"


def parquet() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]}), buf, row_group_size=2)
    return buf.getvalue()


def manifests(tmp_path: Path, depot: str, bucket: str) -> Path:
    (tmp_path / "m.yaml").write_text(
        f"""
name: {depot}-r
version: v1
type: instance-secret
instance-secret:
  type: key-value-properties
  acl: r
  data:
    awsaccesskeyid: AKIATESTTESTTEST
    awssecretaccesskey: {SECRET_MARKER}
---
name: {depot}
version: v2alpha
type: depot
depot:
  type: S3
  external: true
  secrets:
    - name: {depot}-r
      allkeys: true
  s3:
    bucket: {bucket}
    relativePath: /lake/
    format: parquet
---
version: v1
name: scan-{depot}
type: workflow
workflow:
  dag:
    - name: scan
      spec:
        stack: scanner:2.0
        stackSpec:
          depot: dataos://{depot}
          sourceConfig:
            config:
              markDeletedTables: true
              tableFilterPattern:
                excludes: ['^tmp_.*']
""",
        encoding="utf-8",
    )
    return tmp_path


@pytest.fixture
def bucket(moto_endpoint: str) -> str:
    name = f"cli-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="lake/sales/orders/a.parquet", Body=parquet())
    s3.put_object(Bucket=name, Key="lake/sales/tmp_scratch/a.parquet", Body=parquet())
    return name


def test_manifests_mode_json_report(tmp_path: Path, bucket: str, capsys: pytest.CaptureFixture[str]) -> None:
    depot = f"d{uuid.uuid4().hex[:6]}"
    code = main(["scan", str(manifests(tmp_path, depot, bucket)), "--depot", depot, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert [(d["collection"], d["dataset"], d["action"]) for d in report["datasets"]] == [
        ("sales", "orders", "created")
    ]
    assert report["excluded"] == ["sales/tmp_scratch"]
    assert report["prefix"] == "lake"
    # Glue database named like the stack names it (no --stack: stack 'dev').
    assert report["datasets"][0]["database"] == f"{depot}_sales_dev"
    table = boto3.client("glue").get_table(DatabaseName=f"{depot}_sales_dev", Name="orders")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "name"]
    assert SECRET_MARKER not in out + err


def test_container_mode_from_environment(
    bucket: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="lake/sales/broken/a.parquet", Body=b"nope" * 10)
    monkeypatch.setenv("DATAPRODUCT_SCAN_BUCKET", bucket)
    monkeypatch.setenv("DATAPRODUCT_SCAN_PREFIX", "lake")
    monkeypatch.setenv("DATAPRODUCT_SCAN_DEPOT", "envdepot")
    monkeypatch.setenv("DATAPRODUCT_SCAN_DATABASE_TEMPLATE", f"env_{bucket.replace('-', '_')}_{{collection}}")
    monkeypatch.setenv("DATAPRODUCT_SCAN_TABLE_EXCLUDES", '["^tmp_"]')
    code = main(["scan"])
    out, _ = capsys.readouterr()
    assert code == 2  # the broken dataset fails, the others are registered
    assert "sales/orders" in out and "created" in out
    assert "FAILED sales/broken" in out
    assert "tmp_scratch" not in out.split("FAILED")[0]
    assert "1 created, 1 failed" in out


@pytest.mark.parametrize(
    ("env", "argv", "message"),
    [
        ({}, ["scan"], "nothing to scan"),
        (
            {"DATAPRODUCT_SCAN_BUCKET": "x-bucket", "DATAPRODUCT_SCAN_BOGUS": "1"},
            ["scan"],
            "unknown scanner setting",
        ),
        (
            {"DATAPRODUCT_SCAN_BUCKET": "x-bucket", "DATAPRODUCT_SCAN_CONCURRENCY": "many"},
            ["scan"],
            "integer",
        ),
        ({}, ["scan", "--bucket", "x-bucket", "--concurrency", "0"], "concurrency"),
        (
            {},
            ["scan", "--bucket", "x-bucket", "--read-timeout", "0"],
            "read_timeout: must be a positive number",
        ),
        (
            {"DATAPRODUCT_SCAN_BUCKET": "x-bucket", "DATAPRODUCT_SCAN_RETRY_BUDGET": "soon"},
            ["scan"],
            "DATAPRODUCT_SCAN_RETRY_BUDGET must be a number of seconds",
        ),
        ({}, ["scan", "--bucket", "Bad_Bucket!!"], "s3://Bad_Bucket!!: Parameter validation failed"),
        (
            {},
            [
                "drift",
                "--live",
                str(EXAMPLE / "manifests"),
                "--values",
                str(EXAMPLE / "values.yaml"),
                "--retry-budget",
                "-1",
            ],
            "--retry-budget must be a positive number of seconds (got -1.0)",
        ),
    ],
)
def test_bad_input_exits_1(
    moto_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    argv: list[str],
    message: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_missing_bucket_exits_1(moto_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--bucket", f"missing-{uuid.uuid4().hex[:8]}"]) == 1
    assert "NoSuchBucket" in capsys.readouterr().err
