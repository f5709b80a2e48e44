"""Engine events (built exactly as the Automation API SDK defines them) → grouping → rendering."""

from __future__ import annotations

import json

import pytest
from pulumi.automation.events import (
    DiagnosticEvent,
    DiffKind,
    EngineEvent,
    OpType,
    PropertyDiff,
    ResourcePreEvent,
    ResOutputsEvent,
    StepEventMetadata,
    StepEventStateMetadata,
    SummaryEvent,
)

from dataproduct_iac.engine.changes import group_events, urn_name, urn_type
from dataproduct_iac.engine.report import render_changes
from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.ownership import product_names

PREFIX = "urn:pulumi:dev::dataproduct::"
STACK_URN = PREFIX + "pulumi:pulumi:Stack::dataproduct-dev"
PRODUCT = PREFIX + "dataproduct:index:DataProduct::traffic-source-analysis"
BUNDLE = PREFIX + "dataproduct:index:Bundle::traffic-source-bundle"
DEPOT = PREFIX + "dataproduct:index:Bundle$dataproduct:index:Depot::s3depot"
BUCKET = PREFIX + "dataproduct:index:Bundle$dataproduct:index:Depot$aws:s3/bucket:Bucket::s3depot-bucket"
VERSIONING = (
    PREFIX + "dataproduct:index:Bundle$dataproduct:index:Depot$aws:s3/bucketVersioning:BucketVersioning"
    "::s3depot-versioning"
)
ICEBASE = PREFIX + "dataproduct:index:Depot::icebase"
GLUE_DB = (
    PREFIX + "dataproduct:index:Depot$aws:glue/catalogDatabase:CatalogDatabase::icebase-traffic_analysis"
)
SECRET = PREFIX + "dataproduct:index:InstanceSecret::lensdb-r"
SECRET_VERSION = (
    PREFIX
    + "dataproduct:index:InstanceSecret$aws:secretsmanager/secretVersion:SecretVersion::lensdb-r-version"
)
DESCRIPTOR = PREFIX + "dataproduct:index:DataProduct$aws:s3/bucketObjectv2:BucketObjectv2::traffic-descriptor"
PROTECTED_POLICY = PREFIX + "dataproduct:index:Depot$aws:iam/policy:Policy::icebase-read"
PROVIDER = PREFIX + "pulumi:providers:aws::default"

SECRET_VALUE = "hunter2-do-not-print"

_seq = iter(range(1, 10_000))


def _state(
    urn: str, parent: str, *, protect: bool = False, outputs: dict | None = None
) -> StepEventStateMetadata:
    return StepEventStateMetadata(
        type=urn_type(urn),
        urn=urn,
        id=urn_name(urn),
        parent=parent,
        provider=PROVIDER + "::04da6b54",
        custom=not urn_type(urn).startswith("dataproduct:"),
        protect=protect,
        inputs={"secretString": SECRET_VALUE, "tags": {"owner": "iamgroot"}},
        outputs=outputs if outputs is not None else {"secretString": SECRET_VALUE},
    )


def pre(
    urn: str,
    op: OpType,
    parent: str,
    *,
    diffs: list[str] | None = None,
    detailed: dict[str, PropertyDiff] | None = None,
    keys: list[str] | None = None,
    protect: bool = False,
    old: bool = True,
    new: bool = True,
) -> EngineEvent:
    metadata = StepEventMetadata(
        op=op,
        urn=urn,
        type=urn_type(urn),
        provider=PROVIDER + "::04da6b54",
        old=_state(urn, parent, protect=protect) if old else None,
        new=_state(urn, parent, protect=protect) if new else None,
        keys=keys,
        diffs=diffs,
        detailed_diff=detailed,
        logical=True,
    )
    return EngineEvent(
        sequence=next(_seq),
        timestamp=1_760_000_000,
        resource_pre_event=ResourcePreEvent(metadata, planning=True),
    )


