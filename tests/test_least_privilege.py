"""Least privilege judged by a policy engine other than ours: moto with IAM enforcement on.

An IAM user holds only a depot's read or read-write policy (as ``Depot`` builds it); its calls to
S3, Glue and Secrets Manager are made through boto3 and moto decides. Every probe is also put to our
own evaluator (``dataproduct_iac.policy.iam``, which the CrossGuard pack uses at preview, where
there is no AWS to ask): the two must agree.

What moto cannot judge, and our evaluator's tests (tests/test_depot_policy.py) keep covering:
condition keys (moto ignores ``s3:prefix``, so it lets a prefix-scoped ``ListBucket`` list the
whole bucket) and resource-scoped Glue and Secrets Manager statements (moto authorizes their
actions against the resource ``*`` only).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.authorization import disable_iam_authentication, enable_iam_authentication

from dataproduct_iac.components.depot import s3_policy
from dataproduct_iac.policy.iam import PolicyDocument

REGION = "us-east-1"
BUCKET = "lake-data-dev"
PREFIX = "raw/ga"
ARN = f"arn:aws:s3:::{BUCKET}"
INSIDE = f"{PREFIX}/sessions/part-0.csv"


@dataclass(frozen=True)
class Probe:
    """One call, and what IAM would evaluate for it (for our evaluator)."""

    name: str
    call: Callable[[boto3.Session], Any]
    action: str
    resource: str


def _s3(session: boto3.Session) -> Any:
    return session.client("s3")


PROBES = [
    Probe(
        "read an object under the prefix",
        lambda s: _s3(s).get_object(Bucket=BUCKET, Key=INSIDE),
        "s3:GetObject",
        f"{ARN}/{INSIDE}",
    ),
    Probe(
        "read a version under the prefix",
        lambda s: _s3(s).get_object(Bucket=BUCKET, Key=INSIDE, VersionId="null"),
        "s3:GetObjectVersion",
        f"{ARN}/{INSIDE}",
    ),
    Probe(
        "read a sibling prefix",
        lambda s: _s3(s).get_object(Bucket=BUCKET, Key="raw/gax/part-0.csv"),
        "s3:GetObject",
        f"{ARN}/raw/gax/part-0.csv",
    ),
    Probe(
        "read another bucket",
        lambda s: _s3(s).get_object(Bucket="other-bucket", Key=INSIDE),
        "s3:GetObject",
        f"arn:aws:s3:::other-bucket/{INSIDE}",
    ),
    Probe(
        "locate the bucket", lambda s: _s3(s).get_bucket_location(Bucket=BUCKET), "s3:GetBucketLocation", ARN
    ),
    Probe(
        "locate another bucket",
        lambda s: _s3(s).get_bucket_location(Bucket="other-bucket"),
        "s3:GetBucketLocation",
        "arn:aws:s3:::other-bucket",
    ),
    Probe(
        "write under the prefix",
        lambda s: _s3(s).put_object(Bucket=BUCKET, Key=f"{PREFIX}/new.csv", Body=b"x"),
        "s3:PutObject",
        f"{ARN}/{PREFIX}/new.csv",
    ),
    Probe(
        "start a multipart upload under the prefix",
        lambda s: _s3(s).create_multipart_upload(Bucket=BUCKET, Key=f"{PREFIX}/big.csv"),
        "s3:PutObject",
        f"{ARN}/{PREFIX}/big.csv",
    ),
    Probe(
        "delete under the prefix",
        lambda s: _s3(s).delete_object(Bucket=BUCKET, Key=INSIDE),
        "s3:DeleteObject",
        f"{ARN}/{INSIDE}",
    ),
    Probe(
        "write outside the prefix",
        lambda s: _s3(s).put_object(Bucket=BUCKET, Key="raw/other/x.csv", Body=b"x"),
        "s3:PutObject",
        f"{ARN}/raw/other/x.csv",
    ),
    Probe(
        "write to another bucket",
        lambda s: _s3(s).put_object(Bucket="other-bucket", Key=f"{PREFIX}/x.csv", Body=b"x"),
        "s3:PutObject",
        f"arn:aws:s3:::other-bucket/{PREFIX}/x.csv",
    ),
    Probe(
        "change an object's ACL",
        lambda s: _s3(s).put_object_acl(Bucket=BUCKET, Key=INSIDE, ACL="public-read"),
        "s3:PutObjectAcl",
        f"{ARN}/{INSIDE}",
    ),
    Probe(
        "replace the bucket policy",
        lambda s: _s3(s).put_bucket_policy(
            Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": []})
        ),
        "s3:PutBucketPolicy",
        ARN,
    ),
    Probe(
        "delete the bucket",
        lambda s: _s3(s).delete_bucket(Bucket="other-bucket"),
        "s3:DeleteBucket",
        "arn:aws:s3:::other-bucket",
    ),
    Probe("list the buckets", lambda s: _s3(s).list_buckets(), "s3:ListAllMyBuckets", "*"),
    Probe("list Glue databases", lambda s: s.client("glue").get_databases(), "glue:GetDatabases", "*"),
    Probe(
        "list Glue tables",
        lambda s: s.client("glue").get_tables(DatabaseName="ga_sessions_dev"),
        "glue:GetTables",
        "*",
    ),
    Probe(
        "create a Glue table",
        lambda s: s.client("glue").create_table(DatabaseName="ga_sessions_dev", TableInput={"Name": "t"}),
        "glue:CreateTable",
        "*",
    ),
    Probe(
        "read the depot's secret",
        lambda s: s.client("secretsmanager").get_secret_value(SecretId="lake-r"),
        "secretsmanager:GetSecretValue",
        "*",
    ),
    Probe(
        "list secrets", lambda s: s.client("secretsmanager").list_secrets(), "secretsmanager:ListSecrets", "*"
    ),
]

READ_ALLOWS = {
    "read an object under the prefix",
    "read a version under the prefix",
    "locate the bucket",
}
WRITE_ALLOWS = READ_ALLOWS | {
    "write under the prefix",
    "start a multipart upload under the prefix",
    "delete under the prefix",
}


@pytest.fixture(params=[False, True], ids=["read", "read-write"])
def holder(request: pytest.FixtureRequest) -> Iterator[tuple[bool, boto3.Session]]:
    """An IAM user holding only the depot's read (or read-write) policy, its session, in moto."""
    write = bool(request.param)
    with mock_aws():
        with disable_iam_authentication():  # the set-up is done as an administrator
            admin = boto3.Session(region_name=REGION)
            s3 = admin.client("s3")
            for bucket in (BUCKET, "other-bucket"):
                s3.create_bucket(Bucket=bucket)
                for key in (INSIDE, "raw/gax/part-0.csv"):
                    s3.put_object(Bucket=bucket, Key=key, Body=b"id\n1\n")
            admin.client("glue").create_database(DatabaseInput={"Name": "ga_sessions_dev"})
            admin.client("secretsmanager").create_secret(Name="lake-r", SecretString='{"k": "v"}')
            iam = admin.client("iam")
            iam.create_user(UserName="depot-user")
            policy = json.dumps(s3_policy(BUCKET, PREFIX, write=write))
            arn = iam.create_policy(PolicyName="depot", PolicyDocument=policy)["Policy"]["Arn"]
            iam.attach_user_policy(UserName="depot-user", PolicyArn=arn)
            key = iam.create_access_key(UserName="depot-user")["AccessKey"]
        with enable_iam_authentication():
            yield (
                write,
                boto3.Session(
                    aws_access_key_id=key["AccessKeyId"],
                    aws_secret_access_key=key["SecretAccessKey"],
                    region_name=REGION,
                ),
            )


def _allowed(probe: Probe, session: boto3.Session) -> bool:
    try:
        probe.call(session)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = exc.response.get("Error", {}).get("Code", "")
        assert status == 403 or "AccessDenied" in code, f"{probe.name}: not an authorization error: {exc}"
        return False
    return True


def test_a_depot_policy_grants_exactly_its_prefix(holder: tuple[bool, boto3.Session]) -> None:
    write, session = holder
    outcome = {probe.name: _allowed(probe, session) for probe in PROBES}
    expected = WRITE_ALLOWS if write else READ_ALLOWS
    assert {name for name, allowed in outcome.items() if allowed} == expected


@pytest.mark.parametrize("write", [False, True], ids=["read", "read-write"])
def test_our_evaluator_agrees_with_moto(write: bool) -> None:
    """The evaluator the policy pack relies on gives moto's answer for every probe moto can judge."""
    document = PolicyDocument(s3_policy(BUCKET, PREFIX, write=write))
    expected = WRITE_ALLOWS if write else READ_ALLOWS
    ours = {p.name for p in PROBES if document.is_allowed(p.action, p.resource)}
    assert ours == expected
