"""IAM evaluator and least-privilege checks: compliant documents pass, crafted violations are caught."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from dataproduct_iac.policy.iam import (
    PolicyDocument,
    UnsupportedCondition,
    check_depot_policy,
    check_secret_read_policy,
    denies_insecure_transport,
    is_allowed,
    lint_document,
    wildcard_match,
)

BUCKET = "ga-data"
ARN = f"arn:aws:s3:::{BUCKET}"
SECRET_R = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s3depot-r-dev-AbC123"
SECRET_RW = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s3depot-rw-dev-XyZ789"


def read_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "List",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": ARN,
                "Condition": {"StringLike": {"s3:prefix": ["raw", "raw/*"]}},
            },
            {"Sid": "Location", "Effect": "Allow", "Action": ["s3:GetBucketLocation"], "Resource": [ARN]},
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": [f"{ARN}/raw/*"],
            },
        ],
    }


def write_policy() -> dict[str, Any]:
    doc = read_policy()
    doc["Statement"].append(
        {
            "Sid": "Write",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Resource": [f"{ARN}/raw/*"],
        }
    )
    return doc


def secret_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": [SECRET_R, SECRET_RW],
            }
        ],
    }


def tls_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [ARN, f"{ARN}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


# --- evaluator ---------------------------------------------------------------------------------------


def test_wildcards() -> None:
    assert wildcard_match("arn:aws:s3:::b/raw/*", "arn:aws:s3:::b/raw/x/y.parquet")
    assert not wildcard_match("arn:aws:s3:::b/raw/*", "arn:aws:s3:::b/rawx/y")
    assert wildcard_match("s3:Get*", "s3:getobject", case_sensitive=False)
    assert not wildcard_match("arn:aws:s3:::B/*", "arn:aws:s3:::b/x")  # resources are case-sensitive
    assert wildcard_match("a?c", "abc") and not wildcard_match("a?c", "abbc")
    assert wildcard_match("x.y+z(*", "x.y+z(anything")  # regex characters are literal


def test_allow_deny_and_implicit_deny() -> None:
    doc = PolicyDocument(json.dumps(read_policy()))
    assert doc.is_allowed("s3:GetObject", f"{ARN}/raw/c/d/part-0.parquet")
    assert doc.is_allowed("S3:GETOBJECT", f"{ARN}/raw/c/d/part-0.parquet")  # actions are case-insensitive
    assert doc.evaluate("s3:PutObject", f"{ARN}/raw/x") == "ImplicitDeny"
    assert doc.is_allowed("s3:ListBucket", ARN, {"s3:prefix": "raw/c/"})
    assert not doc.is_allowed("s3:ListBucket", ARN, {"s3:prefix": "other/"})
    assert not doc.is_allowed("s3:ListBucket", ARN)  # missing key: StringLike fails
    with_deny = read_policy()
    with_deny["Statement"].append({"Effect": "Deny", "Action": "s3:*", "Resource": f"{ARN}/raw/secret/*"})
    assert PolicyDocument(with_deny).evaluate("s3:GetObject", f"{ARN}/raw/secret/x") == "Deny"
    assert is_allowed(with_deny, "s3:GetObject", f"{ARN}/raw/public/x")


def test_not_action_not_resource_and_single_statement_object() -> None:
    doc = {"Statement": {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::private/*"}}
    assert is_allowed(doc, "s3:GetObject", "arn:aws:s3:::public/x")
    assert not is_allowed(doc, "s3:GetObject", "arn:aws:s3:::private/x")
    assert not is_allowed(doc, "iam:CreateUser", "arn:aws:iam::1:user/x")
    assert not is_allowed({"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "s3:GetObject", "x")


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {"aws:RequestedRegion": "us-east-1"}, True),
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {"aws:RequestedRegion": "eu-west-1"}, False),
        ({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}, {}, True),
        ({"StringEqualsIgnoreCase": {"k": "ABC"}}, {"K": "abc"}, True),  # keys are case-insensitive
        ({"StringLikeIfExists": {"s3:prefix": "raw/*"}}, {}, True),
        ({"StringLikeIfExists": {"s3:prefix": "raw/*"}}, {"s3:prefix": "x/"}, False),
        ({"Null": {"s3:prefix": "true"}}, {}, True),
        ({"Null": {"s3:prefix": "false"}}, {}, False),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "false"}, True),
        ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"}, True),
        ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "50"}, False),
        ({"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["c", "b"]}, True),
        ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["c", "b"]}, False),
        ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {}, True),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:1:topic"}},
            {"aws:SourceArn": "arn:aws:sns:eu:1:topic"},
            True,
        ),
    ],
)
def test_conditions(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    doc = {
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": ARN, "Condition": condition}]
    }
    assert is_allowed(doc, "s3:ListBucket", ARN, context) is expected


def test_unknown_condition_operator_is_an_error_not_a_guess() -> None:
    doc = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"IpAddressX": {"a": "b"}}}
        ]
    }
    with pytest.raises(UnsupportedCondition):
        is_allowed(doc, "s3:GetObject", ARN, {"a": "b"})


@pytest.mark.parametrize(
    "bad",
    ["[]", '{"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}', '{"Statement": 3}'],
)
def test_malformed_documents_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        PolicyDocument(bad)


# --- depot policies -------------------------------------------------------------------------------------


def test_compliant_depot_policies_pass() -> None:
    assert check_depot_policy(read_policy(), bucket=BUCKET, relative_path="raw", write=False) == []
    assert check_depot_policy(write_policy(), bucket=BUCKET, relative_path="/raw/", write=True) == []
    with_secrets = read_policy()
    with_secrets["Statement"].append(secret_policy()["Statement"][0])
    assert (
        check_depot_policy(
            with_secrets, bucket=BUCKET, relative_path="raw", write=False, secret_arns=[SECRET_R, SECRET_RW]
        )
        == []
    )


def test_whole_bucket_depot_without_relative_path() -> None:
    doc = {
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": ARN},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{ARN}/*"},
        ]
    }
    assert check_depot_policy(doc, bucket=BUCKET, relative_path=None, write=False) == []


def _mutated(base: dict[str, Any], index: int, key: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    if value is None:
        del doc["Statement"][index][key]
    else:
        doc["Statement"][index][key] = value
    return doc


READ_VIOLATIONS = {
    "star action": _mutated(read_policy(), 2, "Action", "*"),
    "service wildcard": _mutated(read_policy(), 2, "Action", "s3:*"),
    "prefix wildcard action": _mutated(read_policy(), 2, "Action", "s3:Get*"),
    "star resource": _mutated(read_policy(), 2, "Resource", "*"),
    "whole bucket": _mutated(read_policy(), 2, "Resource", f"{ARN}/*"),
    "sibling prefix": _mutated(read_policy(), 2, "Resource", f"{ARN}/raw*"),
    "other bucket": _mutated(read_policy(), 2, "Resource", "arn:aws:s3:::ga-data-other/raw/*"),
    "every bucket": _mutated(read_policy(), 1, "Resource", "arn:aws:s3:::*"),
    "list without prefix condition": _mutated(read_policy(), 0, "Condition", None),
    "list any prefix": _mutated(read_policy(), 0, "Condition", {"StringLike": {"s3:prefix": "*"}}),
    "write in a read policy": _mutated(read_policy(), 2, "Action", ["s3:GetObject", "s3:PutObject"]),
    "delete bucket": _mutated(read_policy(), 1, "Action", ["s3:GetBucketLocation", "s3:DeleteBucket"]),
    "bucket policy change": _mutated(
        read_policy(), 1, "Action", ["s3:GetBucketLocation", "s3:PutBucketPolicy"]
    ),
    "location under a prefix condition": {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": ARN,
                "Condition": {"StringLike": {"s3:prefix": ["raw", "raw/*"]}},
            },
            read_policy()["Statement"][2],
        ]
    },
    "not action": _mutated(_mutated(read_policy(), 2, "Action", None), 2, "NotAction", "iam:*"),
    "reads every secret": {
        "Statement": [
            *read_policy()["Statement"],
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        ]
    },
    "iam": {
        "Statement": [
            *read_policy()["Statement"],
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
        ]
    },
}


@pytest.mark.parametrize("case", sorted(READ_VIOLATIONS))
def test_read_policy_violations_are_caught(case: str) -> None:
    problems = check_depot_policy(READ_VIOLATIONS[case], bucket=BUCKET, relative_path="raw", write=False)
    assert problems, case


WRITE_VIOLATIONS = {
    "no delete": _mutated(write_policy(), 3, "Action", ["s3:PutObject"]),
    "write outside": _mutated(write_policy(), 3, "Resource", f"{ARN}/*"),
    "acl": _mutated(write_policy(), 3, "Action", ["s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl"]),
    "star": _mutated(write_policy(), 3, "Action", "s3:*"),
}


@pytest.mark.parametrize("case", sorted(WRITE_VIOLATIONS))
def test_write_policy_violations_are_caught(case: str) -> None:
    assert check_depot_policy(WRITE_VIOLATIONS[case], bucket=BUCKET, relative_path="raw", write=True), case


def test_read_policy_is_not_a_write_policy() -> None:
    assert any(
        "PutObject" in p
        for p in check_depot_policy(read_policy(), bucket=BUCKET, relative_path="raw", write=True)
    )


# --- secrets ---------------------------------------------------------------------------------------


def test_secret_read_policy_passes() -> None:
    assert check_secret_read_policy(secret_policy(), [SECRET_R, SECRET_RW]) == []
    suffixed = secret_policy()
    arns = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:s3depot-r-dev"]
    suffixed["Statement"][0]["Resource"] = [f"{arns[0]}-??????"]
    assert check_secret_read_policy(suffixed, arns) == []


SECRET_VIOLATIONS = {
    "star resource": _mutated(secret_policy(), 0, "Resource", "*"),
    "all secrets": _mutated(
        secret_policy(), 0, "Resource", "arn:aws:secretsmanager:us-east-1:123456789012:secret:*"
    ),
    "name prefix": _mutated(
        secret_policy(), 0, "Resource", "arn:aws:secretsmanager:us-east-1:123456789012:secret:s3depot-*"
    ),
    "service wildcard": _mutated(secret_policy(), 0, "Action", "secretsmanager:*"),
    "put": _mutated(
        secret_policy(), 0, "Action", ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]
    ),
    "missing one": _mutated(secret_policy(), 0, "Resource", [SECRET_R]),
    "trailing star": _mutated(secret_policy(), 0, "Resource", [f"{SECRET_R}*", SECRET_RW]),
}


@pytest.mark.parametrize("case", sorted(SECRET_VIOLATIONS))
def test_secret_policy_violations_are_caught(case: str) -> None:
    assert check_secret_read_policy(SECRET_VIOLATIONS[case], [SECRET_R, SECRET_RW]), case


# --- TLS-only and lint ------------------------------------------------------------------------------------


def test_tls_only_bucket_policy() -> None:
    assert denies_insecure_transport(tls_policy(), ARN)
    assert not denies_insecure_transport(
        _mutated(tls_policy(), 0, "Resource", [ARN]), ARN
    )  # objects uncovered
    assert not denies_insecure_transport(_mutated(tls_policy(), 0, "Action", "s3:GetObject"), ARN)
    assert not denies_insecure_transport(
        _mutated(tls_policy(), 0, "Condition", None), ARN
    )  # denies everything
    assert not denies_insecure_transport(_mutated(tls_policy(), 0, "Effect", "Allow"), ARN)
    assert not denies_insecure_transport(
        _mutated(tls_policy(), 0, "Principal", {"AWS": "arn:aws:iam::1:root"}), ARN
    )
    assert not denies_insecure_transport(tls_policy(), "arn:aws:s3:::another-bucket")


def test_lint_document() -> None:
    assert lint_document(read_policy()) == []
    assert lint_document({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}) == [
        "Statement[0]: wildcard action '*'",
        "Statement[0]: wildcard resource '*'",
    ]
    # Deny statements may be broad
    assert lint_document({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}) == []
