"""The plan as ``dataproduct plan`` prints it: the resource tree (type, logical name, physical name,
key properties) and a summary, from a recorded :class:`~dataproduct_iac.plan.Plan`."""

from __future__ import annotations

import json
from typing import Any

from .plan import STACK_TYPE, Plan, Registration
from .text_tables import table

_PHYSICAL: dict[str, tuple[str, ...]] = {
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:s3/bucketObjectv2:BucketObjectv2": ("key",),
}
_KEY_PROPS: dict[str, tuple[str, ...]] = {
    "aws:secretsmanager/secret:Secret": ("recoveryWindowInDays", "kmsKeyId"),
    "aws:secretsmanager/secretVersion:SecretVersion": ("secretString",),
    "aws:s3/bucketVersioning:BucketVersioning": ("bucket", "versioningConfiguration.status"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "bucket",
        "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "bucket",
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ("bucket", "rule.objectOwnership"),
    "aws:s3/bucketPolicy:BucketPolicy": ("bucket",),
    "aws:glue/catalogDatabase:CatalogDatabase": ("locationUri",),
    "aws:s3/bucketObjectv2:BucketObjectv2": ("bucket", "contentType"),
}


def _dig(inputs: Any, dotted: str) -> Any:
    current = inputs
    for part in dotted.split("."):
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return None
    return current


def physical_name(reg: Registration) -> str:
    for key in _PHYSICAL.get(reg.type, ("name", "metadata.name")):
        value = _dig(reg.inputs, key)
        if isinstance(value, str):
            return value
    return ""


def key_properties(reg: Registration) -> str:
    parts = []
    for key in _KEY_PROPS.get(reg.type, ()):
        value = _dig(reg.inputs, key)
        if value is not None:
            shown = json.dumps(value) if not isinstance(value, str) else value
            parts.append(f"{key.split('.')[-1]}={shown}")
    if reg.protect:
        parts.append("[protect]")
    if reg.retain_on_delete:
        parts.append("[retainOnDelete]")
    return " ".join(parts)


def render_text(plan: Plan) -> str:
    """The resource tree (type, logical name, physical name, key properties) and a summary."""
    children: dict[str | None, list[Registration]] = {}
    for reg in plan.resources:
        children.setdefault(reg.parent, []).append(reg)
    rows: list[tuple[str, str, str, str]] = []

    def visit(parent: str | None, prefix: str) -> None:
        items = children.get(parent, [])
        for index, reg in enumerate(items):
            last = index == len(items) - 1
            branch = "" if parent is None else ("└─ " if last else "├─ ")
            rows.append((prefix + branch + reg.type, reg.name, physical_name(reg), key_properties(reg)))
            deeper = prefix + ("" if parent is None else ("   " if last else "│  "))
            visit(reg.urn, deeper)

    visit(None, "")
    known = {r.urn for r in plan.resources}
    for reg in plan.resources:
        if reg.parent is not None and reg.parent not in known:
            rows.append((reg.type, reg.name, physical_name(reg), key_properties(reg)))
    lines = [
        f"Plan for stack {plan.project}/{plan.stack} "
        "(offline preview on the Pulumi mock engine; nothing is created)",
        "",
        *table([("TYPE", "NAME", "PHYSICAL NAME", "KEY PROPERTIES"), *rows]),
    ]
    resources = [r for r in plan.resources if r.type != STACK_TYPE]
    custom = sum(1 for r in resources if r.custom)
    protected = sum(1 for r in resources if r.protect)
    by_type: dict[str, int] = {}
    for reg in resources:
        by_type[reg.type] = by_type.get(reg.type, 0) + 1
    lines += [
        "",
        f"Resources: + {len(resources)} to create ({len(resources) - custom} components, {custom} cloud or "
        f"Kubernetes resources; {protected} protected)",
    ]
    lines += [f"  {count:>4}  {kind}" for kind, count in sorted(by_type.items())]
    return "\n".join(lines) + "\n"
