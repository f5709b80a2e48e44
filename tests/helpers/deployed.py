"""What ``pulumi up`` would have created for a set of manifests, built with boto3 against moto (there
is no engine here): the stack program runs on the mock engine and its AWS registrations are made
with boto3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dataproduct_iac import program
from dataproduct_iac.drift.live import AwsClients
from dataproduct_iac.graph import Graph
from dataproduct_iac.plan import run_program
from dataproduct_iac.program import Prepared
from dataproduct_iac.settings import StackSettings
from helpers.engine import RawMocks, plain


def deploy_stack(
    graph: Graph,
    settings: StackSettings,
    aws: AwsClients,
    *,
    before_policies: Callable[[], None] | None = None,
) -> None:
    """What `pulumi up` creates, made with boto3 from the program's own registrations (the stack
    program run on the mock engine, secret values included). ``before_policies`` runs before the
    bucket policies are put: moto enforces the TLS-only policy's deny on plain-HTTP requests, so
    data is written first. The drift checks' expectations take no part in it."""
    mocks = RawMocks(preview=False)
    run_program(
        lambda: program.deploy(Prepared(graph, settings)),
        project=settings.project,
        stack=settings.stack,
        mocks=mocks,
    )
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in mocks.resources:
        by_type.setdefault(resource.typ, []).append(plain(resource.inputs))
    for secret in by_type.pop("aws:secretsmanager/secret:Secret", []):
        tags = [{"Key": k, "Value": v} for k, v in secret["tags"].items()]
        aws.secretsmanager.create_secret(Name=secret["name"], Tags=tags)
    for version in by_type.pop("aws:secretsmanager/secretVersion:SecretVersion", []):
        aws.secretsmanager.put_secret_value(
            SecretId=version["secretId"], SecretString=version["secretString"]
        )
    for bucket in by_type.pop("aws:s3/bucket:Bucket", []):
        aws.s3.create_bucket(Bucket=bucket["bucket"])
    for versioning in by_type.pop("aws:s3/bucketVersioning:BucketVersioning", []):
        status = versioning["versioningConfiguration"]["status"]
        aws.s3.put_bucket_versioning(Bucket=versioning["bucket"], VersioningConfiguration={"Status": status})
    for encryption in by_type.pop(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", []
    ):
        rules = [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
                    **(
                        {"KMSMasterKeyID": key}
                        if (key := rule["applyServerSideEncryptionByDefault"].get("kmsMasterKeyId"))
                        else {}
                    ),
                },
                "BucketKeyEnabled": rule.get("bucketKeyEnabled", False),
            }
            for rule in encryption["rules"]
        ]
        aws.s3.put_bucket_encryption(
            Bucket=encryption["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
        )
    for block in by_type.pop("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", []):
        names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        config = {name: bool(block.get(name[0].lower() + name[1:])) for name in names}
        aws.s3.put_public_access_block(Bucket=block["bucket"], PublicAccessBlockConfiguration=config)
    # applied after before_policies: moto enforces the TLS-only policy's deny on plain-HTTP requests
    policies = by_type.pop("aws:s3/bucketPolicy:BucketPolicy", [])
    for database in by_type.pop("aws:glue/catalogDatabase:CatalogDatabase", []):
        aws.glue.create_database(
            DatabaseInput={"Name": database["name"], "LocationUri": database["locationUri"]}
        )
    # What the drift checks do not look at (IAM policies, ownership controls, the product registry,
    # Kubernetes objects): nothing of AWS that they check is left out.
    assert not [t for t in by_type if t.startswith("aws:") and not t.startswith(UNCHECKED)], sorted(by_type)
    if before_policies is not None:
        before_policies()
    for policy in policies:
        aws.s3.put_bucket_policy(Bucket=policy["bucket"], Policy=policy["policy"])


UNCHECKED = (
    "aws:iam/policy:Policy",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketObjectv2:BucketObjectv2",
)
