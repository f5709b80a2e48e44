"""Live drift checks against a moto server on 127.0.0.1: deploy what the stack program registers (with
boto3), tamper, detect."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers.aws import REGION, fake_aws_env, free_port
from helpers.cli import run_dataproduct
from helpers.deployed import deploy_stack

from dataproduct_iac import program
from dataproduct_iac.drift.live import (
    AwsClients,
    Desired,
    Finding,
    desired_state,
    exit_code,
    run_checks,
)
from dataproduct_iac.drift.report import render_findings
from dataproduct_iac.graph import Graph, resolve
from dataproduct_iac.loader import load
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.scanner import DatabaseNaming, ScanSettings, scan_depot
from dataproduct_iac.settings import StackSettings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "traffic-source-analysis"
SECRET_VALUES = ("example-secret-access-key", "example-redshift-password", "example-lensdb-password")

EXTERNAL = """\
name: partner
version: v2alpha
type: depot
layer: user
depot:
  type: S3
  description: A partner's drop bucket (not ours)
  external: true
  secrets:
    - name: partner-r
      allkeys: true
  s3:
    bucket: partner-drop
    region: us-east-1
---
name: partner-r
version: v1
type: instance-secret
layer: user
instance-secret:
  type: key-value
  acl: r
  data:
    accesskeyid: AKIAPARTNER0000000000
    secretkey: partner-secret-value
"""

pytestmark = pytest.mark.integration


@pytest.fixture
def manifests(tmp_path: Path) -> list[Path]:
    extra = tmp_path / "external.yaml"
    extra.write_text(EXTERNAL, encoding="utf-8")
    return [EXAMPLE / "manifests", extra]


@pytest.fixture
def graph(manifests: list[Path]) -> Graph:
    values = ValueSources(files=[read_values_file(EXAMPLE / "values.yaml")], environment={})
    return resolve(load(manifests, values))


SETTINGS = StackSettings(stack="local", environment="local", tags={"team": "marketing"})


def deploy(graph: Graph, settings: StackSettings, aws: AwsClients) -> None:
    """What `pulumi up` creates (``helpers.deployed``), then a scan of the depot's data: the drift
    checks' expectations take no part in it."""

    def partner_bucket_and_scan() -> None:
        # The partner's bucket exists (it is theirs, not the stack's).
        aws.s3.create_bucket(Bucket="partner-drop")
        # The scanner registers the depot's datasets as Glue tables, as `dataproduct scan` does.
        depot = graph.get("depot", "s3depot")
        assert depot is not None
        bucket = settings.bucket_name(depot.manifest.connection.bucket)
        for dataset in ("sessions", "traffic_sources"):
            aws.s3.put_object(
                Bucket=bucket, Key=f"raw/ga_sessions/{dataset}/part-0.csv", Body=b"id,source\n1,web\n"
            )
        report = scan_depot(
            ScanSettings(
                bucket=bucket,
                prefix="raw",
                depot="s3depot",
                database_naming=DatabaseNaming.from_stack(settings, "s3depot"),
                endpoint_url=os.environ["AWS_ENDPOINT_URL"],
            )
        )
        assert report.exit_code == 0, report.as_dict()

    deploy_stack(graph, settings, aws, before_policies=partner_bucket_and_scan)


@pytest.fixture
def deployed(empty_moto_endpoint: str, graph: Graph) -> tuple[Desired, AwsClients]:
    aws = AwsClients.create(REGION)
    deploy(graph, SETTINGS, aws)
    return desired_state(graph, SETTINGS), aws


def _check(desired: Desired, aws: AwsClients) -> list[Finding]:
    return run_checks(desired, aws, settings=SETTINGS, max_workers=4)


