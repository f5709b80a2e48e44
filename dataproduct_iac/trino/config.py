"""Coordinator and worker configuration: config/node/jvm/log files, CONF__ translation, memory rules.

Pure functions over the cluster model; no pulumi import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

from ..manifests.cluster import CONF_ENV, JVM_ENV, Minerva
from ..manifests.values import parse_quantity
from .errors import Problem
from .units import GIB, format_data_size, gib, parse_data_size, parse_duration

Role = Literal["coordinator", "worker"]

HTTP_PORT = 8080
CONFIG_DIR = "/etc/trino"
DATA_DIR = "/data/trino"
PLUGIN_DIR = "/usr/lib/trino/plugin"
TMP_DIR = "/tmp"
HEAP_PERCENT = Decimal(80)
"""``-XX:MaxRAMPercentage``: the heap is this share of the container's memory limit."""
DEFAULT_SHARE = Decimal("0.3")
"""Trino's default for both ``query.max-memory-per-node`` and ``memory.heap-headroom-per-node``."""
DEFAULT_GRACE_PERIOD = "2m"
DEFAULT_LONGEST_QUERY_SECONDS = 15 * 60
DEFAULT_CPU = "2"
DEFAULT_MEMORY = "8Gi"

# Trino's recommended JVM flags (docs "Deploying Trino", the image's own default jvm.config for
# 47x, and the Helm chart's -XX:+UseG1GC). The heap comes from the container limit through the RAM
# percentages. The agent library is added by the trinodb/trino image, not by the server tarball.
BASE_JVM_OPTIONS: tuple[str, ...] = (
    "-server",
    "-agentpath:/usr/lib/trino/bin/libjvmkill.so",
    f"-XX:InitialRAMPercentage={HEAP_PERCENT}",
    f"-XX:MaxRAMPercentage={HEAP_PERCENT}",
    "-XX:+UseG1GC",
    "-XX:G1HeapRegionSize=32M",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:+HeapDumpOnOutOfMemoryError",
    f"-XX:HeapDumpPath={DATA_DIR}",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:ReservedCodeCacheSize=512M",
    "-XX:PerMethodRecompilationCutoff=10000",
    "-XX:PerBytecodeRecompilationCutoff=10000",
    "-Djdk.attach.allowAttachSelf=true",
    "-Djdk.nio.maxCachedBufferSize=2000000",
    "-XX:+EnableDynamicAgentLoading",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:G1NumCollectionsKeepPinned=10000000",
    f"-Djava.io.tmpdir={TMP_DIR}",
)

# Connectors that refuse to load without extra JVM arguments on Java 24+ (Trino 476 checks this at
# start-up: "Connector 'snowflake' requires additional JVM argument(s)"; both found by booting them:
# they read results with Apache Arrow).
_ARROW_JVM_OPTIONS = ("--add-opens=java.base/java.nio=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow")
CONNECTOR_JVM_OPTIONS: dict[str, tuple[str, ...]] = {
    "bigquery": _ARROW_JVM_OPTIONS,
    "snowflake": _ARROW_JVM_OPTIONS,
}


def connector_jvm_options(connectors: set[str]) -> list[str]:
    """The extra JVM arguments the given connectors need, each once, in a stable order."""
    out: list[str] = []
    for connector in sorted(connectors):
        out.extend(o for o in CONNECTOR_JVM_OPTIONS.get(connector, ()) if o not in out)
    return out


# CONF__<file>__<key>: the files Trino reads from etc/ that users may add keys to.
CONF_FILES: dict[str, str] = {
    "config": "config.properties",
    "node": "node.properties",
    "log": "log.properties",
    "exchange-manager": "exchange-manager.properties",
    "event-listener": "event-listener.properties",
    "session-property-config": "session-property-config.properties",
}
_REDIRECTS = {
    "jvm": f"JVM options go in {JVM_ENV} (space-separated), not CONF__jvm__...",
    "catalog": "catalogs come from cluster.minerva.depots[] and cluster.minerva.catalogs[]",
    "access-control": "access control is rendered from cluster.minerva.selector",
    "resource-groups": "resource groups are rendered from cluster.minerva.selector.sources",
    "password-authenticator": (
        "password authentication is not wired by dataproduct-iac (it needs an https port, a keystore and "
        "a password file mounted from a Secret); terminate TLS and authenticate in front of the cluster"
    ),
}
# TLS and authentication: Trino would need an https port, a keystore and a password file (or other
# authenticator) mounted into the pods, and probes on the https port. None of that is rendered, so
# these keys would either fail the boot or leave a server nobody can reach; refused with the reason.
_UNWIRED_PREFIXES = (
    "http-server.https.",
    "http-server.authentication.",
    "internal-communication.https.",
    "web-ui.authentication.",
)
_UNWIRED_MESSAGE = (
    "{key}: TLS and authentication are not wired by dataproduct-iac (no https port, no keystore or "
    "password file mounted from a Secret, probes on http); terminate TLS and authenticate in front of the "
    "cluster (ingress or load balancer) and remove this key"
)
# Keys this renderer owns; a manifest value would break the cluster wiring.
_MANAGED: dict[str, set[str]] = {
    "config": {"coordinator", "discovery.uri", "http-server.http.port"},
    "node": {"node.environment", "node.data-dir", "plugin.dir", "node.id"},
}

