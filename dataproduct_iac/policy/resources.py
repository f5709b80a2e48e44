"""Rules over resource registrations: what every stack built from data product manifests must hold.

A :class:`Registration` is a resource as the engine sees it: type token, logical name, URN,
camelCase properties, parent, dependencies and the protect/retainOnDelete options. The same
rules run from three places: unit tests, the registrations recorded by ``dataproduct plan
--json``, and the CrossGuard pack in ``policies/`` (which converts its arguments into
registrations).

Per-resource rules (:data:`RESOURCE_RULES`): bucket encryption, public access block, TLS-only
bucket policy, protection of data-holding resources, the secret recovery window, IAM least
privilege, restricted pods, resource limits, owner/data-product tags. Stack rules
(:data:`STACK_RULES`) look across resources: every managed bucket has its encryption, public
access block, TLS-only policy and versioning attached; URNs are unique.

An unknown value (a preview's placeholder) is never reported as a violation: it is checked when
it is known.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import iam
from .pod_security import check_pod_security, check_resources

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's placeholder for a value not known during a preview."""
UNKNOWN_VALUES = frozenset({UNKNOWN, "[unknown]"})
"""Unknown markers: the engine's, and the one ``dataproduct plan --json`` writes."""

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKET_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
GLUE_DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
SECRET = "aws:secretsmanager/secret:Secret"
IAM_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)

PROTECTED_TYPES = (BUCKET, BUCKET_V2, GLUE_DATABASE, SECRET)
"""Resources that hold data or credentials: protected (or retained on delete) unless opted out."""
TAGGED_TYPES = (
    BUCKET,
    BUCKET_V2,
    GLUE_DATABASE,
    SECRET,
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:s3/bucketObjectv2:BucketObjectv2",
)
"""AWS resources that take tags; inside a ``dataproduct:index:*`` component they must carry them."""

KUBERNETES_POD_TYPES = {
    "kubernetes:core/v1:Pod": "Pod",
    "kubernetes:core/v1:PodTemplate": "PodTemplate",
    "kubernetes:core/v1:ReplicationController": "ReplicationController",
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
    "kubernetes:apps/v1:ReplicaSet": "ReplicaSet",
    "kubernetes:batch/v1:Job": "Job",
    "kubernetes:batch/v1:CronJob": "CronJob",
}

OWNER_TAG = "dataproduct:owner"
DATA_PRODUCT_TAG = "dataproduct:product"
"""Tag keys, in the components' ``dataproduct:<key>`` convention."""
COMPONENT_PREFIX = "dataproduct:index:"
DATA_PRODUCT_COMPONENT = "dataproduct:index:DataProduct"
SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
MIN_RECOVERY_WINDOW_DAYS = 7
MAX_RECOVERY_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Registration:
    """One resource as registered with the engine (camelCase properties)."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    parent: str | None = None
    depends_on: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    custom: bool = True

    @classmethod
    def from_plan(cls, record: Mapping[str, Any]) -> Registration:
        """From one entry of ``dataproduct plan --json``'s ``resources``."""
        return cls(
            type=str(record["type"]),
            name=str(record["name"]),
            props=record.get("inputs") or {},
            urn=str(record.get("urn") or ""),
            parent=record.get("parent") or None,
            depends_on=tuple(record.get("depends_on") or ()),
            protect=bool(record.get("protect")),
            retain_on_delete=bool(record.get("retainOnDelete")),
            custom=bool(record.get("custom", True)),
        )

    @property
    def ancestor_types(self) -> list[str]:
        """Parent types visible without the rest of the stack: from the URN (``parent$type``) and the
        parent's URN (``grandparent$parent``); outermost first."""
        own = _urn_types(self.urn)[:-1]
        from_parent = _urn_types(self.parent or "")
        return list(dict.fromkeys([*from_parent, *own]))


def _urn_types(urn: str) -> list[str]:
    parts = urn.split("::")
    return parts[2].split("$") if len(parts) >= 4 else []


