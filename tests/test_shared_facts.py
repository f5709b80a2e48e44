"""Facts several parts of the tool rely on, checked where two of them could disagree.

Each fact has one home; these tests state it through the behaviour of every user, so that a second
spelling creeping back in (or a user that stops asking the home) shows as a difference.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.placeholders import ValueSources
from dataproduct_iac.scanner.credentials import credential_keys
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.trino import render_cluster

# -- AWS credential key spellings: Trino catalogs and the scanner ------------------------------------

# Spellings met in DataOS manifests: every one either reader accepted at some point.
ACCESS_KEYS = [
    "awsaccesskeyid",
    "accesskeyid",
    "aws_access_key_id",
    "access_key_id",
    "accesskey",
    "awsaccesskey",
    "aws-access-key-id",
    "AWS_ACCESS_KEY_ID",
    "AccessKeyId",
]
SECRET_KEYS = [
    "awssecretaccesskey",
    "secretkey",
    "aws_secret_access_key",
    "secret_access_key",
    "secretaccesskey",
    "awssecretkey",
    "aws-secret-access-key",
    "AWS_SECRET_ACCESS_KEY",
    "SecretKey",
]

_CREDENTIAL_MANIFESTS = """\
name: lake-r
version: v1
type: instance-secret
instance-secret:
  type: key-value-properties
  acl: r
  data:
    {access}: AKIAEXAMPLE
    {secret}: example-secret
---
name: lake
version: v2alpha
type: depot
depot:
  type: S3
  external: true
  secrets:
    - name: lake-r
      allkeys: true
  s3:
    bucket: lake-bucket
    relativePath: raw
    region: us-east-1
---
name: mini
version: v1
type: cluster
cluster:
  compute: query-default
  minerva:
    replicas: 1
    depots:
      - address: dataos://lake:default
"""


def _trino_credential_keys(tmp: Path, access: str, secret: str) -> set[str]:
    """The secret keys a Trino cluster's catalog for the depot binds."""
    path = tmp / f"{access}-{secret}.yaml"
    path.write_text(_CREDENTIAL_MANIFESTS.format(access=access, secret=secret), encoding="utf-8")
    graph = resolve(load([path], ValueSources(environment={})))
    cluster = graph.get("cluster", "mini")
    assert cluster is not None
    depots, depot_secrets = graph.cluster_inputs(cluster.manifest)
    rendered = render_cluster(cluster.manifest, depots, depot_secrets, StackSettings())
    return {binding.key for binding in rendered.secret_env.values() if binding.secret == "lake-r"}


@settings(max_examples=40, deadline=None)
@given(access=st.sampled_from(ACCESS_KEYS), secret=st.sampled_from(SECRET_KEYS))
def test_the_scanner_and_trino_read_the_same_credential_keys(
    tmp_path_factory: pytest.TempPathFactory, access: str, secret: str
) -> None:
    """A key pair a Trino catalog reads is a key pair the scanner reads, and the reverse: with one
    side accepting a spelling the other ignored, the scanner fell back to the pod's own credentials."""
    trino = _trino_credential_keys(tmp_path_factory.mktemp("creds"), access, secret)
    scanner = set(credential_keys([access, secret, "unrelated"]).values())
    assert trino == scanner == {access, secret}


# -- Which data product owns a node: the components' tags and preview's grouping -------------------

_NESTED_BUNDLES = """\
name: sales
version: v1beta
entity: product
type: data
owner: sales-team
v1beta:
  data:
    meta:
      title: Sales
    resource:
      refType: dataos
      ref: bundle:v1beta:outer
    inputs:
      - refType: dataos
        ref: dataset:lake:raw:orders
---
name: lake
version: v2alpha
type: depot
depot:
  type: S3
  external: true
  s3:
    bucket: lake-bucket
    region: us-east-1
---
name: outer
version: v1beta
type: bundle
bundle:
  resources:
    - id: inner
      spec:
        name: inner
        version: v1beta
        type: bundle
        bundle:
          resources:
            - id: secret
              spec:
                name: deep-r
                version: v1
                type: instance-secret
                instance-secret:
                  type: key-value
                  acl: r
                  data:
                    token: t
"""


