"""What every workflow workload shares on Kubernetes: the restricted pod and container security
settings, requests and limits from a job's ``resources``, the JobSpec of a workflow's jobs run in one
pod (retries, clean-up, the DataOS user they act as), and the ``Job`` (or ``CronJob`` on
``workflow.schedule``) that runs it. Used by :mod:`.scanner` and :mod:`.workflow_job`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..manifests.values import parse_quantity
from ..manifests.workflow import DagJob, Schedule

DEFAULT_REQUESTS = {"cpu": "250m", "memory": "512Mi"}
DEFAULT_LIMITS = {"cpu": "1", "memory": "1Gi"}
TTL_WHEN_GC = 600
"""``gcWhenComplete: true`` → finished Jobs are removed this many seconds later (time to read logs)."""
RUN_AS_USER = 10001
RUN_AS_USER_ANNOTATION = "dataproduct.io/run-as-user"
"""Pod annotation naming the DataOS users (``spec.runAsUser``) the pod's jobs act as, comma-separated."""
TMP_VOLUME = {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}
TMP_MOUNT = {"name": "tmp", "mountPath": "/tmp"}

CONTAINER_SECURITY: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": RUN_AS_USER,
    "runAsGroup": RUN_AS_USER,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
POD_SECURITY: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": RUN_AS_USER,
    "runAsGroup": RUN_AS_USER,
    "fsGroup": RUN_AS_USER,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def job_resources(job: DagJob) -> dict[str, dict[str, str]]:
    """The job's requests and limits over the defaults; a default limit below a given request is
    raised to the request (Kubernetes refuses a request above its limit)."""
    resources = job.inline_spec.resources
    given_requests = {k: v for k, v in resources.requests.model_dump().items() if v is not None}
    given_limits = {k: v for k, v in resources.limits.model_dump().items() if v is not None}
    requests = {**DEFAULT_REQUESTS, **given_requests}
    limits = {**DEFAULT_LIMITS, **given_limits}
    for kind, request in requests.items():
        if parse_quantity(limits[kind]) < parse_quantity(request):
            if kind in given_limits:  # the model refuses this; a default request is below every limit
                raise ValueError(f"{kind} limit {limits[kind]} is below the request {request}")
            limits[kind] = request
    return {"requests": requests, "limits": limits}


def container_name(job: DagJob, fallback: str = "job") -> str:
    """A DNS label from the job's name."""
    return re.sub(r"[^a-z0-9-]", "-", job.name.lower())[:63].strip("-") or fallback


def pod_spec(
    containers: list[dict[str, Any]],
    service_account: str | None = None,
    image_pull_secrets: Sequence[str] = (),
) -> dict[str, Any]:
    """A restricted pod running ``containers`` one after another: all but the last as init
    containers (each starts once the previous one succeeded), the last as the main container; its
    images pulled with the Kubernetes Secrets ``image_pull_secrets``."""
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": dict(POD_SECURITY),
        "containers": containers[-1:],
        "volumes": [dict(TMP_VOLUME)],
    }
    if len(containers) > 1:
        spec["initContainers"] = containers[:-1]
    if service_account:
        spec["serviceAccountName"] = service_account
    if image_pull_secrets:
        spec["imagePullSecrets"] = [{"name": name} for name in image_pull_secrets]
    return spec


def job_spec(
    jobs: Sequence[DagJob],
    containers: list[dict[str, Any]],
    labels: dict[str, str],
    service_account: str | None = None,
    image_pull_secrets: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``batch/v1`` JobSpec (plain camelCase dict) running ``containers`` (one per job of ``jobs``,
    in order) in one pod: the pod retried as a whole up to the largest ``retry.count``; finished Jobs
    removed after :data:`TTL_WHEN_GC` seconds when a job asks ``gcWhenComplete``; the DataOS users the
    jobs act as (``runAsUser``) in the pod's :data:`RUN_AS_USER_ANNOTATION`; images pulled with the
    Secrets ``image_pull_secrets``."""
    if not jobs:
        raise ValueError("a workflow's Job needs at least one job to run")
    template: dict[str, Any] = {"labels": labels}
    users = sorted({j.inline_spec.run_as_user for j in jobs if j.inline_spec.run_as_user})
    if users:
        template["annotations"] = {RUN_AS_USER_ANNOTATION: ",".join(users)}
    spec: dict[str, Any] = {
        "backoffLimit": max(j.inline_spec.retry.count for j in jobs),
        "template": {"metadata": template, "spec": pod_spec(containers, service_account, image_pull_secrets)},
    }
    if any(j.gc_when_complete for j in jobs):
        spec["ttlSecondsAfterFinished"] = TTL_WHEN_GC
    return spec


def batch_job(
    name: str,
    *,
    metadata: dict[str, Any],
    labels: dict[str, str],
    job_spec: dict[str, Any],
    schedule: Schedule | None,
    workflow: str,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> tuple[pulumi.CustomResource, str]:
    """The ``Job`` (``<name>-job``), or the ``CronJob`` (``<name>-cronjob``) on ``schedule``, and its kind."""
    opts = pulumi.ResourceOptions(parent=parent, depends_on=depends_on, delete_before_replace=True)
    if schedule is None:
        return k8s.batch.v1.Job(f"{name}-job", metadata=metadata, spec=job_spec, opts=opts), "Job"
    cron_spec: dict[str, Any] = {
        "schedule": schedule.cron,
        "concurrencyPolicy": schedule.concurrency_policy.value,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {"metadata": {"labels": labels}, "spec": job_spec},
    }
    if schedule.timezone:
        cron_spec["timeZone"] = schedule.timezone
    if schedule.end_on:
        pulumi.log.warn(
            f"workflow {workflow!r}: schedule.endOn has no CronJob equivalent; the CronJob keeps running "
            "until the workflow is removed",
            resource=parent,
        )
    return k8s.batch.v1.CronJob(f"{name}-cronjob", metadata=metadata, spec=cron_spec, opts=opts), "CronJob"