def preview_events() -> list[EngineEvent]:
    replace_diff = {"bucket": PropertyDiff(DiffKind.UPDATE_REPLACE, True)}
    return [
        pre(STACK_URN, OpType.SAME, "", old=True),
        pre(PRODUCT, OpType.SAME, STACK_URN),
        pre(BUNDLE, OpType.SAME, STACK_URN),
        pre(DEPOT, OpType.SAME, BUNDLE),
        # a bucket rename: replace steps as the engine emits them (three steps, one resource)
        pre(BUCKET, OpType.CREATE_REPLACEMENT, DEPOT, detailed=replace_diff, keys=["bucket"], protect=True),
        pre(BUCKET, OpType.REPLACE, DEPOT, detailed=replace_diff, keys=["bucket"], protect=True),
        pre(BUCKET, OpType.DELETE_REPLACED, DEPOT, detailed=replace_diff, keys=["bucket"], protect=True),
        pre(
            VERSIONING,
            OpType.UPDATE,
            DEPOT,
            detailed={"versioningConfiguration.status": PropertyDiff(DiffKind.UPDATE, True)},
        ),
        pre(ICEBASE, OpType.SAME, STACK_URN),
        pre(GLUE_DB, OpType.DELETE, ICEBASE, new=False),
        pre(SECRET, OpType.SAME, STACK_URN),
        pre(SECRET_VERSION, OpType.UPDATE, SECRET, diffs=["secretString"]),
        pre(DESCRIPTOR, OpType.CREATE, PRODUCT, old=False),
        pre(PROTECTED_POLICY, OpType.DELETE, ICEBASE, protect=True, new=False),
        EngineEvent(
            sequence=next(_seq),
            timestamp=1_760_000_001,
            summary_event=SummaryEvent(False, 3, {OpType.UPDATE: 2}, {}),
        ),
    ]


@pytest.fixture
def owners(traffic_example) -> dict[str, str]:
    manifests, values = traffic_example
    return product_names(resolve(load([manifests], values)))


def test_product_names(owners: dict[str, str]) -> None:
    assert owners["traffic-source-analysis"] == "traffic-source-analysis"
    assert owners["traffic-source-bundle"] == "traffic-source-analysis"
    # members of the product's bundle (the example's bundle holds its depots and their secrets)
    assert owners["s3depot"] == "traffic-source-analysis"
    assert owners["icebase"] == "traffic-source-analysis"
    assert owners["s3depot-r"] == "traffic-source-analysis"


def test_grouping_counts_and_danger(owners: dict[str, str]) -> None:
    changes = group_events(preview_events(), mode="preview", stack="dev", owners=owners)
    assert changes.counts == {"create": 1, "update": 2, "replace": 1, "delete": 2}
    assert changes.unchanged == 6  # stack, product, bundle, depot, icebase, secret component
    by_urn = {c.urn: c for c in changes.changes}

    bucket = by_urn[BUCKET]
    assert (bucket.op, bucket.product, bucket.component) == (
        "replace",
        "traffic-source-analysis",
        "Depot/s3depot",
    )
    assert bucket.properties == ["bucket"] and bucket.replace_properties == ["bucket"]
    assert bucket.protected and bucket.dangerous and "Bucket" in (bucket.reason or "")

    versioning = by_urn[VERSIONING]
    assert versioning.op == "update" and versioning.properties == ["versioningConfiguration.status"]
    assert not versioning.dangerous

    glue = by_urn[GLUE_DB]
    assert glue.op == "delete" and glue.dangerous and glue.component == "Depot/icebase"
    assert glue.product == "traffic-source-analysis"  # through the owners map (icebase is in the bundle)

    policy = by_urn[PROTECTED_POLICY]
    assert policy.dangerous and policy.reason == "deletes a protected resource"

    secret_version = by_urn[SECRET_VERSION]
    assert secret_version.op == "update" and not secret_version.dangerous
    assert secret_version.product == "traffic-source-analysis"  # lensdb-r is a member of the bundle
    assert secret_version.component == "InstanceSecret/lensdb-r"

    descriptor = by_urn[DESCRIPTOR]
    assert descriptor.product == "traffic-source-analysis"  # a child of the DataProduct component
    assert {c.urn for c in changes.dangerous} == {BUCKET, GLUE_DB, PROTECTED_POLICY}


def test_groups_without_owners_fall_back_to_parent_chain() -> None:
    changes = group_events(preview_events(), mode="preview", stack="dev")
    groups = changes.groups()
    assert list(groups) == ["traffic-source-analysis", "(shared)"]  # shared last
    assert list(groups["traffic-source-analysis"]) == ["DataProduct/traffic-source-analysis"]
    assert "Depot/s3depot" in groups["(shared)"]