def test_preview_groups_resources_under_the_product_their_tags_name(tmp_path: Path) -> None:
    """A secret in a bundle nested in a product's bundle is tagged with the product; preview, grouping
    the engine's changes by product, puts it under the same product."""
    from pulumi.automation.events import OpType
    from test_engine_changes import pre

    from dataproduct_iac import program
    from dataproduct_iac.engine.changes import group_events
    from dataproduct_iac.ownership import product_names
    from dataproduct_iac.plan import run_program
    from dataproduct_iac.tags import PRODUCT_TAG

    path = tmp_path / "nested.yaml"
    path.write_text(_NESTED_BUNDLES, encoding="utf-8")
    graph = resolve(load([path], ValueSources(environment={})))
    settings = StackSettings()
    plan = run_program(lambda: program.deploy(program.Prepared(graph, settings)), project="p", stack="dev")
    tagged = {
        r.name: r.inputs["tags"].get(PRODUCT_TAG)
        for r in plan.registrations
        if r.type == "aws:secretsmanager/secret:Secret"
    }
    assert tagged == {"deep-r-secret": "sales"}

    # what `preview` hands its change grouping (component name → product), and the grouping itself
    owners = product_names(graph)
    assert owners.get("deep-r") == "sales"
    # an update of the secret's value, as the engine reports it for the registered resources
    urn = {r.name: r.urn for r in plan.registrations}
    stack_urn = next(r.urn for r in plan.registrations if r.type == "pulumi:pulumi:Stack")
    events = [
        pre(stack_urn, OpType.SAME, ""),
        pre(urn["deep-r"], OpType.SAME, stack_urn),
        pre(urn["deep-r-version"], OpType.UPDATE, urn["deep-r"], diffs=["secretString"]),
    ]
    grouped = group_events(events, mode="preview", stack="dev", owners=owners)
    assert [(c.product, c.component) for c in grouped.changes] == [("sales", "InstanceSecret/deep-r")]


# -- The placeholder grammar: the loader and the JSON Schema editors use -----------------------------


@cache
def _schema_placeholder_patterns() -> frozenset[str]:
    """Every ``pattern`` the published JSON Schema uses to let a typed field hold a placeholder."""
    from dataproduct_iac.manifests import json_schemas

    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            description = node.get("description")
            if isinstance(description, str) and description.startswith("a placeholder") and "pattern" in node:
                found.add(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json_schemas())
    return frozenset(found)


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet="${}aZ_1 :ENV.", max_size=12))
def test_the_schema_accepts_as_placeholder_what_the_loader_fills(text: str) -> None:
    """An editor validating against ``dataproduct schema`` lets a typed field hold ``text`` exactly
    when the loader would fill a placeholder in it (``$$`` escapes, Trino's ``${ENV:X}`` is not one)."""
    import jsonschema

    from dataproduct_iac.placeholders import iter_placeholders

    patterns = _schema_placeholder_patterns()
    assert len(patterns) == 1
    validator = jsonschema.Draft202012Validator({"type": "string", "pattern": next(iter(patterns))})
    assert validator.is_valid(text) == any(True for _ in iter_placeholders(text)), text


# -- Is a bucket's TLS-only policy in force: live drift and the policy pack --------------------------

_BUCKET = "lake-data-dev"


