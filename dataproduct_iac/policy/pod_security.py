"""Kubernetes Pod Security Standards, "restricted" profile, plus resource requests and limits.

Input: a Kubernetes object as a dict in the API's camelCase (what ``kubectl get -o json``,
pulumi-kubernetes inputs under the engine or its mocks, and rendered YAML look like): a Pod, a
PodTemplate, a Deployment/StatefulSet/DaemonSet/ReplicaSet/Job (``spec.template``), a CronJob
(``spec.jobTemplate.spec.template``), or a bare pod template (``{"metadata", "spec"}``).

The rules follow https://kubernetes.io/docs/concepts/security/pod-security-standards/ for the
latest policy version: every baseline control and every restricted control. Windows-only
exceptions (``spec.os.name: windows``) are honoured for the controls that have them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ALLOWED_VOLUME_TYPES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
"""Restricted profile: volume types (besides ``name``) a pod may use."""

ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
ALLOWED_SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)
ALLOWED_SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})
REQUIRED_RESOURCES = ("cpu", "memory")
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"

_TEMPLATE_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}
)


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, where in the object (a dotted path) and what to change."""

    rule: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.rule}]"


@dataclass(frozen=True)
class PodTemplate:
    """A pod spec found inside an object, with its metadata and the path that leads to it."""

    path: str
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]


def pod_specs(obj: Mapping[str, Any], kind: str | None = None) -> list[PodTemplate]:
    """Every pod template inside ``obj`` (none for objects that hold no pods, e.g. a ConfigMap)."""
    kind = kind or _str(obj.get("kind"))
    spec = _map(obj.get("spec"))
    if kind == "Pod" or (kind is None and ("containers" in spec or "initContainers" in spec)):
        return [PodTemplate("spec", _map(obj.get("metadata")), spec)]
    if kind == "PodTemplate":
        template = _map(obj.get("template"))
        return [PodTemplate("template.spec", _map(template.get("metadata")), _map(template.get("spec")))]
    if kind == "CronJob" or (kind is None and "jobTemplate" in spec):
        job_spec = _map(_map(spec.get("jobTemplate")).get("spec"))
        template = _map(job_spec.get("template"))
        return [
            PodTemplate(
                "spec.jobTemplate.spec.template.spec",
                _map(template.get("metadata")),
                _map(template.get("spec")),
            )
        ]
    if kind in _TEMPLATE_KINDS or (kind is None and "template" in spec):
        template = _map(spec.get("template"))
        return [PodTemplate("spec.template.spec", _map(template.get("metadata")), _map(template.get("spec")))]
    return []


def check_pod_security(obj: Mapping[str, Any], kind: str | None = None) -> list[Violation]:
    """Violations of the "restricted" Pod Security Standard in every pod template of ``obj``."""
    out: list[Violation] = []
    for template in pod_specs(obj, kind):
        out.extend(_check_template(template))
    return out


def check_resources(obj: Mapping[str, Any], kind: str | None = None) -> list[Violation]:
    """Every container and init container must request and limit both cpu and memory."""
    out: list[Violation] = []
    for template in pod_specs(obj, kind):
        for path, container in _containers(template, lists=("initContainers", "containers")):
            resources = _map(container.get("resources"))
            for section in ("requests", "limits"):
                values = _map(resources.get(section))
                missing = [r for r in REQUIRED_RESOURCES if values.get(r) in (None, "", 0, "0")]
                if missing:
                    out.append(
                        Violation(
                            "resources",
                            f"{path}.resources.{section}",
                            f"container {_name(container)!r} has no {section} for {', '.join(missing)}",
                        )
                    )
    return out


def check_pod(obj: Mapping[str, Any], kind: str | None = None) -> list[Violation]:
    """Restricted profile and resources together."""
    return check_pod_security(obj, kind) + check_resources(obj, kind)


