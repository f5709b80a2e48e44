"""Live drift checks: the manifests' desired state against AWS (and Trino), without Pulumi state.

:func:`desired_state` derives what should exist from a resolved manifest graph and the stack
settings (physical names come from :class:`~dataproduct_iac.settings.StackSettings`, the same
functions the components use). :func:`run_checks` checks it concurrently with a bounded thread
pool. Every check yields a :class:`Finding`; a check that cannot be completed (API error,
access denied, missing module) is ``unknown``, never ``in_sync``. Secret values are compared as
salted SHA-256 digests and never printed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import secrets as _random
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, Literal

from ..aws_clients import ClientSettings, IncompleteReply, make_client
from ..errors import UsageError
from ..manifests import Cluster, DataProduct, Depot, InstanceSecret
from ..manifests.connections import S3Connection
from ..manifests.instance_secret import SecretFileError
from ..ownership import ownership_of, products_by_member
from ..policy.iam import UnsupportedCondition, denies_insecure_transport
from ..settings import StackSettings
from ..tags import Ownership, ownership, secret_tags
from ..trino.client import TrinoConnection
from ..trino.health import check_health
from ..trino.render import render_cluster

Status = Literal["in_sync", "drifted", "unknown"]
Severity = Literal["high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low", "info")
DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class Finding:
    severity: Severity
    resource: str
    check: str
    expected: str
    actual: str
    status: Status

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


# -- desired state -----------------------------------------------------------------------------
@dataclass
class SecretTarget:
    name: str
    physical: str
    digests: dict[str, str]
    """key → salted digest of the declared value (``files`` keys: digest of the file, if readable)."""
    unreadable: list[str]
    """Keys whose desired value is not available here (a ``files`` entry that cannot be read)."""
    tags: dict[str, str]
    salt: bytes = field(repr=False, default=b"")
    """The salt of :attr:`digests` (random per run; digests never leave the process)."""


@dataclass
class BucketTarget:
    depot: str
    physical: str
    kms_key_id: str | None
    tls_only_policy: bool = True
    """False when the stack deliberately leaves the TLS-only policy out (``dataproduct:tlsOnlyPolicy``)."""
    partition: str = "aws"

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.physical}"


@dataclass
class ExternalBucketTarget:
    depot: str
    bucket: str


@dataclass
class TableTarget:
    product: str
    uri: str
    database: str
    table: str


@dataclass
class DatabaseTarget:
    product: str
    uri: str
    database: str


@dataclass
class ClusterTarget:
    name: str
    cluster: Cluster
    depots: dict[str, Depot] = field(default_factory=dict)
    depot_secrets: dict[str, list[InstanceSecret]] = field(default_factory=dict)


@dataclass
class Desired:
    secrets: list[SecretTarget] = field(default_factory=list)
    buckets: list[BucketTarget] = field(default_factory=list)
    external_buckets: list[ExternalBucketTarget] = field(default_factory=list)
    tables: list[TableTarget] = field(default_factory=list)
    databases: list[DatabaseTarget] = field(default_factory=list)
    clusters: list[ClusterTarget] = field(default_factory=list)
    salt: bytes = field(default_factory=lambda: _random.token_bytes(16), repr=False)


def digest(salt: bytes, value: str) -> str:
    return hashlib.sha256(salt + value.encode("utf-8")).hexdigest()


def expected_secret_tags(
    secret: InstanceSecret, settings: StackSettings, owned: Ownership | None = None
) -> dict[str, str]:
    """The tags the ``InstanceSecret`` component sets: the same :func:`~dataproduct_iac.tags.secret_tags`.

    ``owned``: the secret's owner and product (from :func:`~dataproduct_iac.ownership.ownership_of`);
    default: the manifest's owner, else the stack's.
    """
    return secret_tags(secret, settings, owned or ownership(settings, owner=secret.owner))


def desired_state(graph: Any, settings: StackSettings, *, unavailable_value: str | None = None) -> Desired:
    """What the manifests say should exist in this stack's account (physical names included).

    A secret value equal to ``unavailable_value`` (the offline reader's stand-in for a secure
    stack value it could not decrypt) is not compared: its check is ``unknown``.
    """
    from ..scanner import table_name  # the scanner's own naming of Glue tables

    desired = Desired()
    products = products_by_member(graph)
    for node in graph.of_kind("instance-secret"):
        secret: InstanceSecret = node.manifest
        spec = secret.instance_secret
        digests: dict[str, str] = {}
        unreadable: list[str] = []
        for key, value in spec.data.items():
            plain = value.get_secret_value()
            if unavailable_value is not None and unavailable_value in plain:
                unreadable.append(key)
            else:
                digests[key] = digest(desired.salt, plain)
        for key in spec.files:  # paths made absolute by the loader, files read once there
            try:
                digests[key] = digest(desired.salt, spec.file_text(key))
            except SecretFileError:
                unreadable.append(key)
        desired.secrets.append(
            SecretTarget(
                name=secret.name,
                physical=settings.secret_name(secret.name),
                digests=digests,
                unreadable=sorted(unreadable),
                tags=expected_secret_tags(
                    secret, settings, ownership_of(graph, node.key, settings, products)
                ),
                salt=desired.salt,
            )
        )
    s3_depots: dict[str, Depot] = {}
    for node in graph.of_kind("depot"):
        depot: Depot = node.manifest
        connection = depot.connection
        if not isinstance(connection, S3Connection):
            continue
        s3_depots[depot.name] = depot
        if depot.depot.external:
            desired.external_buckets.append(ExternalBucketTarget(depot.name, connection.bucket))
        else:
            desired.buckets.append(
                BucketTarget(
                    depot.name,
                    settings.bucket_name(connection.bucket),
                    settings.kms_key_id,
                    settings.tls_only_policy,
                    settings.aws_partition,
                )
            )
    seen_tables: set[tuple[str, str]] = set()
    seen_databases: set[str] = set()
    for node in graph.of_kind("product"):
        product: DataProduct = node.manifest
        for direction, refs in (("input", product.inputs), ("output", product.outputs)):
            for ref in refs:
                if ref.ref_type == "external":
                    continue
                address = ref.address
                if address.depot not in s3_depots or not address.collection:
                    continue
                database = settings.glue_database_name(address.depot, address.collection)
                if direction == "input" and address.dataset:
                    table = (database, table_name(address.dataset))
                    if table not in seen_tables:
                        seen_tables.add(table)
                        desired.tables.append(TableTarget(product.name, address.uri, *table))
                elif direction == "output" and database not in seen_databases:
                    seen_databases.add(database)
                    desired.databases.append(DatabaseTarget(product.name, address.uri, database))
    for node in graph.of_kind("cluster"):
        needed = [key[1] for key in graph.dependencies(node.key) if key[0] == "depot"]
        depots = {name: graph.get("depot", name).manifest for name in needed}
        secrets = {name: graph.depot_secrets(name) for name in needed}
        desired.clusters.append(ClusterTarget(node.name, node.manifest, depots, secrets))
    return desired


# -- AWS ---------------------------------------------------------------------------------------
@dataclass
class AwsClients:
    s3: Any
    secretsmanager: Any
    glue: Any

    @classmethod
    def create(cls, region: str | None = None, settings: ClientSettings | None = None) -> AwsClients:
        """Clients with ``settings``' timeouts and retries whose replies are checked for completeness
        (:mod:`dataproduct_iac.aws_clients`); boto3 honours ``AWS_ENDPOINT_URL`` (moto, LocalStack)."""
        import boto3

        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        session = boto3.session.Session(region_name=region)
        return cls(
            s3=make_client(session, "s3", settings),
            secretsmanager=make_client(session, "secretsmanager", settings),
            glue=make_client(session, "glue", settings),
        )


class _ApiError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _call(fn: Callable[..., Any], /, *required: str, **kwargs: Any) -> Any:
    """Call an AWS API; any failure becomes :class:`_ApiError` with a value-free code. A reply that
    lacks one of the ``required`` fields is not an answer either (``IncompleteReply``)."""
    try:
        reply = fn(**kwargs)
    except IncompleteReply as exc:  # cut off or unparseable: says nothing about the resource
        raise _ApiError(f"{type(exc).__name__} ({exc.reason})") from None
    except Exception as exc:  # botocore raises many classes; all of them mean "not known"
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code") or type(exc).__name__)
        else:
            code = type(exc).__name__
        raise _ApiError(code) from None
    missing = [name for name in required if name not in reply]
    if missing:
        raise _ApiError(f"IncompleteReply (no {', '.join(missing)} in the reply)")
    return reply


_NOT_FOUND = {
    "404",
    "NoSuchBucket",
    "ResourceNotFoundException",
    "EntityNotFoundException",
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchBucketPolicy",
}


class _Checker:
    """Collects the findings of one resource's checks."""

    def __init__(self, resource: str) -> None:
        self.resource = resource
        self.findings: list[Finding] = []

    def add(self, severity: Severity, check: str, expected: str, actual: str, ok: bool) -> None:
        status: Status = "in_sync" if ok else "drifted"
        self.findings.append(Finding(severity, self.resource, check, expected, actual, status))

    def unknown(self, severity: Severity, check: str, expected: str, why: str) -> None:
        self.findings.append(Finding(severity, self.resource, check, expected, f"unknown: {why}", "unknown"))

    def failed(self, severity: Severity, check: str, expected: str, exc: _ApiError, *, absent: str) -> None:
        """A call that failed: drifted (``absent`` is what was found) when AWS says the thing does not
        exist, unknown for any other error."""
        if exc.code in _NOT_FOUND:
            self.add(severity, check, expected, absent, False)
        else:
            self.unknown(severity, check, expected, exc.code)