def _problems(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return sorted((f.status, f.resource, f.check) for f in findings if f.status != "in_sync")


def test_desired_state_of_the_example(graph: Graph) -> None:
    desired = desired_state(graph, SETTINGS)
    assert sorted(b.physical for b in desired.buckets) == ["ga-data-local", "icebase-lakehouse-local"]
    assert len(desired.secrets) == 9
    assert [(b.depot, b.bucket) for b in desired.external_buckets] == [("partner", "partner-drop")]
    assert sorted((t.database, t.table) for t in desired.tables) == [
        ("s3depot_ga_sessions_local", "sessions"),
        ("s3depot_ga_sessions_local", "traffic_sources"),
    ]
    assert [d.database for d in desired.databases] == ["icebase_traffic_analysis_local"]
    assert "redshift-r" in {s.name for s in desired.secrets}  # implicit inline secret
    assert [c.name for c in desired.clusters] == ["advancedminerva"]


def test_untouched_state_reports_no_drift(deployed: tuple[Desired, AwsClients]) -> None:
    desired, aws = deployed
    findings = _check(desired, aws)
    assert _problems(findings) == []
    assert exit_code(findings) == 0
    checks = {(f.resource.split(" ")[0], f.check) for f in findings}
    assert {
        ("secret", "exists"),
        ("secret", "keys"),
        ("secret", "values"),
        ("secret", "tags"),
        ("bucket", "versioning"),
        ("bucket", "encryption"),
        ("bucket", "public-access-block"),
        ("bucket", "tls-only-policy"),
        ("external", "reachable"),
        ("glue", "exists"),
    } <= checks
    # 9 secrets × 4 checks, 2 buckets × 5, 1 external bucket, 2 tables, 1 database
    assert len(findings) == 9 * 4 + 2 * 5 + 1 + 2 + 1


def test_suspended_versioning(deployed: tuple[Desired, AwsClients]) -> None:
    desired, aws = deployed
    aws.s3.put_bucket_versioning(Bucket="ga-data-local", VersioningConfiguration={"Status": "Suspended"})
    findings = _check(desired, aws)
    assert _problems(findings) == [("drifted", "bucket ga-data-local (depot s3depot)", "versioning")]
    [finding] = [f for f in findings if f.status == "drifted"]
    assert (finding.expected, finding.actual, finding.severity) == ("Enabled", "Suspended", "high")
    assert exit_code(findings) == 2


def test_deleted_public_access_block_and_policy(deployed: tuple[Desired, AwsClients]) -> None:
    desired, aws = deployed
    aws.s3.delete_public_access_block(Bucket="icebase-lakehouse-local")
    aws.s3.delete_bucket_policy(Bucket="ga-data-local")
    findings = _check(desired, aws)
    assert _problems(findings) == [
        ("drifted", "bucket ga-data-local (depot s3depot)", "tls-only-policy"),
        ("drifted", "bucket icebase-lakehouse-local (depot icebase)", "public-access-block"),
    ]


def test_weakened_public_access_block(deployed: tuple[Desired, AwsClients]) -> None:
    desired, aws = deployed
    aws.s3.put_public_access_block(
        Bucket="ga-data-local",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True,
        },
    )
    findings = _check(desired, aws)
    [finding] = [f for f in findings if f.status != "in_sync"]
    assert finding.check == "public-access-block" and finding.actual == "false: BlockPublicPolicy"


def test_changed_secret_key_and_value_never_printed(deployed: tuple[Desired, AwsClients]) -> None:
    desired, aws = deployed
    # a key renamed outside the code
    aws.secretsmanager.put_secret_value(
        SecretId="s3depot-r-local",
        SecretString=json.dumps(
            {
                "accesskeyid": "AKIAEXAMPLEEXAMPLE00",
                "awsaccesskeyid": "AKIAEXAMPLEEXAMPLE00",
                "awssecretaccesskey": "example-secret-access-key",
                "secret_key": "example-secret-key",
            }
        ),
    )
    # a value rotated outside the code
    aws.secretsmanager.put_secret_value(
        SecretId="lensdb-r-local",
        SecretString=json.dumps({"username": "lens_reader", "password": "rotated-by-hand-123"}),
    )
    findings = _check(desired, aws)
    assert _problems(findings) == [
        ("drifted", "secret lensdb-r (lensdb-r-local)", "values"),
        ("drifted", "secret s3depot-r (s3depot-r-local)", "keys"),
    ]
    keys = next(f for f in findings if f.status == "drifted" and f.check == "keys")
    assert keys.actual == "missing secretkey; unexpected secret_key"
    values = next(f for f in findings if f.status == "drifted" and f.check == "values")
    assert values.actual == "different value for password"
    for fmt in ("text", "markdown", "json"):
        out = render_findings(findings, fmt, stack="local", include_in_sync=True)
        for secret in (*SECRET_VALUES, "rotated-by-hand-123", "partner-secret-value"):
            assert secret not in out