def _check_template(template: PodTemplate) -> list[Violation]:
    spec, base = template.spec, template.path
    pod_sc = _map(spec.get("securityContext"))
    windows = _str(_map(spec.get("os")).get("name")) == "windows"
    out: list[Violation] = []

    def add(rule: str, path: str, message: str) -> None:
        out.append(Violation(rule, path, message))

    # --- baseline ---------------------------------------------------------------------------
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field) is True:
            add("host-namespaces", f"{base}.{field}", f"{field} must be unset or false")
    if _map(pod_sc.get("windowsOptions")).get("hostProcess") is True:
        add("host-process", f"{base}.securityContext.windowsOptions.hostProcess", "hostProcess must be false")
    for index, volume in enumerate(_list(spec.get("volumes"))):
        volume = _map(volume)
        kinds = [k for k in volume if k != "name"]
        if "hostPath" in kinds:
            add("host-path", f"{base}.volumes[{index}]", f"hostPath volume {_name(volume)!r} is forbidden")
        bad = [k for k in kinds if k not in ALLOWED_VOLUME_TYPES and k != "hostPath"]
        if bad:
            add(
                "volume-types",
                f"{base}.volumes[{index}]",
                f"volume {_name(volume)!r} uses {', '.join(bad)}; "
                f"allowed: {', '.join(sorted(ALLOWED_VOLUME_TYPES))}",
            )
    for index, sysctl in enumerate(_list(pod_sc.get("sysctls"))):
        name = _str(_map(sysctl).get("name"))
        if name not in SAFE_SYSCTLS:
            add(
                "sysctls",
                f"{base}.securityContext.sysctls[{index}]",
                f"sysctl {name!r} is not in the safe set",
            )
    out.extend(_check_selinux_and_apparmor(pod_sc, f"{base}.securityContext"))
    for key, value in _map(template.metadata.get("annotations")).items():
        if str(key).startswith(_APPARMOR_ANNOTATION) and not (
            value == "runtime/default" or str(value).startswith("localhost/")
        ):
            add("apparmor", f"metadata.annotations.{key}", f"AppArmor profile {value!r} is not allowed")

    # --- restricted, pod level ----------------------------------------------------------------
    pod_non_root = pod_sc.get("runAsNonRoot") is True
    if pod_sc.get("runAsNonRoot") is False:
        add("run-as-non-root", f"{base}.securityContext.runAsNonRoot", "runAsNonRoot must not be false")
    if _is_zero(pod_sc.get("runAsUser")):
        add("run-as-user", f"{base}.securityContext.runAsUser", "runAsUser must not be 0 (root)")
    pod_seccomp = _str(_map(pod_sc.get("seccompProfile")).get("type"))
    if pod_seccomp is not None and pod_seccomp not in ALLOWED_SECCOMP_TYPES:
        add(
            "seccomp",
            f"{base}.securityContext.seccompProfile.type",
            f"seccompProfile {pod_seccomp!r} is not allowed; use RuntimeDefault or Localhost",
        )

    # --- per container ------------------------------------------------------------------------
    for path, container in _containers(template):
        sc = _map(container.get("securityContext"))
        who = f"container {_name(container)!r}"
        if sc.get("privileged") is True:
            add("privileged", f"{path}.securityContext.privileged", f"{who} must not be privileged")
        if _map(sc.get("windowsOptions")).get("hostProcess") is True:
            add("host-process", f"{path}.securityContext.windowsOptions.hostProcess", f"{who}: hostProcess")
        if sc.get("procMount") not in (None, "Default"):
            add("proc-mount", f"{path}.securityContext.procMount", f"{who}: procMount must be Default")
        for index, port in enumerate(_list(container.get("ports"))):
            host_port = _map(port).get("hostPort")
            if host_port not in (None, 0, 0.0):
                add(
                    "host-ports",
                    f"{path}.ports[{index}].hostPort",
                    f"{who} must not use hostPort {host_port}",
                )
        out.extend(_check_selinux_and_apparmor(sc, f"{path}.securityContext"))
        if not windows and sc.get("allowPrivilegeEscalation") is not False:
            add(
                "allow-privilege-escalation",
                f"{path}.securityContext.allowPrivilegeEscalation",
                f"{who} must set allowPrivilegeEscalation: false",
            )
        non_root = sc.get("runAsNonRoot")
        if non_root is False:
            add("run-as-non-root", f"{path}.securityContext.runAsNonRoot", f"{who}: runAsNonRoot is false")
        elif non_root is not True and not pod_non_root:
            add(
                "run-as-non-root",
                f"{path}.securityContext.runAsNonRoot",
                f"{who} must run as non-root (runAsNonRoot: true on the pod or the container)",
            )
        if _is_zero(sc.get("runAsUser")):
            add("run-as-user", f"{path}.securityContext.runAsUser", f"{who}: runAsUser must not be 0 (root)")
        seccomp = _str(_map(sc.get("seccompProfile")).get("type"))
        if seccomp is not None and seccomp not in ALLOWED_SECCOMP_TYPES:
            add(
                "seccomp",
                f"{path}.securityContext.seccompProfile.type",
                f"{who}: seccompProfile {seccomp!r} is not allowed; use RuntimeDefault or Localhost",
            )
        elif seccomp is None and pod_seccomp is None and not windows:
            add(
                "seccomp",
                f"{path}.securityContext.seccompProfile",
                f"{who} needs seccompProfile RuntimeDefault or Localhost (on the pod or the container)",
            )
        capabilities = _map(sc.get("capabilities"))
        added = [str(c) for c in _list(capabilities.get("add"))]
        disallowed = [c for c in added if c not in ALLOWED_ADDED_CAPABILITIES]
        if disallowed:
            add(
                "capabilities",
                f"{path}.securityContext.capabilities.add",
                f"{who} adds {', '.join(disallowed)}; only NET_BIND_SERVICE may be added",
            )
        if not windows and "ALL" not in [str(c) for c in _list(capabilities.get("drop"))]:
            add(
                "capabilities",
                f"{path}.securityContext.capabilities.drop",
                f"{who} must drop ALL capabilities",
            )
    return out