def check_secret(target: SecretTarget, aws: AwsClients) -> list[Finding]:
    out = _Checker(f"secret {target.name} ({target.physical})")
    declared = sorted(target.digests) + target.unreadable
    try:
        value = _call(aws.secretsmanager.get_secret_value, "ARN", SecretId=target.physical)
    except _ApiError as exc:
        out.failed("high", "exists", "secret exists", exc, absent="missing")
        return out.findings
    out.add("high", "exists", "secret exists", "exists", True)
    try:
        stored = json.loads(value.get("SecretString") or "")
    except ValueError:
        stored = None
    if not isinstance(stored, dict):
        out.add(
            "high",
            "keys",
            f"a JSON object with keys {', '.join(sorted(declared))}",
            "not a JSON object",
            False,
        )
    else:
        actual_keys = sorted(stored)
        missing = sorted(set(declared) - set(stored))
        extra = sorted(set(stored) - set(declared))
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(extra)}" if extra else "",
            )
            if part
        )
        out.add("high", "keys", ", ".join(sorted(declared)), detail or ", ".join(actual_keys), not detail)
        differing = sorted(
            key
            for key, expected in target.digests.items()
            if key in stored and digest(target.salt, _as_text(stored[key])) != expected
        )
        compared = sorted(key for key in target.digests if key in stored)
        if compared:
            out.add(
                "high",
                "values",
                f"declared values for {len(compared)} keys (compared as salted digests)",
                f"different value for {', '.join(differing)}" if differing else "all equal",
                not differing,
            )
        if target.unreadable:
            out.unknown(
                "low",
                "values",
                f"values of {', '.join(target.unreadable)}",
                "the declared value is not available here (unreadable file or undecrypted secure value)",
            )
    if target.tags:
        try:
            described = _call(aws.secretsmanager.describe_secret, "ARN", SecretId=target.physical)
        except _ApiError as exc:
            out.unknown("low", "tags", _fmt_tags(target.tags), exc.code)
        else:
            actual_tags = {t["Key"]: t.get("Value", "") for t in described.get("Tags") or []}
            wrong = {k: v for k, v in target.tags.items() if actual_tags.get(k) != v}
            out.add(
                "low",
                "tags",
                _fmt_tags(target.tags),
                _fmt_tags({k: actual_tags.get(k, "<absent>") for k in wrong}) if wrong else "present",
                not wrong,
            )
    return out.findings


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _fmt_tags(tags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))


