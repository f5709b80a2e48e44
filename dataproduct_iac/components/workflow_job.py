"""``WorkflowJob``: the jobs of a workflow that are not depot scans (``container`` jobs, jobs of a
stack mapped to an image) as one Kubernetes ``Job``, or a ``CronJob`` on ``workflow.schedule``.

The jobs run in one pod in DAG order: all but the last as init containers (each starts once the
previous one succeeded), the last as the main container; the Job retries the pod as a whole
(``backoffLimit``: the largest ``retry.count``). Which jobs run, in which image, is decided by
:func:`dataproduct_iac.stack_jobs.plan_workflow`.
"""

# No ``from __future__ import annotations`` here: the SDK's component analyzer reads the annotations
# of the args and the component at run time.
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from ..errors import ComponentArgsError
from ..manifests import Depot, Manifest, Workflow
from ..settings import StackSettings
from ..stack_jobs import RunnableJob, plan_workflow
from ..tags import Ownership, kubernetes_labels
from ..tags import ownership as owner_of
from .batch import CONTAINER_SECURITY, TMP_MOUNT, batch_job, container_name, job_resources, job_spec
from .manifest_args import as_model, graph_of
from .options import coerce_args

TYPE = "dataproduct:index:WorkflowJob"


@dataclass
class WorkflowJobArgs:
    """What a :class:`WorkflowJob` is made from. ``workflow`` is required (or the model and its planned
    jobs, through :meth:`from_manifest`)."""

    workflow: Mapping[str, Any] | None = None
    """The workflow manifest (``type: workflow``), as a mapping."""
    depots: Sequence[Mapping[str, Any]] | None = None
    """The depot manifests its jobs address, as mappings."""
    settings: StackSettings | None = None
    """Images of stacks (``stack_images``), naming; default: ``StackSettings`` of this stack."""
    namespace: str | None = None
    """Kubernetes namespace; default ``settings.namespace``."""
    labels: Mapping[str, str] | None = None
    """Owner and product labels (from :meth:`from_manifest`); default: the workflow's owner."""
    _workflow: Workflow | None = None
    _jobs: Sequence[RunnableJob] | None = None

    @classmethod
    def from_manifest(
        cls,
        workflow: Workflow,
        jobs: Sequence[RunnableJob],
        settings: StackSettings,
        *,
        namespace: str | None = None,
        ownership: Ownership | None = None,
    ) -> "WorkflowJobArgs":
        """Args for a workflow whose runnable ``jobs`` :func:`~dataproduct_iac.stack_jobs.plan_workflow`
        decided, in the order they run."""
        owned = ownership or owner_of(settings, owner=workflow.owner)
        return cls(
            settings=settings,
            namespace=namespace,
            labels=kubernetes_labels(owned),
            _workflow=workflow,
            _jobs=list(jobs),
        )

    def resolved(self, settings: StackSettings) -> tuple[Workflow, list[RunnableJob]]:
        """The workflow and the jobs that run, in order (a mapping validated, resolved and planned)."""
        if self._workflow is not None and self._jobs is not None:
            return self._workflow, list(self._jobs)
        if self.workflow is None:
            raise ComponentArgsError("WorkflowJobArgs: give the workflow manifest (workflow)")
        where = "WorkflowJobArgs"
        workflow = as_model(Workflow, self.workflow, f"{where}.workflow")
        manifests: list[tuple[str, Manifest]] = [(f"{where}.workflow", workflow)]
        for i, depot in enumerate(self.depots or ()):
            label = f"{where}.depots[{i}]"
            manifests.append((label, as_model(Depot, depot, label)))
        plan = plan_workflow(workflow, graph_of(manifests), settings)
        if plan.problems:
            shown = "; ".join(
                f"{'.'.join(str(p) for p in path)}: {message}" for path, message in plan.problems
            )
            raise ComponentArgsError(f"{where}.workflow: {shown}")
        return workflow, plan.runnable


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
    pull = sorted({j.image_pull_secret for j in jobs if j.image_pull_secret})
    return job_spec([j.job for j in jobs], [_container(j) for j in jobs], labels, image_pull_secrets=pull)


class WorkflowJob(pulumi.ComponentResource):
    """A workflow's container and stack jobs. Outputs: ``namespace``, ``job_name``, ``kind``
    (``Job`` or ``CronJob``), ``images``."""

    namespace: pulumi.Output[str]
    job_name: pulumi.Output[str]
    kind: pulumi.Output[str]
    images: pulumi.Output[list[str]]

    def __init__(self, name: str, args: WorkflowJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(WorkflowJobArgs, args)  # a mapping when another Pulumi language constructs it
        settings = args.settings or StackSettings(project=pulumi.get_project(), stack=pulumi.get_stack())
        workflow, jobs = args.resolved(settings)
        physical = settings.physical_name(name, max_length=52)
        labels = {
            "app.kubernetes.io/name": "dataproduct-workflow",
            "app.kubernetes.io/instance": physical,
            "app.kubernetes.io/component": "workflow",
            "app.kubernetes.io/managed-by": "dataproduct-iac",
            "dataproduct.io/workflow": workflow.name,
            **(
                args.labels
                if args.labels is not None
                else kubernetes_labels(owner_of(settings, owner=workflow.owner))
            ),
        }
        rendered = render_job_spec(jobs, labels)  # before registering: bad args raise first
        super().__init__(TYPE, name, None, opts)
        namespace = args.namespace or settings.namespace
        resource, kind = batch_job(
            name,
            metadata={"name": physical, "namespace": namespace, "labels": labels},
            labels=labels,
            job_spec=rendered,
            schedule=workflow.workflow.schedule,
            workflow=workflow.name,
            parent=self,
            depends_on=[],
        )
        self.job = resource
        self.namespace = pulumi.Output.from_input(namespace)
        self.job_name = pulumi.Output.from_input(physical)
        self.kind = pulumi.Output.from_input(kind)
        self.images = pulumi.Output.from_input(list(dict.fromkeys(j.image for j in jobs)))
        self.register_outputs(
            {"namespace": self.namespace, "jobName": self.job_name, "kind": self.kind, "images": self.images}
        )
