"""``ScannerJob``: runs ``dataproduct scan`` for a scanner workflow on Kubernetes.

A Kubernetes ``Job`` (or a ``CronJob`` when ``workflow.schedule.cron`` is set) in the image
``settings.scanner_image``. The scanner container is configured through ``DATAPRODUCT_SCAN_*``
environment variables (see docs/scanner.md) and reads AWS credentials either from a Kubernetes
Secret built from the depot's read instance secret, or, when
``settings.scanner_service_account_role_arn`` is set, through IRSA (a ServiceAccount annotated
with the role; no keys at all).

DAGs: the workflow's scanner jobs for the depot run in one pod, in topological order: every job
but the last is an init container (init containers run one after another, each only once the
previous one succeeded), the last is the main container. A failing job stops the pod and the Job
retries it as a whole (``backoffLimit``). A dependency on a job that scans another depot cannot be
honoured by that pod and is refused with an error.
"""

# No ``from __future__ import annotations`` here: the SDK's component analyzer reads the annotations
# of the args and the component at run time.
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..errors import ComponentArgsError
from ..manifests import Acl, Depot, InstanceSecret, Manifest, Workflow
from ..manifests.connections import S3Connection
from ..manifests.workflow import DagJob, FilterPattern, ScannerConfig
from ..scanner.core import DatabaseNaming
from ..scanner.credentials import depot_credential_keys
from ..settings import StackSettings
from ..tags import Ownership, kubernetes_labels
from ..tags import ownership as owner_of
from .batch import CONTAINER_SECURITY, TMP_MOUNT, batch_job, container_name, job_resources, job_spec
from .depot import Depot as DepotComponent
from .manifest_args import as_model, graph_of
from .options import coerce_args

TYPE = "dataproduct:index:ScannerJob"

EXIT_BAD_INPUT = 1
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


@dataclass
class ScannerJobArgs:
    """What a :class:`ScannerJob` is made from. ``workflow`` and ``depot`` are required (or the
    manifest models, through :meth:`from_manifest`)."""

    workflow: Mapping[str, Any] | None = None
    """The scanner workflow manifest (``type: workflow``, jobs of stack ``scanner``), as a mapping."""
    depot: Mapping[str, Any] | None = None
    """The S3 depot manifest this scanner reads, as a mapping."""
    secrets: Sequence[Mapping[str, Any]] | None = None
    """The depot's instance-secret manifests, as mappings: the read one (else the first) gives the
    scanner's AWS credentials (its values may be placeholders that ``credentials`` replaces)."""
    credentials: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """Values of the read secret's keys, as Pulumi secrets; win over the manifest's values."""
    settings: StackSettings | None = None
    """Naming, images, region, IRSA role; default: ``StackSettings`` of this stack."""
    namespace: str | None = None
    """Kubernetes namespace; default ``settings.namespace``."""
    bucket_name: pulumi.Input[str] | None = None
    """Physical bucket; default: the manifest's bucket (external) or ``settings.bucket_name`` (managed)."""
    labels: Mapping[str, str] | None = None
    """Owner and product labels (from :meth:`from_manifest`); default: the workflow's owner."""
    _workflow: Workflow | None = None
    _depot: Depot | None = None
    _read_secret: InstanceSecret | None = None
    _after: tuple[pulumi.Resource, ...] = ()
    """Resources the Job waits for (a Depot component given to :meth:`from_manifest`)."""

    @classmethod
    def from_manifest(
        cls,
        workflow: Workflow,
        depot: Depot | DepotComponent,
        settings: StackSettings,
        *,
        read_secret: InstanceSecret | None = None,
        credentials: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        namespace: str | None = None,
        bucket_name: pulumi.Input[str] | None = None,
        ownership: Ownership | None = None,
    ) -> "ScannerJobArgs":
        """Args for a scanner workflow and the depot it scans: a manifest model, or a Depot component
        (made from a manifest), whose bucket name the Job then reads, so that it waits for the bucket."""
        after: tuple[pulumi.Resource, ...] = ()
        if isinstance(depot, DepotComponent):
            if depot.model is None:
                raise ComponentArgsError(
                    f"workflow {workflow.name!r}: depot {depot.depot_name!r} was not made from a manifest "
                    "(DepotArgs.from_manifest); the scanner needs its connection"
                )
            if bucket_name is None:  # a managed depot's bucket output: the Job waits for the bucket
                bucket_name = depot.bucket_name.apply(lambda b: b or "")
            after, depot = (depot,), depot.model
        owned = ownership or owner_of(settings, owner=workflow.owner)
        return cls(
            credentials=credentials,
            settings=settings,
            namespace=namespace,
            bucket_name=bucket_name,
            labels=kubernetes_labels(owned),
            _workflow=workflow,
            _depot=depot,
            _read_secret=read_secret,
            _after=after,
        )

    def resolved(self) -> tuple[Workflow, Depot, InstanceSecret | None]:
        """The workflow, the depot and its read secret as models (mappings validated and resolved)."""
        if self._workflow is not None and self._depot is not None:
            return self._workflow, self._depot, self._read_secret
        if self.workflow is None or self.depot is None:
            raise ComponentArgsError("ScannerJobArgs: give the workflow and depot manifests")
        where = "ScannerJobArgs"
        workflow = as_model(Workflow, self.workflow, f"{where}.workflow")
        depot = as_model(Depot, self.depot, f"{where}.depot")
        manifests: list[tuple[str, Manifest]] = [(f"{where}.workflow", workflow), (f"{where}.depot", depot)]
        for i, secret in enumerate(self.secrets or ()):
            label = f"{where}.secrets[{i}]"
            manifests.append((label, as_model(InstanceSecret, secret, label)))
        secrets = graph_of(manifests).depot_secrets(depot.name)
        read = next((s for s in secrets if s.acl == Acl.READ), None) or next(iter(secrets), None)
        return workflow, depot, read


