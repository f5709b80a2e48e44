"""Pod Security Standards "restricted" + resources: compliant objects pass, each violation is caught."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from dataproduct_iac.policy.pod_security import check_pod, check_pod_security, check_resources, pod_specs


def container(name: str = "app") -> dict[str, Any]:
    return {
        "name": name,
        "image": "trinodb/trino:480",
        "ports": [{"containerPort": 8080, "name": "http"}],
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
    }


def pod_spec() -> dict[str, Any]:
    return {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "fsGroup": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "initContainers": [container("init")],
        "containers": [container("app")],
        "volumes": [
            {"name": "config", "configMap": {"name": "c"}},
            {"name": "data", "emptyDir": {}},
            {"name": "creds", "secret": {"secretName": "s"}},
        ],
    }


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"replicas": 2, "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod_spec()}},
    }


def cronjob() -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c"},
        "spec": {"schedule": "13 1 */2 * *", "jobTemplate": {"spec": {"template": {"spec": pod_spec()}}}},
    }


def pod() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": pod_spec()}


def job() -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": pod_spec()}}}


def statefulset() -> dict[str, Any]:
    obj = deployment()
    obj["kind"] = "StatefulSet"
    return obj


FACTORIES = {"Deployment": deployment, "CronJob": cronjob, "Pod": pod, "Job": job, "StatefulSet": statefulset}


def spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    [template] = pod_specs(obj)
    return template.spec  # type: ignore[return-value]


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_compliant_objects_pass(kind: str) -> None:
    assert check_pod(FACTORIES[kind]()) == []


def test_objects_without_pods_have_no_templates() -> None:
    assert pod_specs({"kind": "ConfigMap", "data": {"a": "b"}}) == []
    assert check_pod({"kind": "Service", "spec": {"ports": [{"port": 80}]}}) == []


def test_kind_can_come_from_the_caller_when_props_lack_it() -> None:
    obj = deployment()
    del obj["kind"]
    obj["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    assert [v.rule for v in check_pod_security(obj, "Deployment")] == ["privileged"]
    assert [v.rule for v in check_pod_security(obj)] == ["privileged"]  # found by structure


def set_in(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(spec: dict[str, Any]) -> None:
        node: Any = spec
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        last = parts[-1]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


_DELETE = object()

# (mutation of the pod spec, rule expected to fire)
VIOLATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "hostNetwork": (set_in("hostNetwork", True), "host-namespaces"),
    "hostPID": (set_in("hostPID", True), "host-namespaces"),
    "hostIPC": (set_in("hostIPC", True), "host-namespaces"),
    "hostPath": (lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "host-path"),
    "nfs volume": (
        lambda s: s["volumes"].append({"name": "n", "nfs": {"server": "x", "path": "/"}}),
        "volume-types",
    ),
    "hostPort": (set_in("containers.0.ports.0.hostPort", 8080), "host-ports"),
    "privileged": (set_in("containers.0.securityContext.privileged", True), "privileged"),
    "privileged init": (set_in("initContainers.0.securityContext.privileged", True), "privileged"),
    "escalation true": (
        set_in("containers.0.securityContext.allowPrivilegeEscalation", True),
        "allow-privilege-escalation",
    ),
    "escalation unset": (
        set_in("initContainers.0.securityContext.allowPrivilegeEscalation", _DELETE),
        "allow-privilege-escalation",
    ),
    "runAsNonRoot unset": (set_in("securityContext.runAsNonRoot", _DELETE), "run-as-non-root"),
    "runAsNonRoot false in container": (
        set_in("containers.0.securityContext.runAsNonRoot", False),
        "run-as-non-root",
    ),
    "runAsUser 0": (set_in("securityContext.runAsUser", 0), "run-as-user"),
    "container runAsUser 0": (set_in("containers.0.securityContext.runAsUser", 0), "run-as-user"),
    "seccomp unset": (set_in("securityContext.seccompProfile", _DELETE), "seccomp"),
    "seccomp unconfined": (set_in("securityContext.seccompProfile", {"type": "Unconfined"}), "seccomp"),
    "container seccomp unconfined": (
        set_in("containers.0.securityContext.seccompProfile", {"type": "Unconfined"}),
        "seccomp",
    ),
    "drop not ALL": (
        set_in("containers.0.securityContext.capabilities", {"drop": ["NET_RAW"]}),
        "capabilities",
    ),
    "add SYS_ADMIN": (
        set_in("containers.0.securityContext.capabilities", {"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
        "capabilities",
    ),
    "unsafe sysctl": (
        set_in("securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}]),
        "sysctls",
    ),
    "selinux user": (set_in("securityContext.seLinuxOptions", {"user": "system_u"}), "selinux"),
    "selinux type": (set_in("containers.0.securityContext.seLinuxOptions", {"type": "spc_t"}), "selinux"),
    "procMount": (set_in("containers.0.securityContext.procMount", "Unmasked"), "proc-mount"),
    "apparmor unconfined": (
        set_in("securityContext.appArmorProfile", {"type": "Unconfined"}),
        "apparmor",
    ),
    "hostProcess": (set_in("securityContext.windowsOptions", {"hostProcess": True}), "host-process"),
    "ephemeral container": (
        lambda s: s.setdefault("ephemeralContainers", []).append({"name": "debug", "image": "busybox"}),
        "allow-privilege-escalation",
    ),
    "no cpu limit": (set_in("containers.0.resources.limits", {"memory": "2Gi"}), "resources"),
    "no memory request": (set_in("containers.0.resources.requests", {"cpu": "1"}), "resources"),
    "init without resources": (set_in("initContainers.0.resources", _DELETE), "resources"),
}


@pytest.mark.parametrize("kind", sorted(FACTORIES))
@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_each_violation_is_caught(kind: str, case: str) -> None:
    mutate, rule = VIOLATIONS[case]
    obj = FACTORIES[kind]()
    mutate(spec_of(obj))
    rules = {v.rule for v in check_pod(obj)}
    assert rule in rules, f"{case}: expected {rule}, got {rules}"


def test_container_level_settings_satisfy_pod_level_rules() -> None:
    obj = pod()
    spec = spec_of(obj)
    del spec["securityContext"]
    for item in spec["containers"] + spec["initContainers"]:
        item["securityContext"].update(
            {"runAsNonRoot": True, "seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}
        )
    assert check_pod(obj) == []


def test_net_bind_service_may_be_added() -> None:
    obj = deployment()
    spec_of(obj)["containers"][0]["securityContext"]["capabilities"]["add"] = ["NET_BIND_SERVICE"]
    assert check_pod(obj) == []


def test_apparmor_annotation_on_the_template() -> None:
    obj = deployment()
    obj["spec"]["template"]["metadata"]["annotations"] = {
        "container.apparmor.security.beta.kubernetes.io/app": "unconfined"
    }
    assert [v.rule for v in check_pod(obj)] == ["apparmor"]
    obj["spec"]["template"]["metadata"]["annotations"][
        "container.apparmor.security.beta.kubernetes.io/app"
    ] = "runtime/default"
    assert check_pod(obj) == []


def test_violation_messages_name_the_container_and_path() -> None:
    obj = cronjob()
    spec_of(obj)["containers"][0]["securityContext"]["privileged"] = True
    [violation] = check_pod_security(obj)
    assert violation.path == "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"
    assert "'app'" in violation.message


def test_resources_only_checks_init_and_app_containers() -> None:
    obj = pod()
    spec_of(obj).setdefault("ephemeralContainers", []).append({"name": "debug", "image": "busybox"})
    assert check_resources(obj) == []
    untouched = copy.deepcopy(obj)
    check_pod(obj)
    assert obj == untouched  # the checker never mutates its input