_XMX = re.compile(r"^-Xmx(?P<num>[0-9]+)(?P<unit>[kKmMgGtT]?)$")
_MAX_RAM = re.compile(r"^-XX:MaxRAMPercentage=(?P<pct>[0-9]+(?:\.[0-9]+)?)$")
_JVM_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


@dataclass(frozen=True)
class PodResources:
    """Requests and limits for a Trino pod; limits are always set (memory sizes the heap)."""

    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str

    @property
    def memory_limit_bytes(self) -> int:
        return int(parse_quantity(self.memory_limit))

    def as_kubernetes(self) -> dict[str, dict[str, str]]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


@dataclass
class MemoryPlan:
    heap_bytes: int
    heap_source: str
    max_memory_per_node: int
    headroom: int
    max_memory_per_node_explicit: bool


@dataclass
class NodeConfig:
    """Everything one role (coordinator or worker) gets: its etc/ files and plain env vars."""

    role: Role
    properties: dict[str, dict[str, str]]
    """File name (``config.properties``) → ordered key/values."""
    jvm_options: list[str]
    env: dict[str, str]
    memory: MemoryPlan
    grace_period: str = DEFAULT_GRACE_PERIOD
    extra_files: dict[str, str] = field(default_factory=dict)


def pod_resources(minerva: Minerva, problems: list[Problem], warnings: list[str]) -> PodResources:
    """Requests and limits; a missing limit equals its request (Guaranteed QoS, predictable heap)."""
    requests, limits = minerva.resources.requests, minerva.resources.limits
    where = ("cluster", "minerva", "resources")
    cpu_request = requests.cpu or limits.cpu
    mem_request = requests.memory or limits.memory
    if cpu_request is None:
        cpu_request = DEFAULT_CPU
        warnings.append(f"no CPU given in cluster.minerva.resources; using {DEFAULT_CPU} per pod")
    if mem_request is None:
        mem_request = DEFAULT_MEMORY
        warnings.append(
            f"no memory given in cluster.minerva.resources; using {DEFAULT_MEMORY} per pod "
            "(the JVM heap is sized from it)"
        )
    cpu_limit = limits.cpu or cpu_request
    mem_limit = limits.memory or mem_request
    if parse_quantity(cpu_limit) < parse_quantity(cpu_request):
        problems.append(
            Problem((*where, "limits", "cpu"), f"limit {cpu_limit} is below the request {cpu_request}")
        )
    if parse_quantity(mem_limit) < parse_quantity(mem_request):
        problems.append(
            Problem((*where, "limits", "memory"), f"limit {mem_limit} is below the request {mem_request}")
        )
    elif parse_quantity(mem_limit) != parse_quantity(mem_request):
        warnings.append(
            f"memory limit {mem_limit} differs from the request {mem_request}: the heap is sized from the "
            "limit, so a node short of memory can OOM-kill Trino; prefer equal values"
        )
    if parse_quantity(mem_limit) < 2 * GIB:
        problems.append(
            Problem(
                (*where, "requests", "memory"),
                f"{mem_limit} is too small for Trino; give each pod at least 2Gi",
            )
        )
    return PodResources(str(cpu_request), str(cpu_limit), str(mem_request), str(mem_limit))


def _env_path(role: Role, key: str) -> tuple[str, ...]:
    return ("cluster", "minerva", "coordinatorEnvs" if role == "coordinator" else "workerEnvs", key)


def _jvm_heap(extra_options: list[str], resources: PodResources) -> tuple[int, str]:
    """The heap size and where it comes from; ``extra_options`` (JVM__opts) may override the share."""
    memory_limit = resources.memory_limit_bytes
    heap: int | None = None
    source = f"{HEAP_PERCENT}% of the {resources.memory_limit} memory limit"
    percent = HEAP_PERCENT
    for option in extra_options:
        if match := _XMX.match(option):
            heap = int(match["num"]) * _JVM_UNITS[match["unit"].lower()]
            source = f"-Xmx in {JVM_ENV}"
        elif match := _MAX_RAM.match(option):
            percent = Decimal(match["pct"])
            source = (
                f"{percent}% of the {resources.memory_limit} memory limit (-XX:MaxRAMPercentage in {JVM_ENV})"
            )
    if heap is None:
        heap = int(Decimal(memory_limit) * percent / 100)
    return heap, source