def ordered_jobs(workflow: Workflow, depot: str) -> list[DagJob]:
    """The workflow's scanner jobs for ``depot`` in topological order (ties in manifest order)."""
    jobs = [j for j in workflow.scanner_jobs if j.scanned_depot and j.scanned_depot.depot == depot]
    if not jobs:
        raise ComponentArgsError(f"workflow {workflow.name!r} has no scanner job for depot {depot!r}")
    mine = {j.name for j in jobs}
    every = {j.name for j in workflow.workflow.dag}
    for job in jobs:
        for dep in job.dependencies:
            if dep not in mine and dep in every:
                raise ComponentArgsError(
                    f"workflow {workflow.name!r}: job {job.name!r} depends on {dep!r}, which does not scan "
                    f"depot {depot!r}; one ScannerJob runs one depot's jobs in order and cannot wait for "
                    "another depot's job (split the workflow, or make them independent)"
                )
    done: list[DagJob] = []
    remaining = list(jobs)
    while remaining:
        ready = [
            j for j in remaining if all(d in {x.name for x in done} for d in j.dependencies if d in mine)
        ]
        if not ready:
            cycle = ", ".join(j.name for j in remaining)
            raise ComponentArgsError(
                f"workflow {workflow.name!r}: the jobs {cycle} depend on each other in a cycle"
            )
        done.append(ready[0])
        remaining.remove(ready[0])
    return done


def _filter_env(prefix: str, pattern: FilterPattern) -> list[dict[str, str]]:
    out = []
    if pattern.includes:
        out.append({"name": f"DATAPRODUCT_SCAN_{prefix}_INCLUDES", "value": json.dumps(pattern.includes)})
    if pattern.excludes:
        out.append({"name": f"DATAPRODUCT_SCAN_{prefix}_EXCLUDES", "value": json.dumps(pattern.excludes)})
    return out


def _tables_admitted(config: ScannerConfig) -> FilterPattern:
    """``tableFilterPattern``, excluding every dataset when ``includeTables: false`` (an S3 depot holds
    tables only: such a job registers nothing, and marks nothing deleted)."""
    pattern = config.table_filter_pattern
    if config.include_tables:
        return pattern
    return FilterPattern(includes=pattern.includes, excludes=[*pattern.excludes, ".*"])


