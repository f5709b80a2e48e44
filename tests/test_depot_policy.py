"""The depots' IAM policy documents, probed through our IAM evaluator (dataproduct_iac.policy.iam) where
moto's policy engine cannot judge them (condition keys), and through the least-privilege check."""

from __future__ import annotations

import pytest

from dataproduct_iac.components.depot import s3_policy
from dataproduct_iac.policy.iam import PolicyDocument, check_depot_policy

BUCKET = "lake-data-dev"
ARN = f"arn:aws:s3:::{BUCKET}"
PREFIX = "raw/ga"


@pytest.fixture(params=[False, True], ids=["read", "write"])
def write(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def test_get_bucket_location_has_its_own_unconditioned_statement(write: bool) -> None:
    statements = s3_policy(BUCKET, PREFIX, write=write)["Statement"]
    locating = [s for s in statements if "s3:GetBucketLocation" in s["Action"]]
    assert len(locating) == 1
    assert locating[0]["Action"] == ["s3:GetBucketLocation"]
    assert "Condition" not in locating[0]
    listing = [s for s in statements if "s3:ListBucket" in s["Action"]]
    assert listing[0]["Condition"] == {"StringLike": {"s3:prefix": [PREFIX, f"{PREFIX}/*"]}}


def test_listing_is_limited_to_the_prefix(write: bool) -> None:
    """What moto cannot judge (it ignores condition keys): ``s3:ListBucket`` only under the prefix.
    Object and bucket actions, Glue and Secrets Manager are judged by moto in
    tests/test_least_privilege.py."""
    doc = PolicyDocument(s3_policy(BUCKET, PREFIX, write=write))
    assert doc.is_allowed("s3:ListBucket", ARN, {"s3:prefix": f"{PREFIX}/sessions/"})
    assert doc.is_allowed("s3:ListBucket", ARN, {"s3:prefix": PREFIX})
    assert not doc.is_allowed("s3:ListBucket", ARN, {"s3:prefix": "raw/"})
    assert not doc.is_allowed("s3:ListBucket", ARN, {"s3:prefix": "raw/gax/"})
    assert not doc.is_allowed("s3:ListBucket", ARN)
    assert not doc.is_allowed("s3:ListBucket", "arn:aws:s3:::other-bucket", {"s3:prefix": PREFIX})


def test_policies_pass_the_least_privilege_check(write: bool) -> None:
    policy = s3_policy(BUCKET, PREFIX, write=write)
    assert check_depot_policy(policy, bucket=BUCKET, relative_path=PREFIX, write=write) == []


def test_policy_without_prefix_covers_the_bucket() -> None:
    doc = PolicyDocument(s3_policy(BUCKET, "", write=False))
    assert doc.is_allowed("s3:ListBucket", ARN)
    assert doc.is_allowed("s3:GetObject", f"{ARN}/any/key")
    assert doc.is_allowed("s3:GetBucketLocation", ARN)
    assert not doc.is_allowed("s3:PutObject", f"{ARN}/any/key")


def test_policies_in_another_partition(write: bool) -> None:
    policy = s3_policy(BUCKET, PREFIX, write=write, partition="aws-cn")
    assert {s["Resource"].split(":")[1] for s in policy["Statement"]} == {"aws-cn"}
    assert (
        check_depot_policy(policy, bucket=BUCKET, relative_path=PREFIX, write=write, partition="aws-cn") == []
    )
    doc = PolicyDocument(policy)
    assert doc.is_allowed("s3:GetObject", f"arn:aws-cn:s3:::{BUCKET}/{PREFIX}/x")
    assert not doc.is_allowed("s3:GetObject", f"{ARN}/{PREFIX}/x")  # the aws partition's bucket


def test_every_bucket_is_flagged_in_any_partition() -> None:
    from dataproduct_iac.policy.iam import lint_document

    for resource in ("arn:aws:s3:::*", "arn:aws-cn:s3:::*/*", "arn:aws-us-gov:s3:::*"):
        statement = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": resource}
        problems = lint_document(PolicyDocument({"Version": "2012-10-17", "Statement": [statement]}))
        assert len(problems) == 1 and problems[0].endswith(repr(resource)), (resource, problems)