def test_secret_tags_and_missing_secret(deployed: tuple[Desired, AwsClients]) -> None:
    desired, aws = deployed
    aws.secretsmanager.untag_resource(SecretId="gateway-r-local", TagKeys=["team"])
    aws.secretsmanager.delete_secret(SecretId="metisdb-r-local", ForceDeleteWithoutRecovery=True)
    findings = _check(desired, aws)
    assert _problems(findings) == [
        ("drifted", "secret gateway-r (gateway-r-local)", "tags"),
        ("drifted", "secret metisdb-r (metisdb-r-local)", "exists"),
    ]
    tags = next(f for f in findings if f.check == "tags" and f.status == "drifted")
    assert tags.actual == "team=<absent>" and tags.severity == "low"


def test_deleted_glue_table_missing_bucket_and_external_bucket(deployed: tuple[Desired, AwsClients]) -> None:
    desired, aws = deployed
    aws.glue.delete_table(DatabaseName="s3depot_ga_sessions_local", Name="traffic_sources")
    aws.glue.delete_database(Name="icebase_traffic_analysis_local")
    aws.s3.delete_bucket_policy(Bucket="icebase-lakehouse-local")
    aws.s3.delete_bucket(Bucket="icebase-lakehouse-local")
    aws.s3.delete_bucket(Bucket="partner-drop")
    findings = _check(desired, aws)
    assert _problems(findings) == [
        ("drifted", "bucket icebase-lakehouse-local (depot icebase)", "exists"),
        ("drifted", "external bucket partner-drop (depot partner)", "reachable"),
        (
            "drifted",
            "glue database icebase_traffic_analysis_local "
            "(dataos://icebase:traffic_analysis/traffic_by_source, output of traffic-source-analysis)",
            "exists",
        ),
        (
            "drifted",
            "glue table s3depot_ga_sessions_local.traffic_sources "
            "(dataos://s3depot:ga_sessions/traffic_sources, input of traffic-source-analysis)",
            "exists",
        ),
    ]


class _Denied:
    """A client whose every call fails with AccessDenied (as botocore raises it)."""

    def __getattr__(self, name: str) -> Any:
        from botocore.exceptions import ClientError

        def call(**_: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, name)

        return call


def test_api_errors_are_unknown_never_in_sync(deployed: tuple[Desired, AwsClients]) -> None:
    desired, _ = deployed
    denied = AwsClients(s3=_Denied(), secretsmanager=_Denied(), glue=_Denied())
    findings = _check(desired, denied)
    assert findings and all(f.status == "unknown" for f in findings)
    assert {f.actual for f in findings} == {"unknown: AccessDenied"}
    assert exit_code(findings) == 1


def test_unreachable_endpoint_is_unknown(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in fake_aws_env(f"http://127.0.0.1:{free_port()}").items():
        monkeypatch.setenv(key, value)
    desired = desired_state(graph, SETTINGS)
    desired.secrets = desired.secrets[:1]
    desired.buckets, desired.tables, desired.databases = [], [], []
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1)
    session = boto3.session.Session(region_name=REGION)
    aws = AwsClients(
        s3=session.client("s3", config=config),
        secretsmanager=session.client("secretsmanager", config=config),
        glue=session.client("glue", config=config),
    )
    findings = _check(desired, aws)
    assert [(f.status, f.actual) for f in findings] == [
        ("unknown", "unknown: EndpointConnectionError"),
        ("unknown", "unknown: EndpointConnectionError"),
    ]