def check_bucket(target: BucketTarget, aws: AwsClients) -> list[Finding]:
    out = _Checker(f"bucket {target.physical} (depot {target.depot})")
    name = target.physical
    try:
        _call(aws.s3.head_bucket, Bucket=name)
    except _ApiError as exc:
        out.failed("high", "exists", "bucket exists", exc, absent="missing")
        return out.findings
    out.add("high", "exists", "bucket exists", "exists", True)

    try:
        status = _call(aws.s3.get_bucket_versioning, Bucket=name).get("Status") or "never enabled"
        out.add("high", "versioning", "Enabled", status, status == "Enabled")
    except _ApiError as exc:
        out.unknown("high", "versioning", "Enabled", exc.code)

    expected_sse = f"aws:kms with key {target.kms_key_id}" if target.kms_key_id else "AES256 or aws:kms"
    try:
        config = _call(aws.s3.get_bucket_encryption, Bucket=name)
        rules = config.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        defaults = [r.get("ApplyServerSideEncryptionByDefault", {}) for r in rules]
        algorithms = [d.get("SSEAlgorithm", "") for d in defaults]
        if target.kms_key_id:
            ok = any(
                d.get("SSEAlgorithm", "").startswith("aws:kms")
                and target.kms_key_id in str(d.get("KMSMasterKeyID", ""))
                for d in defaults
            )
        else:
            ok = any(a in ("AES256", "aws:kms", "aws:kms:dsse") for a in algorithms)
        out.add("high", "encryption", expected_sse, ", ".join(algorithms) or "no default encryption", ok)
    except _ApiError as exc:
        out.failed("high", "encryption", expected_sse, exc, absent="no default encryption")

    flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    try:
        block = _call(aws.s3.get_public_access_block, Bucket=name).get("PublicAccessBlockConfiguration", {})
        off = [f for f in flags if block.get(f) is not True]
        out.add(
            "high",
            "public-access-block",
            "all four true",
            f"false: {', '.join(off)}" if off else "all four true",
            not off,
        )
    except _ApiError as exc:
        out.failed("high", "public-access-block", "all four true", exc, absent="no public access block")

    if not target.tls_only_policy:
        return out.findings
    expected_policy = "Deny s3:* to * when aws:SecureTransport is false"
    try:
        policy = json.loads(_call(aws.s3.get_bucket_policy, "Policy", Bucket=name)["Policy"])
        if not isinstance(policy, dict):
            raise ValueError("not a JSON object")
    except _ApiError as exc:
        out.failed("medium", "tls-only-policy", expected_policy, exc, absent="no bucket policy")
    except ValueError:
        # S3 stores only valid JSON policies: one that does not parse was not read whole.
        why = "the policy in the reply is not a JSON object"
        out.unknown("medium", "tls-only-policy", expected_policy, why)
    else:
        try:  # the policy pack's judgement of the same question (policy.iam)
            ok = denies_insecure_transport(policy, target.arn)
        except UnsupportedCondition as exc:
            out.unknown("medium", "tls-only-policy", expected_policy, f"cannot evaluate the policy: {exc}")
        except ValueError:
            out.unknown(
                "medium", "tls-only-policy", expected_policy, "the policy is not an IAM policy document"
            )
        else:
            actual = "in force" if ok else "no such statement"
            out.add("medium", "tls-only-policy", expected_policy, actual, ok)
    return out.findings


