"""The ScannerJob component on Pulumi's mock monitor: Job/CronJob objects, credentials, DAG order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from helpers.engine import is_secret, k8s_object, plain, run_component

from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.manifests import Acl, Depot, InstanceSecret, Workflow
from dataproduct_iac.placeholders import ValueSources
from dataproduct_iac.policy.pod_security import check_pod_security, check_resources
from dataproduct_iac.settings import StackSettings

K8S_VERSION = kubernetes_validate.latest_version()
SETTINGS = StackSettings(stack="dev", environment="dev", region="us-east-1", name_prefix="acme-")
OUTPUTS = ["namespace", "job_name", "kind", "image"]


@pytest.fixture
def seed(traffic_example: tuple[Path, ValueSources]) -> tuple[Workflow, Depot, InstanceSecret]:
    manifests, values = traffic_example
    graph = resolve(load([manifests], values))
    workflow = graph.get("workflow", "scan-depot")
    depot = graph.get("depot", "s3depot")
    assert workflow is not None and depot is not None
    read = next(s for s in graph.depot_secrets("s3depot") if s.acl == Acl.READ)
    assert isinstance(workflow.manifest, Workflow) and isinstance(depot.manifest, Depot)
    return workflow.manifest, depot.manifest, read


def scanner(workflow: Workflow, depot: Depot, secret: InstanceSecret | None, settings: StackSettings) -> Any:
    from dataproduct_iac.components.scanner import ScannerJob, ScannerJobArgs

    return lambda: ScannerJob(
        "scan-depot", ScannerJobArgs.from_manifest(workflow, depot, settings, read_secret=secret)
    )


def workflow_with(dag: list[dict[str, Any]], schedule: dict[str, Any] | None = None) -> Workflow:
    body: dict[str, Any] = {"dag": dag}
    if schedule:
        body["schedule"] = schedule
    return Workflow.model_validate(
        {"name": "scan-dag", "version": "v1", "type": "workflow", "workflow": body}
    )


def scan_job(
    name: str, deps: list[str] | None = None, depot: str = "dataos://s3depot", **spec: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "dependencies": deps or [],
        "spec": {"stack": "scanner:2.0", "stackSpec": {"depot": depot}, **spec},
    }


@pytest.mark.parametrize("preview", [True, False])
def test_seed_workflow_is_a_valid_restricted_cronjob(seed: Any, preview: bool) -> None:
    workflow, depot, secret = seed
    run = run_component(scanner(workflow, depot, secret, SETTINGS), preview=preview, outputs=OUTPUTS)
    custom = [r for r in run.resources if r.custom]
    assert sorted(r.typ for r in custom) == ["kubernetes:batch/v1:CronJob", "kubernetes:core/v1:Secret"]
    for resource in custom:
        kubernetes_validate.validate(k8s_object(resource), K8S_VERSION, strict=True)
    assert [(r.typ, r.name) for r in run.resources if not r.custom] == [
        ("dataproduct:index:ScannerJob", "scan-depot")
    ]
    assert all(r.name.startswith("scan-depot-") for r in custom)
    assert all(
        r.parent.endswith("dataproduct:index:ScannerJob::scan-depot") for r in run.registrations if r.custom
    )
    cron = k8s_object(next(r for r in custom if r.typ.endswith("CronJob")))
    assert cron["metadata"]["name"] == "acme-scan-depot-dev"
    spec = cron["spec"]
    assert spec["schedule"] == "0 */6 * * *"
    assert spec["timeZone"] == "UTC"
    assert spec["concurrencyPolicy"] == "Forbid"
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 2
    assert job["ttlSecondsAfterFinished"] == 600
    pod = job["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == SETTINGS.scanner_image
    assert container["command"] == ["dataproduct", "scan"]
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }
    env = {e["name"]: e for e in container["env"]}
    assert env["DATAPRODUCT_SCAN_BUCKET"]["value"] == SETTINGS.bucket_name("ga-data")
    assert env["DATAPRODUCT_SCAN_PREFIX"]["value"] == "raw"
    assert env["DATAPRODUCT_SCAN_MARK_DELETED"]["value"] == "true"
    assert env["DATAPRODUCT_SCAN_SCHEMA_INCLUDES"]["value"] == '["^ga_.*"]'
    assert env["DATAPRODUCT_SCAN_TABLE_EXCLUDES"]["value"] == '["^tmp_.*"]'
    assert env["AWS_REGION"]["value"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"] == {
        "name": "acme-scan-depot-dev-credentials",
        "key": "AWS_ACCESS_KEY_ID",
    }
    # The scanner derives the same Glue database names as the Trino catalogs and drift checks.
    from dataproduct_iac.scanner import DatabaseNaming

    naming = DatabaseNaming(env["DATAPRODUCT_SCAN_DATABASE_TEMPLATE"]["value"])
    assert naming.name("ga_web") == SETTINGS.glue_database_name("s3depot", "ga_web")
    assert check_pod_security(cron) == []
    assert check_resources(cron) == []
    assert run.outputs == {
        "namespace": "dataproduct",
        "job_name": "acme-scan-depot-dev",
        "kind": "CronJob",
        "image": SETTINGS.scanner_image,
    }


@pytest.mark.parametrize("preview", [True, False])
def test_secret_values_only_in_the_kubernetes_secret_and_marked_secret(seed: Any, preview: bool) -> None:
    workflow, depot, secret = seed
    run = run_component(scanner(workflow, depot, secret, SETTINGS), preview=preview)
    values = [v.get_secret_value() for v in secret.instance_secret.data.values()]
    for resource in run.resources:
        text = repr(resource.inputs)
        if resource.typ == "kubernetes:core/v1:Secret":
            assert is_secret(resource.inputs["stringData"])
            assert plain(resource.inputs["stringData"]) == {
                "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00",
                "AWS_SECRET_ACCESS_KEY": "example-secret-access-key",
            }
        else:
            assert not any(v in text for v in values), resource.typ


def test_dag_runs_in_topological_order_as_init_containers() -> None:
    from dataproduct_iac.components.scanner import ordered_jobs

    workflow = workflow_with(
        [
            scan_job("publish", ["orders", "events"]),
            scan_job("orders", ["events"], resources={"requests": {"cpu": "2"}, "limits": {"memory": "4Gi"}}),
            scan_job("events", retry={"count": 4}),
        ]
    )
    assert [j.name for j in ordered_jobs(workflow, "s3depot")] == ["events", "orders", "publish"]
    depot = Depot.model_validate(
        {
            "name": "s3depot",
            "version": "v2alpha",
            "type": "depot",
            "depot": {
                "type": "S3",
                "external": True,
                "s3": {"bucket": "ga-data", "endpoint": "http://minio:9000"},
            },
        }
    )
    run = run_component(scanner(workflow, depot, None, SETTINGS), preview=False, outputs=OUTPUTS)
    custom = [r for r in run.resources if r.custom]
    assert [r.typ for r in custom] == ["kubernetes:batch/v1:Job"]
    job = k8s_object(custom[0])
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    pod = job["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["events", "orders"]
    assert [c["name"] for c in pod["containers"]] == ["publish"]
    assert job["spec"]["backoffLimit"] == 4
    assert "ttlSecondsAfterFinished" not in job["spec"]
    orders = pod["initContainers"][1]
    assert orders["resources"] == {
        "requests": {"cpu": "2", "memory": "512Mi"},
        "limits": {"cpu": "2", "memory": "4Gi"},  # the default limit (1) is raised to the request
    }
    env = {e["name"]: e.get("value") for e in orders["env"]}
    assert env["DATAPRODUCT_SCAN_BUCKET"] == "ga-data"  # external: the manifest's bucket
    assert env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert "AWS_ACCESS_KEY_ID" not in env
    assert check_pod_security(job) == [] and check_resources(job) == []
    assert run.outputs["kind"] == "Job"


def test_irsa_uses_an_annotated_service_account_and_no_keys(seed: Any) -> None:
    workflow, depot, secret = seed
    settings = StackSettings(
        stack="prod", environment="prod", scanner_service_account_role_arn="arn:aws:iam::1:role/s"
    )
    run = run_component(scanner(workflow, depot, secret, settings), preview=False)
    custom = {r.typ: r for r in run.resources if r.custom}
    assert set(custom) == {"kubernetes:core/v1:ServiceAccount", "kubernetes:batch/v1:CronJob"}
    sa = k8s_object(custom["kubernetes:core/v1:ServiceAccount"])
    kubernetes_validate.validate(sa, K8S_VERSION, strict=True)
    assert sa["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/s"}
    cron = k8s_object(custom["kubernetes:batch/v1:CronJob"])
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == sa["metadata"]["name"]
    assert not any(e["name"].startswith("AWS_ACCESS") for e in pod["containers"][0]["env"])


@pytest.mark.parametrize("schedule", [None, {"cron": "0 3 * * *"}])
def test_the_dataos_users_the_scanner_jobs_act_as_annotate_the_pod(seed: Any, schedule: Any) -> None:
    _, depot, secret = seed
    workflow = workflow_with(
        [scan_job("first", runAsUser="metis"), scan_job("second", ["first"], runAsUser="iamgroot")], schedule
    )
    run = run_component(scanner(workflow, depot, secret, SETTINGS), preview=False, outputs=OUTPUTS)
    job = k8s_object(next(r for r in run.resources if r.typ.endswith(("batch/v1:Job", "batch/v1:CronJob"))))
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    spec = job["spec"]["jobTemplate"]["spec"] if schedule else job["spec"]
    annotations = spec["template"]["metadata"]["annotations"]
    assert annotations == {"dataproduct.io/run-as-user": "iamgroot,metis"}
    assert check_pod_security(job) == []


def test_dependency_on_another_depots_job_is_refused() -> None:
    from dataproduct_iac.components.scanner import ordered_jobs

    workflow = workflow_with([scan_job("a"), scan_job("b", ["a"], depot="dataos://otherdepot")])
    assert [j.name for j in ordered_jobs(workflow, "s3depot")] == ["a"]
    with pytest.raises(ValueError, match="depends on 'a', which does not scan depot 'otherdepot'"):
        ordered_jobs(workflow, "otherdepot")


def test_a_request_above_the_default_limit_raises_that_limit(seed: Any) -> None:
    _, depot, secret = seed
    workflow = workflow_with([scan_job("big", resources={"requests": {"cpu": "2", "memory": "4Gi"}})])
    run = run_component(scanner(workflow, depot, secret, SETTINGS), preview=False, outputs=OUTPUTS)
    job = k8s_object(next(r for r in run.resources if r.typ.endswith(":Job")))
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "2", "memory": "4Gi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    }


def test_include_tables_false_registers_no_dataset() -> None:
    from dataproduct_iac.components.scanner import scanner_env

    depot = Depot.model_validate(
        {
            "name": "s3depot",
            "version": "v2alpha",
            "type": "depot",
            "depot": {"type": "S3", "external": True, "s3": {"bucket": "ga-data"}},
        }
    )
    config = {"includeTables": False, "tableFilterPattern": {"excludes": ["^tmp_"]}}
    job = scan_job("scan", stackSpec={"depot": "s3depot", "sourceConfig": {"config": config}})
    (dag_job,) = workflow_with([job]).workflow.dag
    env = {e["name"]: e.get("value") for e in scanner_env(dag_job, depot, "ga-data", SETTINGS, None, {})}
    assert env["DATAPRODUCT_SCAN_TABLE_EXCLUDES"] == '["^tmp_", ".*"]'


def test_aws_request_settings_come_from_the_stack_unless_the_job_sets_them(seed: Any) -> None:
    from dataproduct_iac.components.scanner import scanner_env

    workflow, depot, _ = seed
    job = workflow.workflow.dag[0]
    settings = StackSettings(stack="dev", aws_read_timeout=12.5, aws_max_attempts=7)
    env = {e["name"]: e.get("value") for e in scanner_env(job, depot, "b", settings, None, {})}
    assert env["DATAPRODUCT_SCAN_READ_TIMEOUT"] == "12.5"
    assert env["DATAPRODUCT_SCAN_MAX_ATTEMPTS"] == "7"
    assert env["DATAPRODUCT_SCAN_CONNECT_TIMEOUT"] == "5" and env["DATAPRODUCT_SCAN_RETRY_BUDGET"] == "60"
    job.inline_spec.envs["DATAPRODUCT_SCAN_READ_TIMEOUT"] = "3"  # the manifest's envs win
    env = {e["name"]: e.get("value") for e in scanner_env(job, depot, "b", settings, None, {})}
    assert env["DATAPRODUCT_SCAN_READ_TIMEOUT"] == "3"