def scanner_env(
    job: DagJob,
    depot: Depot,
    bucket: pulumi.Input[str],
    settings: StackSettings,
    credential_secret: str | None,
    secret_keys: dict[str, str],
) -> list[dict[str, Any]]:
    """The container's environment: scanner settings, region/endpoint, credentials by reference."""
    connection = depot.connection
    assert isinstance(connection, S3Connection)
    naming = DatabaseNaming.from_stack(settings, depot.name)
    config = job.scanner_config
    env: list[dict[str, Any]] = [
        {"name": "DATAPRODUCT_SCAN_BUCKET", "value": bucket},
        {"name": "DATAPRODUCT_SCAN_PREFIX", "value": connection.prefix},
        {"name": "DATAPRODUCT_SCAN_DEPOT", "value": depot.name},
        {"name": "DATAPRODUCT_SCAN_FORMAT", "value": connection.format.value},
        {"name": "DATAPRODUCT_SCAN_DATABASE_TEMPLATE", "value": naming.template},
        {"name": "DATAPRODUCT_SCAN_MARK_DELETED", "value": "true" if config.mark_deleted_tables else "false"},
        {"name": "DATAPRODUCT_SCAN_OUTPUT", "value": "json"},
        *_filter_env("SCHEMA", config.schema_filter_pattern),
        *_filter_env("TABLE", _tables_admitted(config)),
    ]
    if naming.overrides:
        env.append({"name": "DATAPRODUCT_SCAN_DATABASE_OVERRIDES", "value": json.dumps(naming.overrides)})
    address = job.scanned_depot
    assert address is not None  # a scanner job of this depot
    if address.collection:
        only = f"{address.collection}/{address.dataset}" if address.dataset else address.collection
        env.append({"name": "DATAPRODUCT_SCAN_ONLY", "value": only})
    region = connection.region or settings.region
    if region:
        env.append({"name": "AWS_REGION", "value": region})
    if connection.endpoint:
        env.append({"name": "AWS_ENDPOINT_URL", "value": connection.endpoint})
    if credential_secret:
        for var, key in sorted(secret_keys.items()):
            env.append({"name": var, "valueFrom": {"secretKeyRef": {"name": credential_secret, "key": key}}})
    # AWS request timeouts and retries: the stack's, unless the job's manifest sets them in envs.
    aws = settings.aws_client_settings()
    for var, value in (
        ("DATAPRODUCT_SCAN_CONNECT_TIMEOUT", aws.connect_timeout),
        ("DATAPRODUCT_SCAN_READ_TIMEOUT", aws.read_timeout),
        ("DATAPRODUCT_SCAN_MAX_ATTEMPTS", aws.max_attempts),
        ("DATAPRODUCT_SCAN_RETRY_BUDGET", aws.retry_budget),
    ):
        if var not in job.inline_spec.envs:
            env.append({"name": var, "value": f"{value:g}"})
    names = {e["name"] for e in env}
    env.extend({"name": k, "value": v} for k, v in sorted(job.inline_spec.envs.items()) if k not in names)
    return env


def _container(name: str, image: str, env: list[dict[str, Any]], job: DagJob) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["dataproduct", "scan"],
        "env": env,
        "resources": job_resources(job),
        "securityContext": dict(CONTAINER_SECURITY),
        "volumeMounts": [dict(TMP_MOUNT)],
    }


def render_job_spec(
    jobs: list[DagJob],
    depot: Depot,
    bucket: pulumi.Input[str],
    settings: StackSettings,
    *,
    labels: dict[str, str],
    credential_secret: str | None,
    secret_keys: dict[str, str],
    service_account: str | None,
) -> dict[str, Any]:
    """The ``batch/v1`` JobSpec (plain camelCase dict) running ``jobs`` in order in one pod."""
    containers = [
        _container(
            container_name(job, "scan"),
            settings.scanner_image,
            scanner_env(job, depot, bucket, settings, credential_secret, secret_keys),
            job,
        )
        for job in jobs
    ]
    spec = job_spec(jobs, containers, labels, service_account)
    # Exit code 1 is bad input (missing bucket, bad settings): retrying cannot help.
    spec["podFailurePolicy"] = {
        "rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [EXIT_BAD_INPUT]}}]
    }
    return spec


