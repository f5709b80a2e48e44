"""Rules over registrations: a compliant depot/secret/workload set passes, each violation is caught."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from dataproduct_iac.policy.resources import (
    OWNER_TAG,
    RESOURCE_RULES,
    STACK_RULES,
    Config,
    Registration,
    check_registration,
    check_stack,
)
from tests.test_policy_pod_security import deployment

STACK = "urn:pulumi:dev::dataproduct::"
DEPOT = f"{STACK}dataproduct:index:Depot::s3depot"
BUCKET_URN = f"{STACK}dataproduct:index:Depot$aws:s3/bucket:Bucket::s3depot-bucket"
TAGS = {OWNER_TAG: "iamgroot", "dataproduct:depot": "s3depot"}


def child(
    type_: str,
    name: str,
    props: dict[str, Any],
    parent_type: str = "dataproduct:index:Depot",
    parent: str = DEPOT,
    **options: Any,
) -> Registration:
    return Registration(
        type=type_,
        name=name,
        props=props,
        urn=f"{STACK}{parent_type}${type_}::{name}",
        parent=parent,
        depends_on=tuple(options.pop("depends_on", (BUCKET_URN,))),
        **options,
    )


def tls_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def compliant() -> list[Registration]:
    bucket = "ga-data-dev"
    return [
        Registration("dataproduct:index:Depot", "s3depot", {}, urn=DEPOT, custom=False),
        child(
            "aws:s3/bucket:Bucket",
            "s3depot-bucket",
            {"bucket": bucket, "tags": TAGS},
            depends_on=(),
            protect=True,
        ),
        child(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "s3depot-sse",
            {
                "bucket": bucket,
                "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
            },
        ),
        child(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "s3depot-public-access",
            {
                "bucket": bucket,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
        child(
            "aws:s3/bucketPolicy:BucketPolicy",
            "s3depot-tls-only",
            {"bucket": bucket, "policy": tls_policy(bucket)},
        ),
        child(
            "aws:s3/bucketVersioning:BucketVersioning",
            "s3depot-versioning",
            {"bucket": bucket, "versioningConfiguration": {"status": "Enabled"}},
        ),
        child(
            "aws:glue/catalogDatabase:CatalogDatabase",
            "s3depot-db",
            {"name": "db", "tags": TAGS},
            retain_on_delete=True,
        ),
        child(
            "aws:secretsmanager/secret:Secret",
            "s3depot-r-secret",
            {"name": "s3depot-r-dev", "recoveryWindowInDays": 30, "tags": TAGS},
            parent_type="dataproduct:index:InstanceSecret",
            depends_on=(),
            protect=True,
        ),
        child(
            "aws:iam/policy:Policy",
            "s3depot-read",
            {
                "policy": json.dumps(
                    {
                        "Statement": [
                            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/raw/*"}
                        ]
                    }
                ),
                "tags": TAGS,
            },
        ),
        child(
            "kubernetes:apps/v1:Deployment",
            "trino-worker",
            deployment(),
            parent_type="dataproduct:index:TrinoCluster",
        ),
    ]


def test_compliant_stack_passes() -> None:
    assert check_stack(compliant()) == []


def test_every_rule_has_a_unique_name() -> None:
    names = [r.name for r in RESOURCE_RULES] + [r.name for r in STACK_RULES]
    assert len(names) == len(set(names))


def replace(name: str, **changes: Any) -> Callable[[list[Registration]], list[Registration]]:
    def mutate(regs: list[Registration]) -> list[Registration]:
        out = []
        for reg in regs:
            if reg.name == name:
                props = copy.deepcopy(dict(reg.props))
                for key, value in changes.pop("props", {}).items():
                    if value is None:
                        props.pop(key, None)
                    else:
                        props[key] = value
                fields = {**reg.__dict__, "props": props, **changes}
                reg = Registration(**fields)
            out.append(reg)
        return out

    return mutate


def drop(name: str) -> Callable[[list[Registration]], list[Registration]]:
    return lambda regs: [r for r in regs if r.name != name]


def privileged_worker(regs: list[Registration]) -> list[Registration]:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    return replace("trino-worker", props=obj)(regs)


def unlimited_worker(regs: list[Registration]) -> list[Registration]:
    obj = deployment()
    del obj["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    return replace("trino-worker", props=obj)(regs)


VIOLATIONS: dict[str, tuple[Callable[[list[Registration]], list[Registration]], str]] = {
    "sse algorithm": (
        replace(
            "s3depot-sse", props={"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "none"}}]}
        ),
        "s3-bucket-encryption",
    ),
    "sse no rules": (replace("s3depot-sse", props={"rules": []}), "s3-bucket-encryption"),
    "sse missing": (drop("s3depot-sse"), "s3-bucket-safeguards"),
    "pab flag false": (
        replace("s3depot-public-access", props={"restrictPublicBuckets": False}),
        "s3-public-access-block",
    ),
    "pab flag unset": (
        replace("s3depot-public-access", props={"ignorePublicAcls": None}),
        "s3-public-access-block",
    ),
    "pab missing": (drop("s3depot-public-access"), "s3-bucket-safeguards"),
    "policy not tls": (
        replace(
            "s3depot-tls-only",
            props={
                "policy": json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:GetObject",
                                "Resource": "arn:aws:s3:::ga-data-dev/*",
                            }
                        ]
                    }
                )
            },
        ),
        "s3-tls-only-policy",
    ),
    "policy for another bucket": (
        replace("s3depot-tls-only", props={"policy": tls_policy("other")}),
        "s3-tls-only-policy",
    ),
    "policy garbage": (replace("s3depot-tls-only", props={"policy": "{not json"}), "s3-tls-only-policy"),
    "policy missing": (drop("s3depot-tls-only"), "s3-bucket-safeguards"),
    "versioning suspended": (
        replace("s3depot-versioning", props={"versioningConfiguration": {"status": "Suspended"}}),
        "s3-bucket-safeguards",
    ),
    "versioning missing": (drop("s3depot-versioning"), "s3-bucket-safeguards"),
    "bucket unprotected": (replace("s3depot-bucket", protect=False), "data-protected"),
    "glue unprotected": (replace("s3depot-db", retain_on_delete=False), "data-protected"),
    "secret unprotected": (replace("s3depot-r-secret", protect=False), "data-protected"),
    "recovery window 0": (
        replace("s3depot-r-secret", props={"recoveryWindowInDays": 0}),
        "secret-recovery-window",
    ),
    "recovery window 60": (
        replace("s3depot-r-secret", props={"recoveryWindowInDays": 60.0}),
        "secret-recovery-window",
    ),
    "iam star": (
        replace(
            "s3depot-read",
            props={
                "policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
            },
        ),
        "iam-least-privilege",
    ),
    "privileged pod": (privileged_worker, "pod-security-restricted"),
    "no limits": (unlimited_worker, "pod-resource-limits"),
    "no owner tag": (
        replace("s3depot-bucket", props={"tags": {"dataproduct:depot": "s3depot"}}),
        "data-product-tags",
    ),
    "no tags": (replace("s3depot-r-secret", props={"tags": None}), "data-product-tags"),
    "duplicate urn": (lambda regs: [*regs, regs[1]], "unique-urns"),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_each_violation_is_caught(case: str) -> None:
    mutate, rule = VIOLATIONS[case]
    findings = check_stack(mutate(compliant()))
    assert rule in {f.rule for f in findings}, f"{case}: {[str(f) for f in findings]}"


def test_explicit_opt_out_allows_unprotected_data() -> None:
    regs = replace("s3depot-bucket", protect=False)(compliant())
    assert check_stack(regs, Config(allow_unprotected=True)) == []


def test_provider_default_tags_count() -> None:
    regs = replace("s3depot-bucket", props={"tags": {}})(compliant())
    assert check_stack(regs, Config(default_tags={OWNER_TAG: "platform"})) == []


def test_resources_outside_dataproduct_components_are_not_tagged_by_force() -> None:
    plain = Registration(
        "aws:s3/bucket:Bucket",
        "logs",
        {"bucket": "logs"},
        urn=f"{STACK}aws:s3/bucket:Bucket::logs",
        protect=True,
    )
    assert check_registration(plain) == []


def test_unknown_preview_values_are_not_violations() -> None:
    for marker in ("[unknown]", "04da6b54-80e4-46f7-96ec-b56ff0331ba9"):
        regs = replace("s3depot-tls-only", props={"policy": marker})(compliant())
        regs = replace("s3depot-public-access", props={"blockPublicAcls": marker})(regs)
        regs = replace("s3depot-r-secret", props={"recoveryWindowInDays": marker, "tags": marker})(regs)
        assert check_stack(regs) == []


def test_bucket_sidecars_attach_by_name_without_dependencies() -> None:
    regs = [
        replace(r.name, depends_on=())(compliant())[i] if r.name != "x" else r
        for i, r in enumerate(compliant())
    ]
    assert check_stack(regs) == []
    renamed = replace("s3depot-versioning", depends_on=(), props={"bucket": "someone-else"})(regs)
    assert "no versioning configuration attached" in {f.message for f in check_stack(renamed)}


def test_resources_under_a_data_product_name_it() -> None:
    product = Registration(
        "dataproduct:index:DataProduct", "p", {}, urn=f"{STACK}dataproduct:index:DataProduct::p", custom=False
    )
    depot = Registration(
        "dataproduct:index:Depot", "s3depot", {}, urn=DEPOT, parent=product.urn, custom=False
    )
    regs = [product, depot, *compliant()[1:]]
    rules = {f.rule for f in check_stack(regs)}
    assert rules == {"data-product-tags-in-products"}
    tagged = [
        Registration(**{**r.__dict__, "props": {**r.props, "tags": {**TAGS, "dataproduct:product": "p"}}})
        if "tags" in r.props
        else r
        for r in regs
    ]
    assert check_stack(tagged) == []


def test_from_plan_record() -> None:
    record = {
        "urn": BUCKET_URN,
        "type": "aws:s3/bucket:Bucket",
        "name": "s3depot-bucket",
        "parent": DEPOT,
        "custom": True,
        "depends_on": [],
        "inputs": {"bucket": "b"},
        "protect": False,
        "retainOnDelete": True,
    }
    reg = Registration.from_plan(record)
    assert reg.retain_on_delete and not reg.protect and reg.parent == DEPOT
    assert reg.ancestor_types == ["dataproduct:index:Depot"]
    assert check_registration(reg, Config(required_tags=())) == []
