"""InstanceSecret and Depot components on the SDK's mock monitor, in preview and in update mode."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.engine import SECRET_SIG, SIG_KEY, RawMocks

from dataproduct_iac.components import Depot, DepotArgs, InstanceSecret, InstanceSecretArgs
from dataproduct_iac.manifests import Acl
from dataproduct_iac.manifests import Depot as DepotModel
from dataproduct_iac.manifests import InstanceSecret as SecretModel
from dataproduct_iac.plan import SECRET, Plan, run_program
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.stack_config import parse_settings

PASSWORD = "s3cr3t-value-never-shown"


def secret_model(name: str = "sales-r", acl: str = "r", files: dict[str, str] | None = None) -> SecretModel:
    return SecretModel.model_validate(
        {
            "name": name,
            "version": "v1",
            "type": "instance-secret",
            "layer": "user",
            "instance-secret": {
                "type": "key-value",
                "acl": acl,
                "data": {"username": "reader", "password": PASSWORD},
                "files": files or {},
            },
        }
    )


def s3_depot(external: bool = False) -> DepotModel:
    return DepotModel.model_validate(
        {
            "name": "sales",
            "version": "v2alpha",
            "type": "depot",
            "depot": {
                "type": "S3",
                "external": external,
                "secrets": [{"name": "sales-r", "allkeys": True}],
                "s3": {"bucket": "sales-lake", "relativePath": "/curated/", "format": "PARQUET"},
            },
        }
    )


def by_name(plan: Plan) -> dict[str, Any]:
    return {r.name: r for r in plan.registrations}


@pytest.fixture(params=[True, False], ids=["preview", "update"])
def preview(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def test_instance_secret_children_and_secret_value(preview: bool, tmp_path) -> None:
    cert = tmp_path / "ca.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\nxyz\n", encoding="utf-8")
    settings = StackSettings(stack="dev", kms_key_id="alias/data", secret_recovery_window_days=7)
    mocks = RawMocks(preview)
    plan = run_program(
        lambda: InstanceSecret(
            "sales-r",
            InstanceSecretArgs.from_manifest(
                secret_model(files={"ca": str(cert)}), settings, product="sales-orders"
            ),
        ),
        project="p",
        stack="dev",
        preview=preview,
        mocks=mocks,
    )
    regs = by_name(plan)
    assert regs["sales-r"].type == "dataproduct:index:InstanceSecret"
    secret, version = regs["sales-r-secret"], regs["sales-r-version"]
    assert secret.type == "aws:secretsmanager/secret:Secret"
    assert version.type == "aws:secretsmanager/secretVersion:SecretVersion"
    assert secret.parent == regs["sales-r"].urn and version.parent == regs["sales-r"].urn
    assert secret.inputs["name"] == "sales-r-dev"
    assert secret.inputs["kmsKeyId"] == "alias/data"
    assert secret.inputs["recoveryWindowInDays"] == 7
    assert secret.inputs["tags"] == {
        "dataproduct:acl": "r",
        "dataproduct:environment": "dev",
        "dataproduct:layer": "user",
        "dataproduct:name": "sales-r",
        "dataproduct:owner": "unowned",  # no owner in the manifest, the args or the stack tags
        "dataproduct:product": "sales-orders",
    }
    assert secret.protect is True
    assert secret.urn in version.depends_on
    # The engine receives the value wrapped as a secret, and it holds data and file contents.
    raw = mocks.raw["sales-r-version"]["secretString"]
    assert raw[SIG_KEY] == SECRET_SIG
    assert json.loads(raw["value"]) == {
        "ca": "-----BEGIN CERTIFICATE-----\nxyz\n",
        "password": PASSWORD,
        "username": "reader",
    }
    assert version.inputs["secretString"] == SECRET
    assert PASSWORD not in plan.to_json()


def test_secret_outputs_read_policy() -> None:
    captured: dict[str, Any] = {}

    def program() -> None:
        component = InstanceSecret(
            "x-r", InstanceSecretArgs.from_manifest(secret_model("x-r"), StackSettings(stack="dev"))
        )
        component.read_policy.apply(lambda doc: captured.setdefault("policy", json.loads(doc)))

    run_program(program, project="p", stack="dev", preview=False)
    statement = captured["policy"]["Statement"][0]
    assert statement["Action"] == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    assert statement["Effect"] == "Allow"


def test_unreadable_secret_file_is_refused_without_its_content(tmp_path) -> None:
    blob = tmp_path / "key.bin"
    blob.write_bytes(b"\xff\xfe" + PASSWORD.encode())
    with pytest.raises(ValueError, match="not UTF-8 text") as info:
        run_program(
            lambda: InstanceSecret(
                "k",
                InstanceSecretArgs.from_manifest(
                    secret_model("k", files={"key": str(blob)}), StackSettings()
                ),
            ),
            project="p",
            stack="dev",
        )
    assert PASSWORD not in str(info.value)


MANAGED_CHILDREN = {
    "sales-bucket": "aws:s3/bucket:Bucket",
    "sales-versioning": "aws:s3/bucketVersioning:BucketVersioning",
    "sales-encryption": (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ),
    "sales-public-access": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "sales-ownership": "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "sales-tls-only": "aws:s3/bucketPolicy:BucketPolicy",
    "sales-orders-db": "aws:glue/catalogDatabase:CatalogDatabase",
    "sales-returns-db": "aws:glue/catalogDatabase:CatalogDatabase",
}


def test_managed_s3_depot_without_tls_only_policy(preview: bool) -> None:
    settings = StackSettings(stack="local", tls_only_policy=False)

    def program() -> None:
        Depot("sales", DepotArgs.from_manifest(s3_depot(), settings, collections=["returns", "orders"]))

    plan = run_program(program, project="p", stack="local", preview=preview)
    depot = by_name(plan)["sales"]
    children = {r.name: r.type for r in plan.registrations if r.parent == depot.urn}
    assert children == {k: v for k, v in MANAGED_CHILDREN.items() if k != "sales-tls-only"}
    assert any("no TLS-only bucket policy" in w for w in plan.warnings)


def test_tls_only_policy_setting_from_stack_config() -> None:
    assert parse_settings({}, project="p", stack="dev").tls_only_policy is True
    local = parse_settings({"tlsOnlyPolicy": False}, project="p", stack="local")
    assert local.tls_only_policy is False


def test_aws_partition_from_stack_config_reaches_the_depot_policies() -> None:
    settings = parse_settings({"awsPartition": "aws-cn", "createAccess": True}, project="p", stack="cn")
    plan = run_program(
        lambda: Depot("sales", DepotArgs.from_manifest(s3_depot(), settings, collections=["orders"])),
        project="p",
        stack="cn",
    )
    for name in ("sales-read", "sales-write"):
        resources = {s["Resource"] for s in json.loads(by_name(plan)[name].inputs["policy"])["Statement"]}
        assert resources and all(r.startswith("arn:aws-cn:s3:::") for r in resources), resources
    with pytest.raises(ValueError, match="not an AWS partition"):
        StackSettings(aws_partition="china")


def test_managed_s3_depot(preview: bool) -> None:
    settings = StackSettings(stack="dev")
    captured: dict[str, Any] = {}

    def program() -> None:
        depot = Depot(
            "sales",
            DepotArgs.from_manifest(
                s3_depot(), settings, collections=["returns", "orders"], secret_arns={Acl.READ: "arn:r"}
            ),
        )
        captured["depot"] = depot
        for key, output in (
            ("address", depot.address),
            ("location", depot.location),
            ("databases", depot.glue_database_names),
        ):
            output.apply(lambda value, key=key: captured.setdefault(key, value))
        depot.read_policy.apply(lambda doc: captured.setdefault("read", json.loads(doc)))  # type: ignore[union-attr]
        depot.write_policy.apply(lambda doc: captured.setdefault("write", json.loads(doc)))  # type: ignore[union-attr]

    plan = run_program(program, project="p", stack="dev", preview=preview)
    regs = by_name(plan)
    depot = regs["sales"]
    assert depot.type == "dataproduct:index:Depot"
    children = {r.name: r.type for r in plan.registrations if r.parent == depot.urn}
    assert children == MANAGED_CHILDREN
    bucket = regs["sales-bucket"]
    assert bucket.inputs["bucket"] == "sales-lake-dev"
    assert bucket.protect is True
    assert regs["sales-orders-db"].protect is True
    assert regs["sales-orders-db"].inputs["name"] == "sales_orders_dev"
    assert regs["sales-orders-db"].inputs["locationUri"] == "s3://sales-lake-dev/curated/orders/"
    block = regs["sales-public-access"].inputs
    assert [
        block[k]
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ] == [True] * 4
    assert regs["sales-ownership"].inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert regs["sales-versioning"].inputs["versioningConfiguration"] == {"status": "Enabled"}
    sse = regs["sales-encryption"].inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse["sseAlgorithm"] == "AES256"
    policy = json.loads(regs["sales-tls-only"].inputs["policy"])
    assert policy["Statement"][0]["Effect"] == "Deny"
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert regs["sales-public-access"].urn in regs["sales-tls-only"].depends_on
    assert bucket.urn in regs["sales-versioning"].depends_on
    # Policy documents: scoped to bucket/prefix, no wildcard action or resource.
    if not preview:
        for name in ("read", "write"):
            for statement in captured[name]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                assert all(a != "*" and not a.endswith(":*") for a in actions)
                assert statement["Resource"] in (
                    "arn:aws:s3:::sales-lake-dev",
                    "arn:aws:s3:::sales-lake-dev/curated/*",
                )
        read_actions = {a for s in captured["read"]["Statement"] for a in s["Action"]}
        write_actions = {a for s in captured["write"]["Statement"] for a in s["Action"]}
        assert "s3:PutObject" not in read_actions and "s3:PutObject" in write_actions
    assert captured["address"] == "dataos://sales"
    assert captured["location"] == "s3://sales-lake-dev/curated"
    assert captured["databases"] == {"orders": "sales_orders_dev", "returns": "sales_returns_dev"}
    assert captured["depot"].acls == {Acl.READ}


def test_external_s3_depot_has_no_bucket_and_create_access_adds_policies() -> None:
    settings = StackSettings(stack="prod", create_access=True)
    plan = run_program(
        lambda: Depot(
            "sales", DepotArgs.from_manifest(s3_depot(external=True), settings, collections=["orders"])
        ),
        project="p",
        stack="prod",
    )
    types = {r.name: r.type for r in plan.registrations}
    assert "aws:s3/bucket:Bucket" not in types.values()
    assert types["sales-read"] == "aws:iam/policy:Policy"
    assert types["sales-write"] == "aws:iam/policy:Policy"
    db = by_name(plan)["sales-orders-db"]
    assert db.inputs["locationUri"] == "s3://sales-lake/curated/orders/"  # external: the bucket as named


def test_non_s3_depot_exposes_a_connection_only() -> None:
    model = DepotModel.model_validate(
        {
            "name": "warehouse",
            "version": "v2alpha",
            "type": "depot",
            "depot": {
                "type": "POSTGRES",
                "external": True,
                "secrets": [{"name": "warehouse-r", "allkeys": True}],
                "postgres": {"host": "db.internal", "database": "dw"},
            },
        }
    )
    captured: dict[str, Any] = {}

    def program() -> None:
        captured["d"] = Depot(
            "warehouse", DepotArgs.from_manifest(model, StackSettings(), secret_arns={Acl.READ: "arn:x"})
        )
        captured["d"].bucket_name.apply(lambda name: captured.setdefault("bucket", name))

    plan = run_program(program, project="p", stack="dev")
    assert [r.type for r in plan.registrations if r.type != "pulumi:pulumi:Stack"] == [
        "dataproduct:index:Depot"
    ]
    connection = captured["d"].connection
    assert (connection.host, connection.port, connection.database) == ("db.internal", 5432, "dw")
    assert connection.secret_arns == {Acl.READ: "arn:x"}
    assert captured["bucket"] is None and captured["d"].is_s3 is False
