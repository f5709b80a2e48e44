"""Workflows of other stacks at plan: container jobs and jobs of a stack mapped to an image run as a
Kubernetes Job/CronJob; what cannot run is refused before anything is registered, naming the field
or the setting; scanners of DataOS metadata create nothing and say so."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from helpers.engine import plain

from dataproduct_iac import ManifestError, ValueSources, load, program, resolve
from dataproduct_iac.plan import Plan, run_program
from dataproduct_iac.policy.pod_security import check_pod_security, check_resources
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.stack_jobs import check_workflows

K8S_VERSION = kubernetes_validate.latest_version()
S3_DEPOT = """
name: lake
version: v2alpha
type: depot
depot:
  type: S3
  external: true
  s3: {bucket: lake-data, region: us-east-1}
"""


def prepared(tmp_path: Path, settings: StackSettings, *documents: str) -> program.Prepared:
    (tmp_path / "m.yaml").write_text("\n---\n".join(textwrap.dedent(d).strip() for d in documents) + "\n")
    graph = resolve(load([tmp_path], ValueSources()))
    check_workflows(graph, settings)
    return program.Prepared(graph, settings)


def plan_of(ready: program.Prepared) -> Plan:
    return run_program(lambda: program.deploy(ready), project="dataproduct", stack="dev", preview=False)


def k8s(plan: Plan, kind: str) -> list[dict[str, Any]]:
    out = []
    for reg in plan.registrations:
        if reg.type == f"kubernetes:batch/v1:{kind}":
            out.append({"apiVersion": "batch/v1", "kind": kind, **plain(reg.inputs)})
    return out


def refusals(tmp_path: Path, settings: StackSettings, *documents: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        prepared(tmp_path, settings, *documents)
    return [str(d) for d in caught.value.diagnostics]


def test_container_and_mapped_stack_jobs_run_in_one_pod_in_dag_order(tmp_path: Path) -> None:
    settings = StackSettings(stack="dev", stack_images={"flare": "example/flare:7.0"})
    ready = prepared(
        tmp_path,
        settings,
        """
        name: ingest
        version: v1
        type: workflow
        workflow:
          dag:
            - name: report
              dependencies: [load]
              spec:
                stack: container
                runAsUser: iamgroot
                envs: {LOG_LEVEL: debug}
                stackSpec: {image: 'busybox:1.36', command: [sh], arguments: ['-c', 'echo done']}
            - name: load
              spec:
                stack: flare:7.0
                resources: {requests: {cpu: '2'}}
                retry: {count: 3}
                stackSpec: {job: {inputs: [{name: city, dataset: 'dataos://lake:retail/city'}]}}
        """,
    )
    plan = plan_of(ready)
    (job,) = k8s(plan, "Job")
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    assert check_pod_security(job) == [] and check_resources(job) == []
    pod = job["spec"]["template"]["spec"]
    (load_job,) = pod["initContainers"]
    (report,) = pod["containers"]
    assert load_job["image"] == "example/flare:7.0"
    env = {e["name"]: e["value"] for e in load_job["env"]}
    assert env["DATAPRODUCT_STACK"] == "flare:7.0" and env["DATAPRODUCT_JOB"] == "load"
    assert json.loads(env["DATAPRODUCT_STACK_SPEC"])["job"]["inputs"][0]["name"] == "city"
    assert load_job["resources"]["limits"]["cpu"] == "2"
    assert (report["image"], report["command"], report["args"]) == (
        "busybox:1.36",
        ["sh"],
        ["-c", "echo done"],
    )
    assert {"name": "LOG_LEVEL", "value": "debug"} in report["env"]
    assert job["spec"]["backoffLimit"] == 3
    assert job["spec"]["template"]["metadata"]["annotations"] == {"dataproduct.io/run-as-user": "iamgroot"}
    components = [r for r in plan.registrations if r.type == "dataproduct:index:WorkflowJob"]
    assert [r.name for r in components] == ["ingest"]


def test_a_scheduled_stack_job_is_a_cronjob_with_the_version_specific_image(tmp_path: Path) -> None:
    settings = StackSettings(
        stack="dev", stack_images={"soda+python": "x/soda:1", "soda+python:1.0": "x/soda:1.0"}
    )
    ready = prepared(
        tmp_path,
        settings,
        """
        name: quality
        version: v1
        type: workflow
        workflow:
          schedule: {cron: '0 3 * * 0', timezone: UTC, concurrencyPolicy: Forbid}
          dag:
            - name: checks
              gcWhenComplete: true
              spec: {stack: 'soda+python:1.0', stackSpec: {inputs: []}}
        """,
    )
    (cron,) = k8s(plan_of(ready), "CronJob")
    kubernetes_validate.validate(cron, K8S_VERSION, strict=True)
    assert cron["spec"]["schedule"] == "0 3 * * 0" and cron["spec"]["concurrencyPolicy"] == "Forbid"
    job = cron["spec"]["jobTemplate"]["spec"]
    assert job["ttlSecondsAfterFinished"] == 600
    assert job["template"]["spec"]["containers"][0]["image"] == "x/soda:1.0"


@pytest.mark.parametrize("schedule", ["", "schedule: {cron: '0 3 * * *'}"])
def test_a_container_image_from_a_private_registry_is_pulled_with_its_image_pull_secret(
    tmp_path: Path, schedule: str
) -> None:
    ready = prepared(
        tmp_path,
        StackSettings(stack="dev"),
        f"""
        name: private
        version: v1
        type: workflow
        workflow:
          {schedule}
          dag:
            - name: fetch
              spec:
                stack: container
                stackSpec: {{image: 'registry.example.com/team/fetch:1', imagePullSecret: docker-secrets}}
            - name: report
              dependencies: [fetch]
              spec:
                stack: container
                stackSpec:
                  image: docker.io/helloworldimage/helloworldimage:tag
                  imagePullSecret: docker-secrets
                  command: [python]
        """,
    )
    (job,) = k8s(plan_of(ready), "CronJob" if schedule else "Job")
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    assert check_pod_security(job) == []
    spec = job["spec"]["jobTemplate"]["spec"] if schedule else job["spec"]
    assert spec["template"]["spec"]["imagePullSecrets"] == [{"name": "docker-secrets"}]


def test_what_cannot_run_is_refused_before_anything_is_registered(tmp_path: Path) -> None:
    shown = refusals(
        tmp_path,
        StackSettings(stack="dev"),
        """
        name: mixed
        version: v1
        type: workflow
        workflow:
          dag:
            - name: scan
              spec: {stack: 'scanner:2.0', stackSpec: {depot: lake}}
            - name: transform
              dependencies: [scan]
              spec: {stack: 'flare:7.0', stackSpec: {}}
            - name: by-file
              file: jobs/flare.yaml
            - name: no-image
              spec: {stack: container, stackSpec: {command: [run]}}
            - name: after-scan
              dependencies: [scan]
              spec: {stack: container, stackSpec: {image: busybox}}
        """,
        S3_DEPOT,
    )
    text = "\n".join(shown)
    assert "m.yaml:10: workflow.dag[1].spec.stack: no image for stack 'flare:7.0'" in text
    assert "dataproduct:stackImages: {flare: <image>}" in text
    assert "workflow.dag[2].file: job 'by-file' is given by file" in text
    assert "workflow.dag[3].spec.stackSpec.image: a container job needs stackSpec.image" in text
    assert "workflow.dag[4].dependencies[0]: job 'after-scan' depends on the depot scanner 'scan'" in text


def test_a_scanner_of_a_depot_that_is_not_s3_is_refused_at_plan(tmp_path: Path) -> None:
    shown = refusals(
        tmp_path,
        StackSettings(stack="dev"),
        """
        name: scan-pg
        version: v1
        type: workflow
        workflow:
          dag:
            - name: scan
              spec: {stack: 'scanner:2.0', stackSpec: {depot: 'dataos://warehouse'}}
        """,
        """
        name: warehouse
        version: v1
        type: depot
        depot:
          type: POSTGRESQL
          spec: {host: db.example.com, port: 5432, database: sales}
          connectionSecret:
            - acl: r
              type: key-value-properties
              data: {username: reader, password: not-a-real-one}
        """,
    )
    assert any(
        "stackSpec.depot: the scanner here reads S3 depots; depot 'warehouse' is" in s for s in shown
    ), shown


def test_a_metadata_scanner_creates_nothing_and_says_so(tmp_path: Path) -> None:
    ready = prepared(
        tmp_path,
        StackSettings(stack="dev"),
        """
        name: dp-scanner
        version: v1
        type: workflow
        workflow:
          dag:
            - name: products
              spec: {stack: 'scanner:2.0', stackSpec: {type: data-product}}
        """,
    )
    from dataproduct_iac.components.build import build

    notes: list[str] = []

    def run() -> None:
        notes.extend(build(ready.graph, ready.settings).notes)

    plan = run_program(run, project="dataproduct", stack="dev", preview=True)
    assert not [r for r in plan.registrations if r.custom]
    assert notes == [
        "workflow 'dp-scanner', job 'products': a scanner of data-product reads DataOS metadata this tool "
        "does not have; nothing is created for it"
    ]


def test_plan_refuses_a_stack_without_an_image_naming_the_setting(tmp_path: Path) -> None:
    from helpers.cli import run_dataproduct

    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "flow.yaml").write_text(
        "name: ingest\nversion: v1\ntype: workflow\nworkflow:\n  dag:\n    - name: load\n"
        "      spec:\n        stack: flare:7.0\n        stackSpec: {job: {}}\n"
    )
    valid = run_dataproduct("validate", str(manifests), cwd=tmp_path)
    assert valid.returncode == 0, valid.stderr[-2000:]
    done = run_dataproduct("plan", str(manifests), "--json", "-", cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "flow.yaml:8: workflow.dag[0].spec.stack: no image for stack 'flare:7.0'" in done.stderr
    assert "dataproduct:stackImages" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("schedule", ["", "schedule: {cron: '0 3 * * *'}"])
def test_an_alpha_job_runs_its_own_image_with_its_pull_secret_as_a_container_job_does(
    tmp_path: Path, schedule: str
) -> None:
    # DataOS's older name for the container stack: the alpha: block holds what container: does
    # (docs/examples/resources/secret/docker_image/alpha_image_worklow.yaml, dataos_alerts/workflow_alerts.md)
    settings = StackSettings(stack="dev", stack_images={"alpha": "example/not-this-one:1"})
    ready = prepared(
        tmp_path,
        settings,
        f"""
        name: alerts
        version: v1
        type: workflow
        workflow:
          {schedule}
          dag:
            - name: pull
              spec:
                stack: alpha
                alpha: {{image: 'docker.io/team/private:1', imagePullSecret: docker-image}}
            - name: alert
              dependencies: [pull]
              spec:
                stack: alpha
                compute: runnable-default
                alpha:
                  image: docker.io/team/alerts:2
                  command: [python]
                  arguments: [teams_alert.py]
        """,
    )
    (job,) = k8s(plan_of(ready), "CronJob" if schedule else "Job")
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    assert check_pod_security(job) == [] and check_resources(job) == []
    spec = job["spec"]["jobTemplate"]["spec"] if schedule else job["spec"]
    pod = spec["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "docker-image"}]
    (pull,) = pod["initContainers"]
    (alert,) = pod["containers"]
    assert pull["image"] == "docker.io/team/private:1"
    assert (alert["image"], alert["command"], alert["args"]) == (
        "docker.io/team/alerts:2",
        ["python"],
        ["teams_alert.py"],
    )
    assert not {e["name"] for e in alert.get("env", [])} & {"DATAPRODUCT_STACK", "DATAPRODUCT_STACK_SPEC"}


def test_a_container_or_alpha_job_without_an_image_is_refused_at_its_block(tmp_path: Path) -> None:
    shown = refusals(
        tmp_path,
        StackSettings(stack="dev", stack_images={"alpha": "example/alpha:1", "container": "example/c:1"}),
        """
        name: no-images
        version: v1
        type: workflow
        workflow:
          dag:
            - name: old-alpha
              spec: {stack: alpha, alpha: {command: [python]}}
            - name: old-container
              spec: {stack: container, container: {command: [python]}}
            - name: new-alpha
              spec: {stack: alpha, stackSpec: {command: [python]}}
            - name: bare
              spec: {stack: alpha}
        """,
    )
    text = "\n".join(shown)
    assert "m.yaml:7: workflow.dag[0].spec.alpha.image: an alpha job needs alpha.image to run" in text
    assert "m.yaml:9: workflow.dag[1].spec.container.image: a container job needs container.image" in text
    assert "workflow.dag[2].spec.stackSpec.image: an alpha job needs stackSpec.image" in text
    assert "workflow.dag[3].spec.stackSpec.image: an alpha job needs stackSpec.image" in text
    assert len(shown) == 4, shown
