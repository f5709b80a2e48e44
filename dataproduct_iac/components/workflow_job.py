"""``WorkflowJob``: the jobs of a workflow that are not depot scans (``container`` jobs, jobs of a
stack mapped to an image) as one Kubernetes ``Job``, or a ``CronJob`` on ``workflow.schedule``.

The jobs run in one pod in DAG order: all but the last as init containers (each starts once the
previous one succeeded), the last as the main container; the Job retries the pod as a whole
(``backoffLimit``: the largest ``retry.count``). Which jobs run, in which image, is decided by
:func:`dataproduct_iac.stack_jobs.plan_workflow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from ..manifests import Workflow
from ..settings import StackSettings
from ..stack_jobs import RunnableJob
from ..tags import Ownership, kubernetes_labels, ownership
from .batch import (
    CONTAINER_SECURITY,
    TMP_MOUNT,
    TTL_WHEN_GC,
    batch_job,
    container_name,
    job_resources,
    pod_spec,
)

TYPE = "dataproduct:index:WorkflowJob"
RUN_AS_USER_ANNOTATION = "dataproduct.io/run-as-user"


@dataclass
class WorkflowJobArgs:
    """What a :class:`WorkflowJob` is made from."""

    workflow: Workflow
    jobs: list[RunnableJob]
    """In the order they run (see :func:`dataproduct_iac.stack_jobs.plan_workflow`)."""
    settings: StackSettings
    namespace: str | None = None
    """Kubernetes namespace; default ``settings.namespace``."""
    ownership: Ownership | None = None


def _container(runnable: RunnableJob) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": container_name(runnable.job),
        "image": runnable.image,
        "imagePullPolicy": "IfNotPresent",
        "env": [{"name": k, "value": v} for k, v in sorted(runnable.env.items())],
        "resources": job_resources(runnable.job),
        "securityContext": dict(CONTAINER_SECURITY),
        "volumeMounts": [dict(TMP_MOUNT)],
    }
    if runnable.command:
        container["command"] = list(runnable.command)
    if runnable.args:
        container["args"] = list(runnable.args)
    return container


def render_job_spec(jobs: list[RunnableJob], labels: dict[str, str]) -> dict[str, Any]:
    """The ``batch/v1`` JobSpec (plain camelCase dict) running ``jobs`` in order in one pod."""
    if not jobs:
        raise ValueError("a WorkflowJob needs at least one job to run")
    template: dict[str, Any] = {"labels": labels}
    users = sorted({j.job.inline_spec.run_as_user for j in jobs if j.job.inline_spec.run_as_user})
    if users:
        template["annotations"] = {RUN_AS_USER_ANNOTATION: ",".join(users)}
    spec: dict[str, Any] = {
        "backoffLimit": max(j.job.inline_spec.retry.count for j in jobs),
        "template": {"metadata": template, "spec": pod_spec([_container(j) for j in jobs])},
    }
    if any(j.job.gc_when_complete for j in jobs):
        spec["ttlSecondsAfterFinished"] = TTL_WHEN_GC
    return spec


class WorkflowJob(pulumi.ComponentResource):
    """A workflow's container and stack jobs. Outputs: ``namespace``, ``job_name``, ``kind``
    (``Job`` or ``CronJob``), ``images``."""

    namespace: pulumi.Output[str]
    job_name: pulumi.Output[str]
    kind: pulumi.Output[str]
    images: pulumi.Output[list[str]]

    def __init__(self, name: str, args: WorkflowJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = args.settings
        physical = settings.physical_name(name, max_length=52)
        labels = {
            "app.kubernetes.io/name": "dataproduct-workflow",
            "app.kubernetes.io/instance": physical,
            "app.kubernetes.io/component": "workflow",
            "app.kubernetes.io/managed-by": "dataproduct-iac",
            "dataproduct.io/workflow": args.workflow.name,
            **kubernetes_labels(args.ownership or ownership(settings, owner=args.workflow.owner)),
        }
        job_spec = render_job_spec(args.jobs, labels)  # before registering: bad args raise first
        super().__init__(TYPE, name, None, opts)
        namespace = args.namespace or settings.namespace
        resource, kind = batch_job(
            name,
            metadata={"name": physical, "namespace": namespace, "labels": labels},
            labels=labels,
            job_spec=job_spec,
            schedule=args.workflow.workflow.schedule,
            workflow=args.workflow.name,
            parent=self,
            depends_on=[],
        )
        self.job = resource
        self.namespace = pulumi.Output.from_input(namespace)
        self.job_name = pulumi.Output.from_input(physical)
        self.kind = pulumi.Output.from_input(kind)
        self.images = pulumi.Output.from_input(list(dict.fromkeys(j.image for j in args.jobs)))
        self.register_outputs(
            {"namespace": self.namespace, "job_name": self.job_name, "kind": self.kind, "images": self.images}
        )
