"""How each job of a workflow runs here (no pulumi): the one home of that decision, used by the
plan-time check (:func:`check_workflows`, before anything is registered) and by the build.

- a scanner job that reads an S3 depot: the depot scanner (``ScannerJob``);
- a scanner job that reads no depot (``type: data-product``, ``users``, a non-depot source): not
  run (this tool has no Metis or Heimdall), said as a note;
- a ``container`` job (or ``alpha``, the container stack's older name): its own image
  (``stackSpec.image``, or the ``container:`` / ``alpha:`` block's) with ``command`` and
  ``arguments`` (pulled with ``imagePullSecret`` when it names one);
- a job of another stack: the image the stack config maps the stack to (``dataproduct:stackImages``,
  ``name:version`` before ``name``), with the job's ``stackSpec`` as JSON in
  ``DATAPRODUCT_STACK_SPEC``;
- refused, naming the field or setting: a job given by ``file``, a stack without an image, a
  scanner of a depot that is not S3, a dependency the pods cannot honour.

The runnable jobs of one workflow (all but its depot scanners) run in one pod, in DAG order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Diagnostic, FieldPath, ManifestError
from .graph import Graph, Node
from .manifests import Depot, DepotType, Workflow
from .manifests.workflow import DagJob, StackJobSpec
from .settings import StackSettings

STACK_IMAGES_KEY = "dataproduct:stackImages"


@dataclass(frozen=True)
class RunnableJob:
    """A job that runs as a container of the workflow's pod."""

    job: DagJob
    image: str
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    image_pull_secret: str | None = None
    """The Kubernetes Secret that pulls ``image`` from a private registry (``stackSpec.imagePullSecret``)."""


@dataclass
class WorkflowPlan:
    """What one workflow becomes here."""

    runnable: list[RunnableJob] = field(default_factory=list)
    """In DAG order (ties in manifest order)."""
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[FieldPath, str]] = field(default_factory=list)
    """(path in the manifest, message)."""


def stack_image(spec: StackJobSpec, settings: StackSettings) -> str | None:
    """The image for a job of a stack other than container: ``name:version`` first, then ``name``."""
    return settings.stack_images.get(spec.stack) or settings.stack_images.get(spec.stack_name)


def _dag_order(jobs: list[DagJob]) -> list[DagJob]:
    names = {job.name for job in jobs}
    done: list[DagJob] = []
    remaining = list(jobs)
    while remaining:
        finished = {j.name for j in done}
        ready = next(j for j in remaining if all(d in finished for d in j.dependencies if d in names))
        done.append(ready)
        remaining.remove(ready)
    return done


def plan_workflow(workflow: Workflow, graph: Graph, settings: StackSettings) -> WorkflowPlan:
    """Decide how each job of ``workflow`` (resolved in ``graph``) runs; see the module docstring."""
    plan = WorkflowPlan()
    dag = workflow.workflow.dag
    scanners = {j.name for j in workflow.scanner_jobs}
    candidates: list[DagJob] = []
    for index, job in enumerate(dag):
        where: FieldPath = ("workflow", "dag", index)
        spec = job.spec
        if spec is None:
            plan.problems.append(
                (
                    (*where, "file"),
                    f"job {job.name!r} is given by file ({job.file}); this tool does not read job files: "
                    "write the job's spec inline to run it",
                )
            )
            continue
        address = job.scanned_depot
        if address is not None:
            depot = graph.get("depot", address.depot)
            if (
                depot is not None
                and isinstance(depot.manifest, Depot)
                and depot.manifest.depot_type != DepotType.S3
            ):
                plan.problems.append(
                    (
                        (*where, "spec", "stackSpec", "depot"),
                        f"the scanner here reads S3 depots; depot {address.depot!r} is "
                        f"{depot.manifest.depot_type.value}, which it cannot scan",
                    )
                )
            continue
        if not isinstance(spec, StackJobSpec):
            scanner = job.scanner_spec
            kind = scanner.type if scanner is not None else None
            plan.notes.append(
                f"workflow {workflow.name!r}, job {job.name!r}: a scanner of {kind or 'no depot'} reads "
                "DataOS metadata this tool does not have; nothing is created for it"
            )
            continue
        block = spec.image_block
        if block is not None:
            container = spec.container_spec
            if container is None or not container.image:
                article = "an" if spec.stack_name[0] in "aeiou" else "a"
                plan.problems.append(
                    (
                        (*where, "spec", block, "image"),
                        f"{article} {spec.stack_name} job needs {block}.image to run",
                    )
                )
                continue
            plan.runnable.append(
                RunnableJob(
                    job,
                    container.image,
                    list(container.command),
                    list(container.arguments),
                    dict(spec.envs),
                    container.image_pull_secret,
                )
            )
            candidates.append(job)
            continue
        image = stack_image(spec, settings)
        if image is None:
            plan.problems.append(
                (
                    (*where, "spec", "stack"),
                    f"no image for stack {spec.stack!r}: map it in the stack config, "
                    f"{STACK_IMAGES_KEY}: {{{spec.stack_name}: <image>}} "
                    f"(or '{spec.stack}' for this version)",
                )
            )
            continue
        stack_spec: dict[str, Any] = spec.stack_spec if spec.stack_spec is not None else spec.flare or {}
        env = {
            "DATAPRODUCT_STACK": spec.stack,
            "DATAPRODUCT_JOB": job.name,
            "DATAPRODUCT_STACK_SPEC": json.dumps(stack_spec, sort_keys=True, default=str),
            **spec.envs,
        }
        plan.runnable.append(RunnableJob(job, image, env=env))
        candidates.append(job)
    running = {j.name for j in candidates}
    for index, job in enumerate(dag):
        if job.name not in running:
            continue
        for dep_index, dep in enumerate(job.dependencies):
            if dep in scanners:
                plan.problems.append(
                    (
                        ("workflow", "dag", index, "dependencies", dep_index),
                        f"job {job.name!r} depends on the depot scanner {dep!r}, which runs in a pod of its "
                        "own; one pod cannot wait for another (split the workflow)",
                    )
                )
    order = {j.name: i for i, j in enumerate(_dag_order(candidates))}
    plan.runnable.sort(key=lambda r: order[r.job.name])
    return plan


def check_workflows(graph: Graph, settings: StackSettings) -> None:
    """Refuse, before anything is registered, a workflow job this stack cannot run (at its file, line
    and field)."""
    problems: list[Diagnostic] = []
    for node in graph.of_kind("workflow"):
        problems.extend(_diagnostics(node, graph, settings))
    if problems:
        raise ManifestError(problems)


def _diagnostics(node: Node, graph: Graph, settings: StackSettings) -> list[Diagnostic]:
    assert isinstance(node.manifest, Workflow)
    plan = plan_workflow(node.manifest, graph, settings)
    return [node.source.diagnostic(path, message) for path, message in plan.problems]