class ScannerJob(pulumi.ComponentResource):
    """The depot scanner of one workflow: a Job, or a CronJob on ``schedule.cron``.

    Children: a Secret with the read credentials (unless IRSA), a ServiceAccount (IRSA only), and
    the Job/CronJob. Outputs: ``namespace``, ``job_name``, ``kind`` (``Job`` or ``CronJob``),
    ``image``.
    """

    namespace: pulumi.Output[str]
    job_name: pulumi.Output[str]
    kind: pulumi.Output[str]
    image: pulumi.Output[str]

    def __init__(self, name: str, args: ScannerJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(ScannerJobArgs, args)  # a mapping when another Pulumi language constructs it
        workflow, depot, read_secret = args.resolved()
        settings = args.settings or StackSettings(project=pulumi.get_project(), stack=pulumi.get_stack())
        connection = depot.connection
        if not isinstance(connection, S3Connection):
            raise ComponentArgsError(
                f"depot {depot.name!r} is {depot.depot_type.value}; the scanner reads S3 depots"
            )
        jobs = ordered_jobs(workflow, depot.name)
        super().__init__(TYPE, name, None, opts)

        namespace = args.namespace or settings.namespace
        physical = settings.physical_name(name, max_length=52)
        bucket = (
            args.bucket_name
            if args.bucket_name is not None
            else (connection.bucket if depot.depot.external else settings.bucket_name(connection.bucket))
        )
        owned = (
            args.labels
            if args.labels is not None
            else kubernetes_labels(owner_of(settings, owner=workflow.owner))
        )
        labels = {
            "app.kubernetes.io/name": "dataproduct-scanner",
            "app.kubernetes.io/instance": physical,
            "app.kubernetes.io/component": "scanner",
            "app.kubernetes.io/managed-by": "dataproduct-iac",
            "dataproduct.io/workflow": workflow.name,
            "dataproduct.io/depot": depot.name,
            **owned,
        }
        child = pulumi.ResourceOptions(parent=self)
        depends: list[pulumi.Resource] = list(args._after)
        credential_secret: str | None = None
        secret_keys: dict[str, str] = {}
        service_account: str | None = None
        role_arn = settings.scanner_service_account_role_arn
        if role_arn:
            service_account = physical
            depends.append(
                k8s.core.v1.ServiceAccount(
                    f"{name}-sa",
                    metadata={
                        "name": physical,
                        "namespace": namespace,
                        "labels": labels,
                        "annotations": {IRSA_ANNOTATION: role_arn},
                    },
                    automount_service_account_token=False,
                    opts=child,
                )
            )
        elif read_secret is not None:
            data = read_secret.instance_secret.data
            keys = depot_credential_keys(depot, read_secret)
            if keys:
                credential_secret = f"{physical}-credentials"
                secret_keys = {var: var for var in keys}
                given = {var: data[key].get_secret_value() for var, key in keys.items()}

                def pick(creds: Mapping[str, Any], keys: dict[str, str] = keys) -> dict[str, str]:
                    return {var: str(creds.get(key, given[var])) for var, key in keys.items()}

                values: pulumi.Output[dict[str, str]] = pulumi.Output.from_input(
                    args.credentials or {}
                ).apply(pick)
                depends.append(
                    k8s.core.v1.Secret(
                        f"{name}-credentials",
                        metadata={"name": credential_secret, "namespace": namespace, "labels": labels},
                        type="Opaque",
                        string_data=values,
                        opts=pulumi.ResourceOptions(
                            parent=self, additional_secret_outputs=["data", "stringData"]
                        ),
                    )
                )
            else:
                pulumi.log.warn(
                    f"instance secret {read_secret.name!r} has no access key/secret key pair; the "
                    "scanner uses the pod's default AWS credentials",
                    resource=self,
                )
        rendered = render_job_spec(
            jobs,
            depot,
            bucket,
            settings,
            labels=labels,
            credential_secret=credential_secret,
            secret_keys=secret_keys,
            service_account=service_account,
        )
        metadata = {"name": physical, "namespace": namespace, "labels": labels}
        resource, kind = batch_job(
            name,
            metadata=metadata,
            labels=labels,
            job_spec=rendered,
            schedule=workflow.workflow.schedule,
            workflow=workflow.name,
            parent=self,
            depends_on=depends,
        )
        self.job = resource
        self.namespace = pulumi.Output.from_input(namespace)
        self.job_name = pulumi.Output.from_input(physical)
        self.kind = pulumi.Output.from_input(kind)
        self.image = pulumi.Output.from_input(settings.scanner_image)
        self.register_outputs(
            {"namespace": self.namespace, "jobName": self.job_name, "kind": self.kind, "image": self.image}
        )