def _check_selinux_and_apparmor(security_context: Mapping[str, Any], path: str) -> Iterator[Violation]:
    """The SELinux options and AppArmor profile of a pod's or a container's securityContext (at ``path``):
    the same rules on both levels."""
    yield from _check_selinux(_map(security_context.get("seLinuxOptions")), f"{path}.seLinuxOptions")
    yield from _check_apparmor(_map(security_context.get("appArmorProfile")), f"{path}.appArmorProfile")


def _check_selinux(options: Mapping[str, Any], path: str) -> Iterator[Violation]:
    if options.get("type") not in (None, *ALLOWED_SELINUX_TYPES):
        yield Violation("selinux", f"{path}.type", f"SELinux type {options.get('type')!r} is not allowed")
    for field in ("user", "role"):
        if options.get(field) not in (None, ""):
            yield Violation("selinux", f"{path}.{field}", f"SELinux {field} must not be set")


def _check_apparmor(profile: Mapping[str, Any], path: str) -> Iterator[Violation]:
    kind = profile.get("type")
    if kind is not None and kind not in ("RuntimeDefault", "Localhost"):
        yield Violation("apparmor", f"{path}.type", f"AppArmor profile type {kind!r} is not allowed")


def _containers(
    template: PodTemplate, lists: tuple[str, ...] = CONTAINER_LISTS
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for field in lists:
        for index, container in enumerate(_list(template.spec.get(field))):
            yield f"{template.path}.{field}[{index}]", _map(container)


def _is_zero(value: Any) -> bool:
    return value is not None and not isinstance(value, bool) and value in (0, 0.0, "0")


def _name(item: Mapping[str, Any]) -> str:
    return str(item.get("name", "?"))


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