def check_external_bucket(target: ExternalBucketTarget, aws: AwsClients) -> list[Finding]:
    out = _Checker(f"external bucket {target.bucket} (depot {target.depot})")
    try:
        _call(aws.s3.head_bucket, Bucket=target.bucket)
        out.add("medium", "reachable", "reachable", "reachable", True)
    except _ApiError as exc:
        out.failed("medium", "reachable", "reachable", exc, absent="does not exist")
    return out.findings


def check_table(target: TableTarget, aws: AwsClients) -> list[Finding]:
    out = _Checker(f"glue table {target.database}.{target.table} ({target.uri}, input of {target.product})")
    try:
        _call(aws.glue.get_table, "Table", DatabaseName=target.database, Name=target.table)
        out.add("medium", "exists", "table exists (after a scan)", "exists", True)
    except _ApiError as exc:
        out.failed(
            "medium", "exists", "table exists (after a scan)", exc, absent="missing: run 'dataproduct scan'"
        )
    return out.findings


def check_database(target: DatabaseTarget, aws: AwsClients) -> list[Finding]:
    out = _Checker(f"glue database {target.database} ({target.uri}, output of {target.product})")
    try:
        _call(aws.glue.get_database, "Database", Name=target.database)
        out.add("medium", "exists", "database exists", "exists", True)
    except _ApiError as exc:
        out.failed("medium", "exists", "database exists", exc, absent="missing")
    return out.findings


# -- Trino ---------------------------------------------------------------------------------------
def trino_urls(given: Sequence[str], clusters: Sequence[str]) -> dict[str, str]:
    """The coordinator URL each cluster is checked at, from the ``--trino-url`` values: ``NAME=URL`` per
    cluster, or one bare ``URL`` when ``clusters`` (the estate's cluster names) holds exactly one.

    A value is ``NAME=URL`` when the text before its first ``=`` holds no ``:`` or ``/`` (a URL's query
    may hold ``=``, its scheme ``:``). :class:`UsageError` for a bare URL beside other values or with
    another number of clusters, a name the estate does not define, a cluster given twice, an empty URL.
    """
    known = ", ".join(clusters) or "none"
    urls: dict[str, str] = {}
    bare = []
    for value in given:
        name, equals, url = value.partition("=")
        if not equals or not name or ":" in name or "/" in name:
            bare.append(value)
            continue
        if name not in clusters:
            close = difflib.get_close_matches(name, clusters, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"--trino-url {name}=...: the manifests define no cluster {name!r} (clusters: {known}){hint}"
            )
        if name in urls:
            raise UsageError(f"--trino-url gives cluster {name!r} twice")
        if not url:
            raise UsageError(f"--trino-url {name}=: no URL")
        urls[name] = url
    if bare:
        if len(given) > 1 or len(clusters) != 1:
            raise UsageError(
                f"--trino-url {bare[0]} does not say which cluster it is: a URL without a name is for an "
                f"estate of exactly one cluster, and the manifests define {len(clusters)} ({known}); "
                "give --trino-url NAME=URL for each cluster to check"
            )
        urls[clusters[0]] = bare[0]
    return urls