def test_cli_live_end_to_end(
    deployed: tuple[Desired, AwsClients], manifests: list[Path], tmp_path: Path
) -> None:
    _, aws = deployed
    args = [
        "drift",
        "--live",
        *map(str, manifests),
        "--values",
        str(EXAMPLE / "values.yaml"),
        "--stack",
        "local",
        "--cwd",
        str(tmp_path),
        "--set",
        "unused=1",
    ]
    # the stack's settings come from Pulumi.local.yaml (plain values; secure ones are skipped)
    (tmp_path / "Pulumi.yaml").write_text("name: dataproduct\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.local.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  dataproduct:environment: local\n"
        "  dataproduct:tags:\n    team: marketing\n",
        encoding="utf-8",
    )
    clean = run_dataproduct(*args, "--format", "json", timeout=120)
    assert clean.returncode == 0, clean.stderr
    report = json.loads(clean.stdout)
    assert report["counts"] == {"drifted": 0, "unknown": 0, "in_sync": 50}
    assert "Trino clusters not checked" in clean.stderr

    aws.s3.put_bucket_versioning(Bucket="ga-data-local", VersioningConfiguration={"Status": "Suspended"})
    drifted = run_dataproduct(*args, timeout=120)
    assert drifted.returncode == 2, drifted.stderr
    lines = drifted.stdout.splitlines()
    assert lines[0] == "Live drift check of stack local: 1 drifted, 0 unknown, 49 in sync"
    assert lines[1].split() == ["STATUS", "SEVERITY", "RESOURCE", "CHECK", "EXPECTED", "ACTUAL"]
    assert lines[2].split()[:2] == ["drifted", "high"] and "versioning" in lines[2]
    for secret in SECRET_VALUES:
        assert secret not in drifted.stdout + drifted.stderr + clean.stdout


def test_cli_live_reads_the_stack_file(empty_moto_endpoint: str, tmp_path: Path) -> None:
    """No PATH: manifests, values and (decrypted) secrets come from stacks/Pulumi.local.yaml."""
    from dataproduct_iac.stack_config import stack_inputs

    stack_file, inputs = stack_inputs(
        "local", start=ROOT, environ={"PULUMI_CONFIG_PASSPHRASE": "local"}, environment={}
    )
    assert stack_file.notes == []
    prepared = program.prepare(inputs)
    deploy(prepared.graph, prepared.settings, AwsClients.create(REGION))

    args = ["drift", "--live", "--stack", "local"]
    env = {**os.environ, "PULUMI_CONFIG_PASSPHRASE": "local"}
    ok = run_dataproduct(*args, env=env, inherit_env=False, cwd=ROOT, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("Live drift check of stack local: 0 drifted, 0 unknown, ")

    # without the passphrase the secure values cannot be compared: unknown, exit 1, never "in sync"
    env.pop("PULUMI_CONFIG_PASSPHRASE")
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    blind = run_dataproduct(*args, "--format", "json", env=env, inherit_env=False, cwd=ROOT, timeout=120)
    assert blind.returncode == 1, blind.stderr
    unknown = [f for f in json.loads(blind.stdout)["findings"] if f["status"] == "unknown"]
    assert unknown and {f["check"] for f in unknown} == {"values"}
    assert "PULUMI_CONFIG_PASSPHRASE is not set" in blind.stderr


def test_tls_only_policy_not_expected_when_the_stack_leaves_it_out(
    graph: Graph, deployed: tuple[Desired, AwsClients]
) -> None:
    _, aws = deployed
    aws.s3.delete_bucket_policy(Bucket="ga-data-local")
    without = StackSettings(
        stack="local", environment="local", tags={"team": "marketing"}, tls_only_policy=False
    )
    findings = _check(desired_state(graph, without), aws)
    assert not [f for f in findings if f.check == "tls-only-policy"]
    assert _problems(findings) == []
    # with the default settings the same bucket is drift
    assert ("drifted", "bucket ga-data-local (depot s3depot)", "tls-only-policy") in _problems(
        _check(desired_state(graph, SETTINGS), aws)
    )