@dataclass(frozen=True)
class Config:
    """Per-stack knobs of the rules (in the pack: policy configuration)."""

    allow_unprotected: bool = False
    """The explicit opt-out (``dataproduct:protect: false`` in the stack, ``allowUnprotected`` here)."""
    required_tags: tuple[str, ...] = (OWNER_TAG,)
    default_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags the AWS provider adds to every resource (``aws:defaultTags``)."""


@dataclass(frozen=True)
class Finding:
    rule: str
    urn: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.urn}: {self.message}"


ResourceCheck = Callable[[Registration, Config], list[str]]
StackCheck = Callable[[Sequence[Registration], Config], list[tuple[str, str]]]


@dataclass(frozen=True)
class ResourceRule:
    name: str
    description: str
    check: ResourceCheck


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    check: StackCheck


def _unknown(value: Any) -> bool:
    return isinstance(value, str) and (value in UNKNOWN_VALUES or any(m in value for m in UNKNOWN_VALUES))


def _known(value: Any) -> bool:
    return value is not None and not _unknown(value)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [value] if isinstance(value, Mapping) else []


# --- per-resource rules ----------------------------------------------------------------------------


def _sse_rules_problems(rules: list[Any]) -> list[str]:
    if not rules:
        return ["no server-side encryption rule"]
    problems = []
    for rule in rules:
        default = _map(_map(rule).get("applyServerSideEncryptionByDefault"))
        algorithm = default.get("sseAlgorithm")
        if _known(algorithm) and algorithm not in SSE_ALGORITHMS:
            problems.append(f"sseAlgorithm {algorithm!r} is not one of {', '.join(sorted(SSE_ALGORITHMS))}")
        elif algorithm is None:
            problems.append("a rule without applyServerSideEncryptionByDefault.sseAlgorithm")
    return problems


def check_bucket_encryption(reg: Registration, config: Config) -> list[str]:
    if reg.type in BUCKET_SSE:
        rules = reg.props.get("rules", reg.props.get("rule"))
        return [] if _unknown(rules) else _sse_rules_problems(_list(rules))
    if reg.type in (BUCKET, BUCKET_V2):
        inline = _map(reg.props.get("serverSideEncryptionConfiguration"))
        if inline:
            return _sse_rules_problems(_list(inline.get("rules", inline.get("rule"))))
    return []


def check_public_access_block(reg: Registration, config: Config) -> list[str]:
    if reg.type != BUCKET_PAB:
        return []
    return [
        f"{flag} must be true"
        for flag in PUBLIC_ACCESS_FLAGS
        if reg.props.get(flag) is not True and not _unknown(reg.props.get(flag))
    ]


def _policy_document(value: Any) -> iam.PolicyDocument | str | None:
    """The parsed document, ``None`` when unknown, or an error message."""
    if not _known(value):
        return None
    try:
        return iam.PolicyDocument(value if isinstance(value, str | Mapping) else json.dumps(value))
    except (ValueError, TypeError) as exc:
        return f"policy is not a valid IAM policy document: {exc}"


def _check_document(reg: Registration, check: Callable[[iam.PolicyDocument], list[str]]) -> list[str]:
    """``check`` of the registration's ``policy``: nothing while it is unknown, the parse error when it is
    not an IAM policy document."""
    doc = _policy_document(reg.props.get("policy"))
    if doc is None:
        return []
    if isinstance(doc, str):
        return [doc]
    return check(doc)


def check_tls_only_policy(reg: Registration, config: Config) -> list[str]:
    if reg.type != BUCKET_POLICY:
        return []
    return _check_document(reg, lambda doc: _tls_only_problems(doc, reg.props.get("bucket")))


def _tls_only_problems(doc: iam.PolicyDocument, bucket: Any) -> list[str]:
    candidates = {r for s in doc.statements for r in s.resources if r.startswith("arn:") and "/" not in r}
    if isinstance(bucket, str) and _known(bucket):
        # the policy must protect the bucket it is attached to (partition taken from the policy)
        partitions = {c.split(":")[1] for c in candidates} or {"aws"}
        candidates = {bucket} if bucket.startswith("arn:") else {f"arn:{p}:s3:::{bucket}" for p in partitions}
    if any(iam.denies_insecure_transport(doc, arn) for arn in candidates):
        return []
    return [
        "bucket policy must deny every request with aws:SecureTransport=false "
        "(Effect Deny, Principal *, Action s3:*, the bucket and bucket/*)"
    ]


def check_protected(reg: Registration, config: Config) -> list[str]:
    if reg.type not in PROTECTED_TYPES or config.allow_unprotected:
        return []
    if reg.protect or reg.retain_on_delete:
        return []
    return [
        "holds data or credentials: register it with protect=True (or retainOnDelete) — or opt out "
        "explicitly for this stack (dataproduct:protect false, policy config allowUnprotected)"
    ]


def check_recovery_window(reg: Registration, config: Config) -> list[str]:
    if reg.type != SECRET:
        return []
    days = reg.props.get("recoveryWindowInDays")
    if days is None or _unknown(days):
        return []  # unset: AWS's default of 30 days
    try:
        value = float(days)
    except (TypeError, ValueError):
        return [f"recoveryWindowInDays {days!r} is not a number"]
    if not MIN_RECOVERY_WINDOW_DAYS <= value <= MAX_RECOVERY_WINDOW_DAYS:
        return [
            f"recoveryWindowInDays is {value:g}; a deleted secret must stay recoverable for "
            f"{MIN_RECOVERY_WINDOW_DAYS}..{MAX_RECOVERY_WINDOW_DAYS} days (0 deletes it at once)"
        ]
    return []


def check_iam_least_privilege(reg: Registration, config: Config) -> list[str]:
    if reg.type not in IAM_POLICY_TYPES:
        return []
    return _check_document(reg, iam.lint_document)


def _pod_object(reg: Registration) -> tuple[Mapping[str, Any], str] | None:
    kind = KUBERNETES_POD_TYPES.get(reg.type)
    return (reg.props, kind) if kind else None


def check_restricted_pods(reg: Registration, config: Config) -> list[str]:
    found = _pod_object(reg)
    return [str(v) for v in check_pod_security(*found)] if found else []


def check_resource_limits(reg: Registration, config: Config) -> list[str]:
    found = _pod_object(reg)
    return [str(v) for v in check_resources(*found)] if found else []


def check_tags(reg: Registration, config: Config) -> list[str]:
    if reg.type not in TAGGED_TYPES:
        return []
    ancestors = reg.ancestor_types
    if not any(t.startswith(COMPONENT_PREFIX) for t in ancestors):
        return []
    return _missing_tags(reg, config, list(config.required_tags))


def _missing_tags(reg: Registration, config: Config, required: list[str]) -> list[str]:
    tags = reg.props.get("tags")
    if _unknown(tags):
        return []
    merged = {**config.default_tags, **_map(tags)}
    return [f"missing tag {key!r}" for key in required if not merged.get(key)]


RESOURCE_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        "s3-bucket-encryption",
        "S3 server-side encryption must use AES256 or KMS (aws:kms, aws:kms:dsse).",
        check_bucket_encryption,
    ),
    ResourceRule(
        "s3-public-access-block",
        "S3 public access blocks must set all four flags to true.",
        check_public_access_block,
    ),
    ResourceRule(
        "s3-tls-only-policy",
        "S3 bucket policies must deny every request made without TLS (aws:SecureTransport=false).",
        check_tls_only_policy,
    ),
    ResourceRule(
        "data-protected",
        "Buckets, Glue databases and secrets are protected (or retained on delete) unless a stack opts out.",
        check_protected,
    ),
    ResourceRule(
        "secret-recovery-window",
        "Secrets Manager secrets keep a recovery window of 7 to 30 days.",
        check_recovery_window,
    ),
    ResourceRule(
        "iam-least-privilege",
        "IAM policies name their actions and resources: no '*' action or service-wide wildcard, "
        "no '*' resource.",
        check_iam_least_privilege,
    ),
    ResourceRule(
        "pod-security-restricted",
        "Pod templates meet the Kubernetes Pod Security Standards 'restricted' profile.",
        check_restricted_pods,
    ),
    ResourceRule(
        "pod-resource-limits",
        "Every container and init container requests and limits cpu and memory.",
        check_resource_limits,
    ),
    ResourceRule(
        "data-product-tags",
        "AWS resources created by dataproduct components carry an owner tag (dataproduct:owner).",
        check_tags,
    ),
)


# --- stack rules -----------------------------------------------------------------------------------


def _attached(sidecar: Registration, bucket: Registration) -> bool:
    """Does ``sidecar`` (an SSE config, PAB, policy or versioning) configure ``bucket``?"""
    if bucket.urn and bucket.urn in sidecar.depends_on:
        return True
    target = sidecar.props.get("bucket")
    if not _known(target):
        return False
    names = {bucket.props.get("bucket"), bucket.props.get("id"), bucket.props.get("arn")}
    return target in {n for n in names if _known(n)}


def check_bucket_safeguards(registrations: Sequence[Registration], config: Config) -> list[tuple[str, str]]:
    findings: list[tuple[str, str]] = []
    buckets = [r for r in registrations if r.type in (BUCKET, BUCKET_V2)]
    for bucket in buckets:

        def attached(types: Iterable[str], _bucket: Registration = bucket) -> list[Registration]:
            kinds = set(types)
            return [r for r in registrations if r.type in kinds and _attached(r, _bucket)]

        inline_sse = bool(_map(bucket.props.get("serverSideEncryptionConfiguration")))
        if not inline_sse and not attached(BUCKET_SSE):
            findings.append((bucket.urn, "no server-side encryption configuration attached"))
        if not attached([BUCKET_PAB]):
            findings.append((bucket.urn, "no public access block attached"))
        policies = attached([BUCKET_POLICY])
        if not policies:
            findings.append((bucket.urn, "no bucket policy attached (TLS-only policy required)"))
        versioning = attached(BUCKET_VERSIONING)
        if not versioning:
            findings.append((bucket.urn, "no versioning configuration attached"))
        for item in versioning:
            status = _map(item.props.get("versioningConfiguration")).get("status")
            if _known(status) and status != "Enabled":
                findings.append((item.urn, f"versioning status is {status!r}; must be Enabled"))
    return findings


def check_product_tags(registrations: Sequence[Registration], config: Config) -> list[tuple[str, str]]:
    """Taggable resources anywhere under a DataProduct component name their product."""
    by_urn = {r.urn: r for r in registrations if r.urn}
    findings: list[tuple[str, str]] = []
    for reg in registrations:
        if reg.type not in TAGGED_TYPES:
            continue
        parent, seen = reg.parent, set()
        while parent and parent in by_urn and parent not in seen:
            seen.add(parent)
            if by_urn[parent].type == DATA_PRODUCT_COMPONENT:
                findings.extend((reg.urn, m) for m in _missing_tags(reg, config, [DATA_PRODUCT_TAG]))
                break
            parent = by_urn[parent].parent
    return findings


def check_unique_urns(registrations: Sequence[Registration], config: Config) -> list[tuple[str, str]]:
    counts = Counter(r.urn for r in registrations if r.urn)
    return [(urn, f"registered {n} times") for urn, n in sorted(counts.items()) if n > 1]


STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "s3-bucket-safeguards",
        "Every S3 bucket has encryption, a public access block, a TLS-only policy and versioning attached.",
        check_bucket_safeguards,
    ),
    StackRule(
        "data-product-tags-in-products",
        "AWS resources under a DataProduct component carry its name (dataproduct:product).",
        check_product_tags,
    ),
    StackRule("unique-urns", "No two resources share a URN.", check_unique_urns),
)


def check_registration(reg: Registration, config: Config | None = None) -> list[Finding]:
    config = config or Config()
    return [
        Finding(rule.name, reg.urn or reg.name, message)
        for rule in RESOURCE_RULES
        for message in rule.check(reg, config)
    ]


def check_stack(registrations: Iterable[Registration], config: Config | None = None) -> list[Finding]:
    """Every per-resource rule on every registration, then the stack rules."""
    config = config or Config()
    regs = list(registrations)
    findings = [f for reg in regs for f in check_registration(reg, config)]
    for rule in STACK_RULES:
        findings.extend(Finding(rule.name, urn, message) for urn, message in rule.check(regs, config))
    return findings
