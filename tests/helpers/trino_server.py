"""A real Trino on 127.0.0.1, booted from the files ``render_cluster`` wrote, changed only where a
laptop is not a Kubernetes pod.

What is changed, and nothing else:

* memory: the JVM sees ``-XX:MaxRAM=<NODE_RAM>`` instead of the pod's memory limit (the rendered
  ``-XX:MaxRAMPercentage`` still sizes the heap from it), and the memory settings in
  ``config.properties`` (and an ``-Xmx`` in ``JVM__opts``) are scaled by the same factor, so every
  ratio Trino checks at start-up is the one the pod would have;
* hosts and ports: ``http-server.http.port`` is a free local port, ``discovery.uri`` points at the
  local coordinator, ``node.internal-address=127.0.0.1`` keeps all traffic on the loopback;
* paths: ``/etc/trino``, ``/data/trino``, ``/usr/lib/trino/plugin`` and ``/tmp`` become directories of
  the test (the same files the ConfigMaps mount, at other places); ``/tmp`` is one directory for the
  whole local cluster, standing in for the shared storage a filesystem exchange manager needs;
* ``-agentpath:/usr/lib/trino/bin/libjvmkill.so`` is dropped: the trinodb/trino image adds that
  library, the server tarball does not ship it;
* the pod's environment: plain variables as rendered, and each ``${ENV:VAR}`` of the credentials
  Secret set to the value of the instance-secret key it is bound to.

The server is started with ``bin/launcher run --etc-dir ... -Dnode.id=...`` as the image's
``run-trino`` does, and stopped with SIGTERM (SIGKILL after a timeout).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from trino_dist import java_home, server_home

from dataproduct_iac.manifests.instance_secret import InstanceSecret
from dataproduct_iac.trino.config import CONFIG_DIR, DATA_DIR, PLUGIN_DIR, TMP_DIR, NodeConfig
from dataproduct_iac.trino.properties import parse_properties, write_properties
from dataproduct_iac.trino.render import RenderedCluster
from dataproduct_iac.trino.units import parse_data_size
from helpers.aws import free_port

NODE_RAM = 2 * 2**30
"""What each local JVM believes its container has: 80% of it (1.6 GiB) becomes the heap."""
BOOT_TIMEOUT = 300.0
MEMORY_KEYS = (
    "query.max-memory-per-node",
    "query.max-memory",
    "query.max-total-memory",
    "memory.heap-headroom-per-node",
)
_XMX = re.compile(r"^-Xmx(?P<num>[0-9]+)(?P<unit>[kKmMgGtT]?)$")
_JVM_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
AGENT_PATH = "-agentpath:/usr/lib/trino/bin/libjvmkill.so"


class TrinoBootError(AssertionError):
    """A node did not start: Trino's own last words are in the message."""


def credential_values(
    rendered: RenderedCluster, depot_secrets: Mapping[str, list[InstanceSecret]]
) -> dict[str, str]:
    """``${ENV:VAR}`` → the instance-secret value it is bound to (what the Kubernetes Secret holds)."""
    by_name = {s.name: s for secrets in depot_secrets.values() for s in secrets}
    return {
        var: by_name[binding.secret].instance_secret.data[binding.key].get_secret_value()
        for var, binding in rendered.secret_env.items()
    }


def _scaled_size(text: str, factor: Decimal) -> str:
    return f"{max(1, int(Decimal(parse_data_size(text)) * factor) // 2**20)}MB"


@dataclass
class Paths:
    etc: Path
    data: Path
    tmp: Path
    plugin: Path

    def local(self, value: str) -> str:
        """A rendered path (as mounted in the pod) → the same file here."""
        for pod, here in ((CONFIG_DIR, self.etc), (DATA_DIR, self.data), (PLUGIN_DIR, self.plugin)):
            if value == pod or value.startswith(pod + "/"):
                return str(here) + value[len(pod) :]
        if value == TMP_DIR or value.startswith(TMP_DIR + "/"):
            return str(self.tmp) + value[len(TMP_DIR) :]
        for prefix in ("file://", "local://"):
            if value.startswith(prefix):
                return prefix + self.local(value[len(prefix) :])
        return value


def local_files(
    rendered: RenderedCluster, node: NodeConfig, paths: Paths, *, port: int, coordinator_port: int
) -> dict[str, str]:
    """The node's etc/ files (catalogs under ``catalog/``) as this machine runs them."""
    factor = Decimal(NODE_RAM) / rendered.resources.memory_limit_bytes
    files: dict[str, str] = {}
    rendered_files = {
        **rendered.node_files(node),
        **{f"catalog/{k}": v for k, v in rendered.catalog_files.items()},
    }
    for name, text in rendered_files.items():
        if name == "jvm.config":
            files[name] = "\n".join(_local_jvm(text.splitlines(), paths, factor)) + "\n"
        elif name.endswith(".properties"):
            values = {k: paths.local(v) for k, v in parse_properties(text).items()}
            if name == "config.properties":
                values["http-server.http.port"] = str(port)
                values["discovery.uri"] = f"http://127.0.0.1:{coordinator_port}"
                for key in MEMORY_KEYS:
                    if key in values:
                        values[key] = _scaled_size(values[key], factor)
            if name == "node.properties":
                values["node.internal-address"] = "127.0.0.1"
            files[name] = write_properties(
                values, header=f"{rendered.name} {node.role}, scaled for a local test"
            )
        else:
            files[name] = text
    return files