def _deny_insecure(**changes: object) -> dict[str, object]:
    statement: dict[str, object] = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{_BUCKET}", f"arn:aws:s3:::{_BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(changes)
    return {"Version": "2012-10-17", "Statement": [statement]}


BUCKET_POLICIES = {
    "as the depot writes it": _deny_insecure(),
    "principal as AWS *": _deny_insecure(Principal={"AWS": "*"}),
    "BoolIfExists": _deny_insecure(Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}),
    "objects only": _deny_insecure(Resource=f"arn:aws:s3:::{_BUCKET}/*"),
    "bucket only": _deny_insecure(Resource=f"arn:aws:s3:::{_BUCKET}"),
    "another bucket": _deny_insecure(Resource=["arn:aws:s3:::other", "arn:aws:s3:::other/*"]),
    "reads only": _deny_insecure(Action=["s3:GetObject"]),
    "one principal": _deny_insecure(Principal={"AWS": "arn:aws:iam::123456789012:root"}),
    "denies secure requests too": _deny_insecure(Condition={}),
    "allow, not deny": _deny_insecure(Effect="Allow"),
}


class _S3WithPolicy:
    """An S3 client whose bucket is well configured apart from the policy under test."""

    def __init__(self, policy: dict[str, object]) -> None:
        self.policy = policy

    def head_bucket(self, **_: object) -> dict[str, object]:
        return {}

    def get_bucket_versioning(self, **_: object) -> dict[str, object]:
        return {"Status": "Enabled"}

    def get_bucket_encryption(self, **_: object) -> dict[str, object]:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        return {"ServerSideEncryptionConfiguration": {"Rules": [rule]}}

    def get_public_access_block(self, **_: object) -> dict[str, object]:
        names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        return {"PublicAccessBlockConfiguration": dict.fromkeys(names, True)}

    def get_bucket_policy(self, **_: object) -> dict[str, object]:
        return {"Policy": json.dumps(self.policy)}


@pytest.mark.parametrize("case", sorted(BUCKET_POLICIES))
def test_live_drift_and_the_policy_pack_agree_on_the_tls_only_policy(case: str) -> None:
    from types import SimpleNamespace

    from dataproduct_iac.drift.live import BucketTarget, check_bucket
    from dataproduct_iac.policy.resources import Registration, check_tls_only_policy

    policy = BUCKET_POLICIES[case]
    aws = SimpleNamespace(s3=_S3WithPolicy(policy))
    findings = check_bucket(BucketTarget("lake", _BUCKET, None), aws)  # type: ignore[arg-type]
    (tls,) = [f for f in findings if f.check == "tls-only-policy"]
    registration = Registration(
        "aws:s3/bucketPolicy:BucketPolicy", "lake-tls-only", {"bucket": _BUCKET, "policy": json.dumps(policy)}
    )
    pack_accepts = check_tls_only_policy(registration, {}) == []
    assert (tls.status == "in_sync") == pack_accepts, (case, tls)


# -- Glue database names: the stack's naming and the scanner's ------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.text(alphabet="aZ-_{}collectin.", max_size=14),
    depot=st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True),
    collection=st.text(alphabet="aZ-_.9{}", min_size=1, max_size=10),
    stack=st.sampled_from(["dev", "prod", "Stage-2", "x.y"]),
)
def test_the_scanner_names_glue_databases_as_the_stack_does(
    prefix: str, depot: str, collection: str, stack: str
) -> None:
    """The database a depot's collection lands in is the same for the components, the drift checks
    and Trino (``StackSettings``) and for the scanner, run in-process or as the ScannerJob's
    container (which receives the template as text)."""
    from dataproduct_iac.scanner import DatabaseNaming
    from dataproduct_iac.scanner.env import settings_from_env

    settings_ = StackSettings(stack=stack, environment="dev", name_prefix=prefix)
    expected = settings_.glue_database_name(depot, collection)
    in_process = DatabaseNaming.from_stack(settings_, depot)
    assert in_process.name(collection) == expected
    env = settings_from_env({"DATAPRODUCT_SCAN_DATABASE_TEMPLATE": in_process.template})
    assert DatabaseNaming(env["template"]).name(collection) == expected