def _memory_plan(
    role: Role,
    config: dict[str, str],
    extra_jvm: list[str],
    resources: PodResources,
    problems: list[Problem],
) -> MemoryPlan:
    limit = resources.memory_limit_bytes
    heap, heap_source = _jvm_heap(extra_jvm, resources)
    if heap > limit:
        problems.append(
            Problem(
                _env_path(role, JVM_ENV),
                f"the heap ({gib(heap)}) is larger than the pod's memory limit ({gib(limit)}); "
                "the container would be OOM-killed",
            )
        )
    values: dict[str, int] = {}
    for key in ("query.max-memory-per-node", "memory.heap-headroom-per-node"):
        if key in config:
            try:
                values[key] = parse_data_size(config[key])
            except ValueError as exc:
                problems.append(Problem(_env_path(role, f"CONF__config__{key}"), str(exc)))
    default = int(Decimal(heap) * DEFAULT_SHARE)
    per_node = values.get("query.max-memory-per-node", default)
    headroom = values.get("memory.heap-headroom-per-node", default)
    plan = MemoryPlan(heap, heap_source, per_node, headroom, "query.max-memory-per-node" in values)
    if per_node + headroom > heap:
        problems.append(
            Problem(
                _env_path(role, "CONF__config__query.max-memory-per-node"), _memory_message(plan, resources)
            )
        )
    return plan


def _memory_message(plan: MemoryPlan, resources: PodResources) -> str:
    headroom_text = (
        f"memory.heap-headroom-per-node ({gib(plan.headroom)})"
        if plan.headroom != int(Decimal(plan.heap_bytes) * DEFAULT_SHARE)
        else "the heap headroom (memory.heap-headroom-per-node, default 30% of the heap: "
        f"{gib(plan.headroom)})"
    )
    fit = Decimal(plan.heap_bytes - plan.headroom) / GIB
    fit_text = (
        format_data_size(int(fit.quantize(Decimal("0.1"), rounding=ROUND_FLOOR) * GIB)) if fit > 0 else "0"
    )
    # Memory limit that would fit the requested per-node memory at the same heap share/headroom.
    share = Decimal(plan.heap_bytes) / resources.memory_limit_bytes
    if plan.headroom == int(Decimal(plan.heap_bytes) * DEFAULT_SHARE):
        needed_heap = Decimal(plan.max_memory_per_node) / (1 - DEFAULT_SHARE)
    else:
        needed_heap = Decimal(plan.max_memory_per_node + plan.headroom)
    needed_limit = (needed_heap / share / GIB).to_integral_value(rounding=ROUND_CEILING)
    return (
        f"query.max-memory-per-node={format_data_size(plan.max_memory_per_node)} plus {headroom_text} needs "
        f"{gib(plan.max_memory_per_node + plan.headroom)}, but the JVM heap is {gib(plan.heap_bytes)} "
        f"({plan.heap_source}); Trino refuses to start with this configuration. Fix: lower "
        f"query.max-memory-per-node to at most {fit_text}, or raise the pod memory to at least "
        f"{math.ceil(needed_limit)}Gi"
    )


def _translate_envs(
    role: Role, envs: dict[str, str], problems: list[Problem]
) -> tuple[dict[str, dict[str, str]], list[str], dict[str, str]]:
    """coordinatorEnvs/workerEnvs → (file → {key: value}, extra JVM options, plain env vars)."""
    files: dict[str, dict[str, str]] = {}
    jvm: list[str] = []
    plain: dict[str, str] = {}
    for key, value in envs.items():
        if key == JVM_ENV:
            jvm.extend(value.split())
            continue
        match = CONF_ENV.match(key)
        if match is None:
            if key.startswith(("CONF__", "JVM__")):
                problems.append(
                    Problem(_env_path(role, key), "malformed key: expected CONF__<file>__<property>")
                )
            else:
                plain[key] = value
            continue
        file, prop = match["file"], match["key"]
        if file in _REDIRECTS:
            problems.append(
                Problem(_env_path(role, key), f"CONF__{file}__ is not accepted: {_REDIRECTS[file]}")
            )
            continue
        if file not in CONF_FILES:
            known = ", ".join(sorted(CONF_FILES))
            problems.append(
                Problem(
                    _env_path(role, key),
                    f"unknown Trino file {file!r} (known: {known}; 'config' means config.properties)",
                )
            )
            continue
        if file == "config" and prop.startswith(_UNWIRED_PREFIXES):
            problems.append(Problem(_env_path(role, key), _UNWIRED_MESSAGE.format(key=prop)))
            continue
        if prop in _MANAGED.get(file, set()):
            problems.append(
                Problem(
                    _env_path(role, key),
                    f"{prop} is set by dataproduct-iac (it wires the cluster); remove it",
                )
            )
            continue
        if "\n" in value or "\r" in value:
            problems.append(Problem(_env_path(role, key), "values must be a single line"))
            continue
        files.setdefault(file, {})[prop] = value
    return files, jvm, plain