def _local_jvm(options: list[str], paths: Paths, factor: Decimal) -> list[str]:
    out: list[str] = []
    for option in options:
        if option == AGENT_PATH:
            continue
        if match := _XMX.match(option):
            heap = int(match["num"]) * _JVM_UNITS[match["unit"].lower()]
            out.append(f"-Xmx{max(64, int(heap * factor) // 2**20)}m")
            continue
        if "=" in option:
            head, _, value = option.partition("=")
            option = f"{head}={paths.local(value)}"
        out.append(option)
    out.append(f"-XX:MaxRAM={NODE_RAM // 2**20}m")
    return out


@dataclass
class LocalNode:
    """One Trino process (coordinator or worker) in its own directory."""

    name: str
    directory: Path
    port: int
    files: dict[str, str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    boot_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def start(self) -> None:
        etc = self.directory / "etc"
        for name, text in self.files.items():
            path = etc / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        (self.directory.parent / "tmp").mkdir(parents=True, exist_ok=True)
        java = java_home()
        environment = {
            "PATH": f"{java / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "JAVA_HOME": str(java),
            "HOME": str(self.directory),
            "LANG": "C.UTF-8",
            **self.env,
        }
        launcher = server_home() / "bin" / "launcher"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(launcher), "run", f"--etc-dir={etc}", f"-Dnode.id={self.name}"],
                cwd=self.directory,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def info(self) -> dict[str, Any] | None:
        import json

        try:
            with urllib.request.urlopen(f"{self.url}/v1/info", timeout=2) as response:
                info: dict[str, Any] = json.load(response)
                return info
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def wait_started(self, started: float, timeout: float = BOOT_TIMEOUT) -> None:
        assert self.process is not None
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise TrinoBootError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.last_words()}"
                )
            info = self.info()
            if info is not None and info.get("starting") is False:
                self.boot_seconds = time.monotonic() - started
                return
            time.sleep(0.5)
        raise TrinoBootError(f"{self.name} did not start within {timeout:.0f} s:\n{self.last_words()}")

    def last_words(self, lines: int = 40) -> str:
        """Why the server stopped: from its last "Configuration errors:" report (airlift lists every
        refused setting there), else its last ERROR line of the main thread, else the end of the log."""
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        reports = [i for i, line in enumerate(text) if line.endswith("Configuration errors:")]
        errors = [i for i, line in enumerate(text) if "\tERROR\tmain\t" in line]
        start = (reports or errors or [max(0, len(text) - lines)])[-1]
        return "\n".join(line for line in text[start : start + 4 * lines] if not line.startswith("\tat "))[
            :6000
        ]

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)
        self.process = None


@dataclass
class LocalCluster:
    """A rendered cluster on this machine: its coordinator and ``workers`` workers (default 1)."""

    rendered: RenderedCluster
    directory: Path
    credentials: Mapping[str, str] = field(default_factory=dict)
    workers: int = 1
    nodes: list[LocalNode] = field(default_factory=list)

    def __post_init__(self) -> None:
        missing = sorted(set(self.rendered.secret_env) - set(self.credentials))
        if missing:
            raise ValueError(f"no value for {', '.join(missing)}")
        coordinator_port = free_port()
        roles = [(self.rendered.coordinator, coordinator_port, "coordinator")]
        roles += [(self.rendered.worker, free_port(), f"worker-{i}") for i in range(self.workers)]
        for node, port, label in roles:
            paths = Paths(
                etc=self.directory / label / "etc",
                data=self.directory / label / "data",
                tmp=self.directory / "tmp",
                plugin=server_home() / "plugin",
            )
            env = {**node.env, **self.credentials}
            files = local_files(self.rendered, node, paths, port=port, coordinator_port=coordinator_port)
            self.nodes.append(
                LocalNode(f"{self.rendered.name}-{label}", self.directory / label, port, files, env)
            )

    @property
    def coordinator(self) -> LocalNode:
        return self.nodes[0]

    @property
    def url(self) -> str:
        return self.coordinator.url

    def start(self) -> None:
        """Start every node at once and wait until each reports ``starting: false``."""
        started = time.monotonic()
        try:
            for node in self.nodes:
                node.start()
            failures: list[BaseException] = []

            def wait(node: LocalNode) -> None:
                try:
                    node.wait_started(started)
                except BaseException as exc:
                    failures.append(exc)

            threads = [threading.Thread(target=wait, args=(node,)) for node in self.nodes]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if failures:
                raise failures[0]
            self.wait_schedulable(started)
        except BaseException:
            self.stop()
            raise

    def wait_schedulable(self, started: float, timeout: float = BOOT_TIMEOUT) -> None:
        """Until the coordinator schedules work on every worker: a worker that reports started may not
        be in the coordinator's node map yet (it announces itself, and the scheduler's view of the
        nodes is refreshed every few seconds), and until then a query fails with NO_NODES_AVAILABLE."""
        from dataproduct_iac.trino.client import ClientError, TrinoConnection, execute

        # a user the cluster's selector admits (its first pattern, wildcards filled in)
        user = self.rendered_user()
        connection = TrinoConnection(server=self.url, user=user, timeout=60)
        sql = "SELECT count(*) FROM system.runtime.nodes WHERE NOT coordinator AND state = 'active'"
        last = ""
        while time.monotonic() < started + timeout:
            try:
                if execute(connection, sql).rows == [(self.workers,)]:
                    return
                last = "not every worker is active"
            except ClientError as exc:
                last = str(exc)
            time.sleep(1)
        raise TrinoBootError(f"{self.rendered.name}: workers never became schedulable: {last}")

    def rendered_user(self) -> str:
        """A user name the cluster's access rules admit (selector.users, wildcards filled in)."""
        rules = json.loads(self.rendered.coordinator_files["rules.json"])
        pattern = rules["catalogs"][0]["user"]
        return (
            "test-user"
            if pattern == ".*"
            else re.sub(r"\.\*", "test", pattern).strip("()").split("|")[0].replace("\\", "")
        )

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