def test_diagnostic_errors_are_collected() -> None:
    error = EngineEvent(
        sequence=next(_seq),
        timestamp=1,
        diagnostic_event=DiagnosticEvent(
            message="\x1b[31merror: <{%reset%}>program failed\n", color="never", severity="error"
        ),
    )
    changes = group_events([*preview_events(), error], mode="preview", stack="dev")
    assert changes.errors == ["error: program failed"]


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_rendering_names_properties_never_values(fmt: str, owners: dict[str, str]) -> None:
    changes = group_events(preview_events(), mode="preview", stack="dev", owners=owners)
    out = render_changes(changes, fmt)
    assert SECRET_VALUE not in out
    assert "s3depot-bucket" in out and "secretString" in out
    if fmt == "json":
        data = json.loads(out)
        assert data["counts"] == {"create": 1, "update": 2, "replace": 1, "delete": 2}
        assert data["dangerous"] == 3
        [product] = [p for p in data["products"] if p["product"] == "traffic-source-analysis"]
        components = {c["component"] for c in product["components"]}
        assert components == {
            "Depot/s3depot",
            "Depot/icebase",
            "DataProduct/traffic-source-analysis",
            "InstanceSecret/lensdb-r",
        }
    elif fmt == "markdown":
        assert "> [!CAUTION]" in out
        assert "#### traffic-source-analysis (+1 create, ~2 update, +-1 replace, -2 delete)" in out
        assert (
            "| Depot/s3depot | +- replace | s3depot-bucket | aws:s3/bucket:Bucket | bucket (replace) |" in out
        )
    else:
        assert out.splitlines()[0] == (
            "Preview of stack dev: 1 to create, 2 to update, 1 to replace, 2 to delete "
            "(6 unchanged); 3 dangerous"
        )
        bucket_line = next(line for line in out.splitlines() if "s3depot-bucket" in line)
        assert "DANGEROUS" in bucket_line and bucket_line.startswith("traffic-source-analysis")


def test_markdown_escapes_names_from_pull_requests() -> None:
    urn = PREFIX + "dataproduct:index:Depot::evil|name<script>"
    changes = group_events([pre(urn, OpType.CREATE, STACK_URN, old=False)], mode="preview", stack="dev")
    out = render_changes(changes, "markdown")
    assert "<script>" not in out and "evil\\|name&lt;script&gt;" in out


def test_no_changes() -> None:
    changes = group_events([pre(BUCKET, OpType.SAME, DEPOT)], mode="preview", stack="dev")
    assert changes.changes == [] and changes.unchanged == 1
    assert "No changes." in render_changes(changes, "markdown")


# -- refresh (drift) ---------------------------------------------------------------------------
def refresh_event(urn: str, parent: str, old_out: dict, new_out: dict | None, **extra) -> EngineEvent:
    metadata = StepEventMetadata(
        op=OpType.REFRESH,
        urn=urn,
        type=urn_type(urn),
        provider=PROVIDER + "::04da6b54",
        old=_state(urn, parent, outputs=old_out),
        new=_state(urn, parent, outputs=new_out) if new_out is not None else None,
        **extra,
    )
    return EngineEvent(
        sequence=next(_seq), timestamp=2, res_outputs_event=ResOutputsEvent(metadata, planning=True)
    )


def test_refresh_events_become_drift() -> None:
    events = [
        # versioning suspended outside Pulumi: outputs differ
        refresh_event(
            VERSIONING,
            DEPOT,
            {"versioningConfiguration": {"status": "Enabled"}, "bucket": "b"},
            {"versioningConfiguration": {"status": "Suspended"}, "bucket": "b"},
        ),
        # the Glue database was deleted outside Pulumi
        refresh_event(GLUE_DB, ICEBASE, {"name": "db"}, None),
        # unchanged
        refresh_event(BUCKET, DEPOT, {"bucket": "b"}, {"bucket": "b"}),
        # the engine computed a diff for a secret
        refresh_event(
            SECRET_VERSION,
            SECRET,
            {"secretString": SECRET_VALUE},
            {"secretString": SECRET_VALUE},
            detailed_diff={"secretString": PropertyDiff(DiffKind.UPDATE, False)},
        ),
    ]
    changes = group_events(events, mode="drift", stack="prod")
    by_urn = {c.urn: c for c in changes.changes}
    assert set(by_urn) == {VERSIONING, GLUE_DB, SECRET_VERSION}
    assert by_urn[VERSIONING].op == "update" and by_urn[VERSIONING].properties == ["versioningConfiguration"]
    assert by_urn[GLUE_DB].op == "delete" and by_urn[GLUE_DB].dangerous
    assert by_urn[SECRET_VERSION].properties == ["secretString"]
    assert changes.unchanged == 1
    text = render_changes(changes, "text")
    assert (
        text.splitlines()[0]
        == "Drift (refresh preview) of stack prod: 2 drifted, 1 gone (1 unchanged); 1 dangerous"
    )
    assert SECRET_VALUE not in text and SECRET_VALUE not in render_changes(changes, "json")