def check_cluster(
    target: ClusterTarget, settings: StackSettings, trino_url: str, user: str = "dataproduct-drift"
) -> list[Finding]:
    """Active workers vs replicas, catalogs vs desired, node version vs image tag
    (``dataproduct_iac.trino.health.check_health``); when the cluster cannot be reached, the check is
    ``unknown``.
    """
    resource = f"trino cluster {target.name} ({trino_url})"
    try:
        rendered = render_cluster(target.cluster, target.depots, target.depot_secrets, settings)
    except Exception as exc:  # the manifest does not render: nothing to compare with
        return [Finding("high", resource, "health", "renderable cluster", f"unknown: {exc}", "unknown")]
    try:
        report = check_health(
            TrinoConnection(server=trino_url, user=user),
            desired_workers=rendered.replicas,
            desired_catalogs=set(rendered.catalog_names),
            image_tag=settings.trino_tag,
        )
    except Exception as exc:  # an unexpected answer: not known
        return [Finding("high", resource, "health", "healthy", f"unknown: {type(exc).__name__}", "unknown")]
    return [_trino_finding(resource, f) for f in report.findings]


def _trino_finding(resource: str, health: Any) -> Finding:
    severity: Severity = "high" if health.severity == "error" else "medium"
    if health.severity == "ok":
        status: Status = "in_sync"
    elif health.check == "reachable" or health.actual is None:
        status = "unknown"  # could not ask the cluster: neither in sync nor drifted
    else:
        status = "drifted"
    actual = _text(health.actual) if status == "in_sync" else str(health.message)
    return Finding(severity, resource, health.check, _text(health.expected), actual, status)


def _text(value: Any) -> str:
    if isinstance(value, list | set | tuple):
        return ", ".join(str(v) for v in sorted(value, key=str)) or "none"
    return str(value)


# -- runner ------------------------------------------------------------------------------------
def run_checks(
    desired: Desired,
    aws: AwsClients,
    *,
    settings: StackSettings,
    trino_urls: Mapping[str, str] | None = None,
    max_workers: int = DEFAULT_WORKERS,
) -> list[Finding]:
    """Run every check concurrently (at most ``max_workers`` at a time); deterministic order. A cluster
    is checked at its URL in ``trino_urls`` (see :func:`trino_urls`), not at all without one."""
    tasks: list[tuple[str, Callable[[], list[Finding]]]] = []
    tasks += [(f"secret {t.name}", partial(check_secret, t, aws)) for t in desired.secrets]
    tasks += [(f"bucket {t.physical}", partial(check_bucket, t, aws)) for t in desired.buckets]
    tasks += [
        (f"bucket {t.bucket}", partial(check_external_bucket, t, aws)) for t in desired.external_buckets
    ]
    tasks += [(f"glue table {t.database}.{t.table}", partial(check_table, t, aws)) for t in desired.tables]
    tasks += [(f"glue database {t.database}", partial(check_database, t, aws)) for t in desired.databases]
    urls = trino_urls or {}
    tasks += [
        (f"trino cluster {t.name}", partial(check_cluster, t, settings, urls[t.name]))
        for t in desired.clusters
        if t.name in urls
    ]
    if not tasks:
        return []
    findings: list[Finding] = []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(tasks)))) as pool:
        futures = [(label, pool.submit(fn)) for label, fn in tasks]
        for label, future in futures:
            try:
                findings.extend(future.result())
            except Exception as exc:  # a bug or an unexpected response: never "in sync"
                why = f"unknown: {type(exc).__name__}"
                findings.append(Finding("high", label, "check", "completed", why, "unknown"))
    return findings


def exit_code(findings: Iterable[Finding]) -> int:
    """2 when anything drifted, 1 when a check could not be completed, 0 when all is in sync."""
    statuses = {f.status for f in findings}
    if "drifted" in statuses:
        return 2
    if "unknown" in statuses:
        return 1
    return 0