def node_config(
    role: Role,
    minerva: Minerva,
    *,
    environment: str,
    discovery_uri: str,
    resources: PodResources,
    problems: list[Problem],
    warnings: list[str],
) -> NodeConfig:
    envs = minerva.coordinator_envs if role == "coordinator" else minerva.worker_envs
    conf, extra_jvm, plain = _translate_envs(role, envs, problems)
    user_config = conf.pop("config", {})
    config: dict[str, str] = {
        "coordinator": "true" if role == "coordinator" else "false",
    }
    if role == "coordinator":
        config["node-scheduler.include-coordinator"] = "false"
    config["http-server.http.port"] = str(HTTP_PORT)
    config["discovery.uri"] = discovery_uri
    if role == "worker":
        config["shutdown.grace-period"] = DEFAULT_GRACE_PERIOD
    config.update(user_config)

    grace = config.get("shutdown.grace-period", DEFAULT_GRACE_PERIOD)
    for key in ("shutdown.grace-period", "query.max-run-time", "query.max-execution-time"):
        if key in config:
            try:
                parse_duration(config[key])
            except ValueError as exc:
                problems.append(Problem(_env_path(role, f"CONF__config__{key}"), str(exc)))

    node = {"node.environment": environment, "node.data-dir": DATA_DIR, "plugin.dir": PLUGIN_DIR}
    node.update(conf.pop("node", {}))

    log: dict[str, str] = {"io.trino": minerva.debug.trino_log_level}
    if minerva.debug.log_level != "INFO":
        log["io.airlift"] = minerva.debug.log_level
    log.update(conf.pop("log", {}))

    properties: dict[str, dict[str, str]] = {
        "config.properties": config,
        "node.properties": node,
        "log.properties": log,
    }
    for file, values in conf.items():
        properties[CONF_FILES[file]] = values

    jvm_options = [*BASE_JVM_OPTIONS, *extra_jvm]
    memory = _memory_plan(role, config, extra_jvm, resources, problems)
    return NodeConfig(role, properties, jvm_options, plain, memory, grace_period=grace)


def termination_grace_seconds(coordinator: NodeConfig, worker: NodeConfig, warnings: list[str]) -> int:
    """How long Kubernetes lets a worker drain: its grace period, the longest query, the grace period.

    A worker asked to shut down waits ``shutdown.grace-period``, then for its running tasks, then the
    grace period again. How long a task can run is bounded by ``query.max-run-time`` /
    ``query.max-execution-time``, which only the coordinator enforces: they are read from the
    coordinator's config (on a worker they do nothing).
    """
    grace = int(parse_duration(worker.grace_period)) if _parses(parse_duration, worker.grace_period) else 120
    config = coordinator.properties["config.properties"]
    bounds = [
        int(parse_duration(config[k]))
        for k in ("query.max-run-time", "query.max-execution-time")
        if k in config and _parses(parse_duration, config[k])
    ]
    if bounds:
        longest = min(bounds)
    else:
        longest = DEFAULT_LONGEST_QUERY_SECONDS
        warnings.append(
            "the coordinator sets neither query.max-run-time nor query.max-execution-time: a worker that "
            f"is shutting down waits at most {DEFAULT_LONGEST_QUERY_SECONDS // 60} minutes for running "
            "queries before Kubernetes kills it"
        )
    return 2 * grace + longest + 30


def _parses(parse: Callable[[str], object], text: str) -> bool:
    """Whether ``parse`` (:func:`parse_duration`, :func:`parse_data_size`) reads ``text``."""
    try:
        parse(text)
    except ValueError:
        return False
    return True


def query_memory_warnings(coordinator: NodeConfig, worker: NodeConfig, replicas: int) -> list[str]:
    out: list[str] = []
    config = coordinator.properties["config.properties"]
    if replicas == 0:
        out.append(
            "replicas is 0 and the coordinator does not schedule work (node-scheduler.include-coordinator="
            "false): the cluster cannot run queries"
        )
    if "query.max-memory" in config and _parses(parse_data_size, config["query.max-memory"]):
        total = parse_data_size(config["query.max-memory"])
        capacity = replicas * worker.memory.max_memory_per_node
        if total > capacity:
            out.append(
                f"query.max-memory={config['query.max-memory']} exceeds what {replicas} worker(s) can hold "
                f"({replicas} x {format_data_size(worker.memory.max_memory_per_node)} = "
                f"{format_data_size(capacity)}): queries are limited by the workers long before that"
            )
    return out
