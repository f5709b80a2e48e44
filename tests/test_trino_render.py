"""Pure rendering of Trino clusters: config files, memory rules, catalogs, access rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataproduct_iac.graph import Graph, resolve
from dataproduct_iac.loader import load
from dataproduct_iac.manifests.cluster import Cluster
from dataproduct_iac.manifests.depot import Depot
from dataproduct_iac.manifests.instance_secret import InstanceSecret
from dataproduct_iac.placeholders import ValueSources
from dataproduct_iac.settings import DEFAULT_TRINO_TAG, StackSettings
from dataproduct_iac.trino import RenderedCluster, TrinoConfigError, render_cluster
from dataproduct_iac.trino.access import SHUTDOWN_USER
from dataproduct_iac.trino.catalogs import _REPLACEMENTS, legacy_s3_problem
from dataproduct_iac.trino.catalogue import load_catalogue
from dataproduct_iac.trino.config import DATA_DIR
from dataproduct_iac.trino.properties import _escape, _escape_chars, parse_properties, write_properties
from dataproduct_iac.trino.units import GIB, parse_data_size, parse_duration

SETTINGS = StackSettings(stack="dev", environment="dev", region="us-east-1")
NATIVE = {"fs.native-s3.enabled": "true"}


Seed = tuple[Cluster, dict[str, Depot], dict[str, list[InstanceSecret]]]


def load_seed(example: tuple[Path, ValueSources]) -> Seed:
    """The seed's advancedminerva cluster with its depots and their secrets, from the example."""
    manifests, values = example
    graph: Graph = resolve(load([manifests], values))
    node = graph.get("cluster", "advancedminerva")
    assert node is not None and isinstance(node.manifest, Cluster)
    depots = {k[1]: n.manifest for k, n in graph.nodes.items() if isinstance(n.manifest, Depot)}
    secrets = {name: graph.depot_secrets(name) for name in depots}
    return node.manifest, depots, secrets


@pytest.fixture
def seed(traffic_example: tuple[Path, ValueSources]) -> Seed:
    return load_seed(traffic_example)


def small_cluster(**minerva: Any) -> Cluster:
    body: dict[str, Any] = {"replicas": 1, "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}
    body.update(minerva)
    return Cluster.model_validate(
        {"name": "small", "version": "v1", "type": "cluster", "cluster": {"minerva": body}}
    )


def depot(name: str, kind: str, block: dict[str, Any], secrets: list[str] | None = None) -> Depot:
    spec: dict[str, Any] = {"type": kind, "external": True, kind.lower(): block}
    if secrets:
        spec["secrets"] = [{"name": s, "allkeys": True} for s in secrets]
    return Depot.model_validate({"name": name, "version": "v2alpha", "type": "depot", "depot": spec})


def secret(name: str, data: dict[str, str], acl: str = "r") -> InstanceSecret:
    return InstanceSecret.model_validate(
        {
            "name": name,
            "version": "v1",
            "type": "instance-secret",
            "instance-secret": {"type": "key-value", "acl": acl, "data": data},
        }
    )


def props(rendered: RenderedCluster, config_map: str, file: str) -> dict[str, str]:
    return parse_properties(rendered.config_maps[config_map][file])


def secret_values(secrets: dict[str, list[InstanceSecret]]) -> set[str]:
    return {
        value.get_secret_value()
        for group in secrets.values()
        for s in group
        for value in s.instance_secret.data.values()
    }


# --- the seed cluster ------------------------------------------------------------------------


def test_seed_config_properties(seed: Any) -> None:
    rendered = render_cluster(*seed, SETTINGS)
    names = rendered.names
    coordinator = props(rendered, names.coordinator, "config.properties")
    worker = props(rendered, names.worker, "config.properties")
    assert coordinator["coordinator"] == "true"
    assert coordinator["node-scheduler.include-coordinator"] == "false"
    assert coordinator["http-server.http.port"] == "8080"
    assert worker["coordinator"] == "false"
    assert worker["discovery.uri"] == "http://advancedminerva.dataproduct.svc:8080"
    assert rendered.coordinator_url == worker["discovery.uri"]
    # CONF__config__<key> entries land in config.properties, per role.
    for config in (coordinator, worker):
        assert config["query.max-memory-per-node"] == "28GB"
        assert config["query.max-memory"] == "140GB"
        assert config["query.client.timeout"] == "12m"
        assert config["query.max-execution-time"] == "25m"
        assert config["query.max-run-time"] == "30m"
    assert worker["shutdown.grace-period"] == "2m"


def test_seed_node_jvm_log(seed: Any) -> None:
    rendered = render_cluster(*seed, SETTINGS)
    for config_map in (rendered.names.coordinator, rendered.names.worker):
        node = props(rendered, config_map, "node.properties")
        assert node["node.environment"] == "dev"
        assert node["node.data-dir"] == DATA_DIR
        jvm = rendered.config_maps[config_map]["jvm.config"].splitlines()
        for flag in (
            "-XX:InitialRAMPercentage=80",
            "-XX:MaxRAMPercentage=80",
            "-XX:+UseG1GC",
            "-XX:G1HeapRegionSize=32M",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:+HeapDumpOnOutOfMemoryError",
            "-XX:-OmitStackTraceInFastThrow",
            "-XX:ReservedCodeCacheSize=512M",
            "-XX:PerMethodRecompilationCutoff=10000",
            "-XX:PerBytecodeRecompilationCutoff=10000",
            "-Djdk.attach.allowAttachSelf=true",
            "-Djdk.nio.maxCachedBufferSize=2000000",
        ):
            assert flag in jvm
        assert not any(line.startswith("-Xmx") for line in jvm)
        assert props(rendered, config_map, "log.properties") == {"io.trino": "DEBUG"}
    # 52Gi requested, no limit given: the limit equals the request and the heap is 80% of it.
    assert rendered.resources.as_kubernetes()["limits"] == {"cpu": "14000m", "memory": "52Gi"}
    assert rendered.worker.memory.heap_bytes == int(52 * GIB * 0.8)
    assert rendered.image == f"trinodb/trino:{DEFAULT_TRINO_TAG}" == "trinodb/trino:476"


def test_seed_catalogs(seed: Any) -> None:
    rendered = render_cluster(*seed, SETTINGS)
    assert rendered.catalog_names == ["cache", "gateway", "icebase", "lensdb", "metisdb", "redshift"]
    files = rendered.catalog_files
    icebase = parse_properties(files["icebase.properties"])
    assert icebase["connector.name"] == "iceberg"
    assert icebase["iceberg.catalog.type"] == "glue"
    assert icebase["hive.metastore.glue.region"] == "us-east-1"
    assert icebase["fs.native-s3.enabled"] == "true"
    assert icebase["s3.region"] == "us-east-1"
    assert icebase["hive.metastore.glue.default-warehouse-dir"] == "s3://icebase-lakehouse-dev/warehouse"
    assert icebase["iceberg.file-format"] == "PARQUET"  # depot properties from the cluster merged in
    assert icebase["iceberg.compression-codec"] == "GZIP"
    assert icebase["s3.aws-access-key"] == "${ENV:TRINO_CATALOG_ICEBASE_AWS_ACCESS_KEY}"
    assert not any(key.startswith("hive.s3.") for key in icebase)
    redshift = parse_properties(files["redshift.properties"])
    assert redshift["connector.name"] == "redshift"
    assert redshift["connection-url"] == (
        "jdbc:redshift://marketing.abc123.us-east-1.redshift.amazonaws.com:5439/marketing"
    )
    assert redshift["connection-password"] == "${ENV:TRINO_CATALOG_REDSHIFT_PASSWORD}"
    lensdb = parse_properties(files["lensdb.properties"])
    assert lensdb["connector.name"] == "postgresql"
    assert lensdb["connection-url"] == "jdbc:postgresql://lensdb.internal:5432/lens"
    assert parse_properties(files["cache.properties"]) == {
        "connector.name": "memory",
        "memory.max-data-per-node": "128MB",
    }
    # The read secret is used, bound by name and key only.
    binding = rendered.secret_env["TRINO_CATALOG_ICEBASE_AWS_SECRET_KEY"]
    assert (binding.secret, binding.key) == ("icebase-r", "awssecretaccesskey")
    assert rendered.catalogs["icebase"].schemas == {"default": "icebase_default_dev"}
    assert rendered.catalogs["gateway"].schemas == {"public": "public"}


def test_every_env_reference_is_bound(seed: Any) -> None:
    rendered = render_cluster(*seed, SETTINGS)
    import re

    referenced = {
        m for text in rendered.catalog_files.values() for m in re.findall(r"\$\{ENV:([A-Z0-9_]+)\}", text)
    }
    assert referenced == set(rendered.secret_env)


def test_no_secret_value_in_any_config_map(seed: Any) -> None:
    rendered = render_cluster(*seed, SETTINGS)
    values = secret_values(seed[2])
    assert "example-redshift-password" in values  # the check below looks for real values
    for data in rendered.config_maps.values():
        for text in data.values():
            for value in values:
                assert value not in text


def test_property_files_parse(seed: Any) -> None:
    rendered = render_cluster(*seed, SETTINGS)
    for data in rendered.config_maps.values():
        for name, text in data.items():
            if name.endswith(".properties"):
                parsed = parse_properties(text)
                assert parsed, name
                assert all(k and "\n" not in v for k, v in parsed.items())
            elif name.endswith(".json"):
                json.loads(text)


# --- memory rules ------------------------------------------------------------------------------


def test_seed_38gb_per_node_is_refused_with_numbers_and_fix(seed: Any) -> None:
    cluster, depots, secrets = seed
    bad = cluster.model_copy(deep=True)
    bad.minerva.coordinator_envs["CONF__config__query.max-memory-per-node"] = "38GB"
    bad.minerva.worker_envs["CONF__config__query.max-memory-per-node"] = "38GB"
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(bad, depots, secrets, SETTINGS)
    error = caught.value
    fields = {d.field for d in error.diagnostics}
    assert fields == {
        "cluster.minerva.coordinatorEnvs.CONF__config__query.max-memory-per-node",
        "cluster.minerva.workerEnvs.CONF__config__query.max-memory-per-node",
    }
    message = error.diagnostics[0].message
    assert "38GB" in message
    assert "41.6 GiB" in message  # heap: 80% of 52Gi
    assert "12.5 GiB" in message  # default headroom: 30% of the heap
    assert "at most 29.1GB" in message
    assert "at least 68Gi" in message
    assert str(error).startswith("2 errors")


def test_explicit_headroom_counts(seed: Any) -> None:
    cluster = small_cluster(
        workerEnvs={
            "CONF__config__query.max-memory-per-node": "1GB",
            "CONF__config__memory.heap-headroom-per-node": "700MB",
        }
    )
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(cluster, {}, {}, SETTINGS)
    assert "memory.heap-headroom-per-node (0.7 GiB)" in str(caught.value)


def test_small_cluster_defaults() -> None:
    rendered = render_cluster(small_cluster(), {}, {}, SETTINGS)
    assert rendered.replicas == 1
    assert rendered.resources.as_kubernetes() == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    }
    heap = rendered.worker.memory.heap_bytes
    assert heap == int(2 * GIB * 0.8)
    assert rendered.worker.memory.max_memory_per_node == int(heap * 0.3)
    assert "query.max-memory-per-node" not in props(rendered, rendered.names.worker, "config.properties")
    assert rendered.catalogs == {}
    assert rendered.secret_env == {}
    # No max run time: the termination grace covers 2 x 2m + a 15 minute default, with a warning.
    assert rendered.termination_grace_seconds == 2 * 120 + 15 * 60 + 30
    assert any("query.max-run-time" in w for w in rendered.warnings)


def test_too_little_memory_and_limit_below_request() -> None:
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(small_cluster(resources={"requests": {"cpu": "2", "memory": "1Gi"}}), {}, {}, SETTINGS)
    assert "at least 2Gi" in str(caught.value)
    # A limit below its request is refused by the model already (validate), before any rendering.
    with pytest.raises(ValueError, match="cpu limit 1 is below the request 2"):
        small_cluster(resources={"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "1"}})


def test_jvm_opts_append_and_xmx_drives_the_heap() -> None:
    cluster = small_cluster(
        resources={"requests": {"cpu": "1", "memory": "4Gi"}},
        workerEnvs={"JVM__opts": "-Xmx3g -XX:+UseStringDeduplication"},
    )
    rendered = render_cluster(cluster, {}, {}, SETTINGS)
    jvm = rendered.worker_files["jvm.config"].splitlines()
    assert jvm[-2:] == ["-Xmx3g", "-XX:+UseStringDeduplication"]
    assert rendered.worker.memory.heap_bytes == 3 * GIB
    assert rendered.coordinator.memory.heap_bytes == int(4 * GIB * 0.8)
    with pytest.raises(TrinoConfigError, match="larger than the pod's memory limit"):
        render_cluster(small_cluster(workerEnvs={"JVM__opts": "-Xmx3g"}), {}, {}, SETTINGS)


def test_query_max_memory_warning() -> None:
    cluster = small_cluster(replicas=2, coordinatorEnvs={"CONF__config__query.max-memory": "10GB"})
    rendered = render_cluster(cluster, {}, {}, SETTINGS)
    assert any("query.max-memory=10GB exceeds" in w and "2 worker(s)" in w for w in rendered.warnings)
    fine = render_cluster(
        small_cluster(coordinatorEnvs={"CONF__config__query.max-memory": "400MB"}), {}, {}, SETTINGS
    )
    assert not any("query.max-memory=" in w for w in fine.warnings)


# --- CONF__ translation ---------------------------------------------------------------------------


def test_conf_translation_to_files() -> None:
    cluster = small_cluster(
        workerEnvs={
            "CONF__log__io.trino.plugin.iceberg": "WARN",
            "CONF__node__node.internal-address-source": "FQDN",
            "CONF__config__shutdown.grace-period": "30s",
            "CONF__exchange-manager__exchange-manager.name": "filesystem",
            "AWS_REGION": "us-east-1",
        },
        coordinatorEnvs={"CONF__config__query.max-run-time": "10m"},
    )
    rendered = render_cluster(cluster, {}, {}, SETTINGS)
    worker = rendered.names.worker
    assert props(rendered, worker, "log.properties")["io.trino.plugin.iceberg"] == "WARN"
    assert props(rendered, worker, "node.properties")["node.internal-address-source"] == "FQDN"
    assert props(rendered, worker, "exchange-manager.properties") == {"exchange-manager.name": "filesystem"}
    assert "exchange-manager.properties" not in rendered.config_maps[rendered.names.coordinator]
    assert rendered.worker.env == {"AWS_REGION": "us-east-1"}
    assert "query.max-run-time" not in props(rendered, worker, "config.properties")
    # The worker's 30s grace period twice, plus the coordinator's 10m limit on queries.
    assert rendered.termination_grace_seconds == 2 * 30 + 10 * 60 + 30


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("CONF__jvm__Xmx", "JVM__opts"),
        ("CONF__catalog__connector.name", "catalogs"),
        ("CONF__access-control__access-control.name", "selector"),
        ("CONF__bogus__a.b", "unknown Trino file 'bogus'"),
        ("CONF__config__discovery.uri", "set by dataproduct-iac"),
        ("CONF__node__node.environment", "set by dataproduct-iac"),
        ("CONF__config__shutdown.grace-period", "not a Trino duration"),
        ("CONF__config__query.max-memory-per-node", "not a Trino data size"),
    ],
)
def test_conf_rejections(key: str, fragment: str) -> None:
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(small_cluster(workerEnvs={key: "12 parsecs"}), {}, {}, SETTINGS)
    assert fragment in str(caught.value)
    assert caught.value.diagnostics[0].field == f"cluster.minerva.workerEnvs.{key}"


# --- catalogs ------------------------------------------------------------------------------------


def test_legacy_hive_s3_keys_are_rejected_with_the_replacement(seed: Any) -> None:
    cluster, depots, secrets = seed
    bad = cluster.model_copy(deep=True)
    bad.minerva.depots[0].properties["hive.s3.path-style-access"] = "true"
    bad.minerva.catalogs[0].properties["hive.s3.aws-access-key"] = "${ENV:X}"
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(bad, depots, secrets, SETTINGS)
    text = str(caught.value)
    assert (
        "hive.s3.path-style-access is legacy S3 support: in Trino 476 only the deprecated Hadoop file system "
        "reads it (fs.hadoop.enabled=true), and catalogs here use native S3 (fs.native-s3.enabled=true), "
        "beside which Trino refuses to start on it ('was not used'); use s3.path-style-access"
    ) in text
    assert "use s3.aws-access-key" in text
    assert "removed" not in text


def test_the_legacy_s3_refusal_speaks_of_the_pinned_release() -> None:
    """The facts the refusal states were checked in Trino 476's server and catalogue: S3 Select is
    defunct there, hive.s3.* is no property of the hive plugin proper (only of its legacy Hadoop file
    system, still selectable with fs.hadoop.enabled), the native S3 properties replace it. Moving the
    pin means checking them again (the later releases removed the legacy file system)."""
    assert DEFAULT_TRINO_TAG == "476"
    hive = load_catalogue(DEFAULT_TRINO_TAG).plugins["hive"]  # type: ignore[union-attr]
    assert "hive.s3select-pushdown.enabled" in hive.defunct
    assert "fs.hadoop.enabled" in hive.properties and "fs.native-s3.enabled" in hive.properties
    assert not [k for k in hive.properties if k.startswith("hive.s3.")]
    for key in ("hive.s3.aws-access-key", "hive.s3.endpoint", "hive.s3.region", "hive.s3.sse.type"):
        problem = legacy_s3_problem(key, NATIVE)
        assert problem is not None and f"in Trino {DEFAULT_TRINO_TAG} only the deprecated" in problem
        assert problem.endswith("; use s3." + key.removeprefix("hive.s3."))
        assert key.replace("hive.s3.", "s3.") in hive.properties
    named = [r for r in _REPLACEMENTS.values() if r.startswith("s3.")]
    assert named and all(r in hive.properties for r in named)
    unnamed = legacy_s3_problem("hive.s3.connect-timeout", NATIVE)  # s3.socket-connect-timeout in native S3
    assert unnamed is not None and unnamed.endswith("; use the native S3 property that replaces it (s3.*)")
    select = legacy_s3_problem("hive.s3select-pushdown.enabled", {})
    assert select is not None and "refuses it as defunct" in select


def test_literal_credentials_in_properties_are_rejected() -> None:
    cluster = small_cluster(
        catalogs=[{"name": "pg", "type": "postgresql", "properties": {"connection-password": "hunter2"}}]
    )
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(cluster, {}, {}, SETTINGS)
    assert "looks like a credential" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_s3_hive_with_endpoint_and_jdbc_and_snowflake() -> None:
    depots = {
        "lake": depot(
            "lake",
            "S3",
            {
                "bucket": "raw-data",
                "format": "parquet",
                "endpoint": "http://minio:9000",
                "region": "eu-west-1",
            },
            ["lake-r"],
        ),
        "shop": depot(
            "shop",
            "JDBC",
            {
                "subprotocol": "mysql",
                "host": "db",
                "port": 3306,
                "database": "shop",
                "params": {"useSSL": True},
            },
            ["shop-r"],
        ),
        "snow": depot(
            "snow",
            "SNOWFLAKE",
            {
                "warehouse": "wh",
                "url": "https://acme.snowflakecomputing.com",
                "database": "sales",
                "role": "r",
            },
            ["snow-r"],
        ),
    }
    secrets = {
        "lake": [secret("lake-r", {"access-key-id": "AKIA1", "secret-access-key": "s3cr3t-lake"})],
        "shop": [secret("shop-r", {"username": "u", "password": "s3cr3t-shop"})],
        "snow": [secret("snow-r", {"user": "u", "password": "s3cr3t-snow"})],
    }
    cluster = small_cluster(
        depots=[
            {"address": "dataos://lake:raw"},
            {"address": "dataos://shop:main"},
            {"address": "dataos://snow:pub"},
        ]
    )
    rendered = render_cluster(cluster, depots, secrets, SETTINGS)
    lake = rendered.catalogs["lake"].properties
    assert lake["connector.name"] == "hive"
    assert lake["hive.metastore"] == "glue"
    assert lake["s3.endpoint"] == "http://minio:9000"
    assert lake["s3.path-style-access"] == "true"
    assert lake["s3.region"] == "eu-west-1"
    assert lake["hive.metastore.glue.default-warehouse-dir"] == "s3://raw-data"  # external: name as written
    shop = rendered.catalogs["shop"].properties
    assert shop["connector.name"] == "mysql"
    assert shop["connection-url"] == "jdbc:mysql://db:3306?useSSL=true"
    snow = rendered.catalogs["snow"].properties
    assert snow["connector.name"] == "snowflake"
    assert snow["connection-url"] == "jdbc:snowflake://acme.snowflakecomputing.com"
    assert snow["snowflake.warehouse"] == "wh"
    assert snow["snowflake.role"] == "r"
    # Trino 476 refuses to load the Snowflake connector on Java 24+ without these (seen booting it).
    for node in (rendered.coordinator, rendered.worker):
        assert node.jvm_options[-2:] == [
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
        ]
    for data in rendered.config_maps.values():
        assert not any("s3cr3t" in text for text in data.values())


def test_unknown_subprotocol_and_missing_depot_and_name_clash() -> None:
    depots = {"odd": depot("odd", "JDBC", {"subprotocol": "db2", "host": "h", "port": 1, "database": "d"})}
    cluster = small_cluster(
        depots=[{"address": "dataos://odd:x"}, {"address": "dataos://ghost:x"}],
        catalogs=[{"name": "odd", "type": "memory"}],
    )
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(cluster, depots, {}, SETTINGS)
    text = str(caught.value)
    assert "Trino has no connector for JDBC subprotocol 'db2'" in text
    assert "depot 'ghost' is not among the manifests" in text


def test_jdbc_without_credentials_is_an_error() -> None:
    depots = {"pg": depot("pg", "POSTGRES", {"host": "h", "database": "d"})}
    with pytest.raises(TrinoConfigError, match="needs an instance secret with a 'username'"):
        render_cluster(small_cluster(depots=[{"address": "dataos://pg:public"}]), depots, {}, SETTINGS)


def test_s3_without_region_is_an_error() -> None:
    depots = {"lake": depot("lake", "S3", {"bucket": "raw-data"})}
    with pytest.raises(TrinoConfigError, match="has no region"):
        render_cluster(
            small_cluster(depots=[{"address": "dataos://lake:raw"}]), depots, {}, StackSettings(region=None)
        )


# --- access control ---------------------------------------------------------------------------------


def test_selector_becomes_rules_and_resource_groups() -> None:
    cluster = small_cluster(selector={"users": ["alice", "team-*"], "sources": ["workbench", "lens*"]})
    rendered = render_cluster(cluster, {}, {}, SETTINGS)
    rules = json.loads(rendered.coordinator_files["rules.json"])
    assert rules["queries"][0]["user"] == "(alice|team\\-.*)"
    assert {"user": SHUTDOWN_USER, "allow": ["read", "write"]} in rules["system_information"]
    assert rendered.worker_files["rules.json"] == rendered.coordinator_files["rules.json"]
    groups = json.loads(rendered.coordinator_files["resource-groups.json"])
    assert groups["selectors"] == [
        {"source": "(lens.*|workbench)", "user": "(alice|team\\-.*)", "group": "selected"}
    ]
    assert (
        parse_properties(rendered.coordinator_files["access-control.properties"])["access-control.name"]
        == "file"
    )
    assert "resource-groups.json" not in rendered.worker_files
    everyone = render_cluster(small_cluster(), {}, {}, SETTINGS)
    assert "resource-groups.json" not in everyone.coordinator_files


def test_checksum_follows_the_files() -> None:
    one = render_cluster(small_cluster(), {}, {}, SETTINGS)
    two = render_cluster(
        small_cluster(workerEnvs={"CONF__config__query.max-run-time": "1h"}), {}, {}, SETTINGS
    )
    assert one.checksum(one.coordinator) == two.checksum(two.coordinator)
    assert one.checksum(one.worker) != two.checksum(two.worker)


def test_scaling_cron_resources_are_refused() -> None:
    cluster = Cluster.model_validate(
        {
            "name": "small",
            "version": "v1",
            "type": "cluster",
            "cluster": {
                "maintenance": {
                    "scalingCrons": [
                        {"cron": "0 8 * * *", "replicas": 3, "resources": {"requests": {"cpu": "2"}}}
                    ]
                },
                "minerva": {"replicas": 1, "resources": {"requests": {"memory": "2Gi", "cpu": "1"}}},
            },
        }
    )
    with pytest.raises(TrinoConfigError, match="scale with 'replicas' only"):
        render_cluster(cluster, {}, {}, SETTINGS)


# --- units and properties -------------------------------------------------------------------------


def test_units() -> None:
    assert parse_data_size("28GB") == 28 * GIB
    assert parse_data_size("128MB") == 128 * 2**20
    assert parse_data_size(" 1.5 GB\t") == 3 * 2**29
    assert parse_data_size("1.5B") == 2  # Trino rounds to whole bytes
    assert parse_duration("25m") == 1500
    assert parse_duration("1.25m") == 75
    for text in ("28Gi", "1KB", "1EB", "1gb", ".5GB", "1.GB", "1e3MB", "10", "-1GB", "１GB"):
        with pytest.raises(ValueError):
            parse_data_size(text)
    for text in ("1M", "1H", "1w", "1min", ".5s", "10"):
        with pytest.raises(ValueError):
            parse_duration(text)


def test_a_size_in_the_wrong_case_is_refused_with_the_unit_trino_knows() -> None:
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(
            small_cluster(workerEnvs={"CONF__config__query.max-memory-per-node": "1KB"}), {}, {}, SETTINGS
        )
    assert "'1KB' is not a Trino data size" in str(caught.value)
    assert "the unit is written 'kB'" in str(caught.value)


def test_grace_period_follows_the_coordinators_query_limits() -> None:
    coordinator_only = small_cluster(
        coordinatorEnvs={"CONF__config__query.max-run-time": "10m"},
        workerEnvs={"CONF__config__shutdown.grace-period": "1m"},
    )
    rendered = render_cluster(coordinator_only, {}, {}, SETTINGS)
    assert rendered.termination_grace_seconds == 2 * 60 + 10 * 60 + 30
    assert not any("query.max-run-time" in w for w in rendered.warnings)
    # On a worker the limit does nothing: the drain assumes the 15 minute default, with a warning.
    worker_only = small_cluster(workerEnvs={"CONF__config__query.max-run-time": "10m"})
    rendered = render_cluster(worker_only, {}, {}, SETTINGS)
    assert rendered.termination_grace_seconds == 2 * 120 + 15 * 60 + 30
    assert any("coordinator sets neither query.max-run-time" in w for w in rendered.warnings)


@pytest.mark.parametrize(
    "key",
    [
        "CONF__config__http-server.https.enabled",
        "CONF__config__http-server.https.keystore.path",
        "CONF__config__http-server.authentication.type",
        "CONF__config__internal-communication.https.required",
        "CONF__config__web-ui.authentication.type",
        "CONF__password-authenticator__password-authenticator.name",
    ],
)
def test_tls_and_authentication_keys_are_refused_as_not_wired(key: str) -> None:
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(small_cluster(coordinatorEnvs={key: "true"}), {}, {}, SETTINGS)
    message = str(caught.value)
    assert "not wired by dataproduct-iac" in message
    assert "terminate TLS" in message
    assert caught.value.diagnostics[0].field == f"cluster.minerva.coordinatorEnvs.{key}"


def test_sqlserver_url_writes_booleans_as_the_driver_reads_them() -> None:
    depots = {
        "mssql": depot(
            "mssql",
            "JDBC",
            {
                "subprotocol": "sqlserver",
                "host": "db.internal",
                "port": 1433,
                "database": "sales",
                "params": {"encrypt": True, "trustServerCertificate": False},
            },
            ["mssql-r"],
        )
    }
    secrets = {"mssql": [secret("mssql-r", {"username": "u", "password": "p"})]}
    cluster = small_cluster(depots=[{"address": "dataos://mssql:dbo"}])
    rendered = render_cluster(cluster, depots, secrets, SETTINGS)
    assert rendered.catalogs["mssql"].properties["connection-url"] == (
        "jdbc:sqlserver://db.internal:1433;databaseName=sales;encrypt=true;trustServerCertificate=false"
    )


def _pg_depot() -> tuple[dict[str, Depot], dict[str, list[InstanceSecret]]]:
    depots = {"pg": depot("pg", "POSTGRES", {"host": "pg.internal", "database": "app"}, ["pg-r"])}
    return depots, {"pg": [secret("pg-r", {"username": "u", "password": "p"})]}


def test_catalog_env_reference_to_nothing_is_refused() -> None:
    cluster = small_cluster(
        catalogs=[
            {
                "name": "other",
                "type": "postgresql",
                "properties": {
                    "connection-url": "jdbc:postgresql://other:5432/x",
                    "connection-password": "${ENV:PG_PASSWORD}",
                },
            }
        ]
    )
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(cluster, {}, {}, SETTINGS)
    assert "${ENV:PG_PASSWORD} is not bound to anything in the Trino pods" in str(caught.value)
    assert caught.value.diagnostics[0].field == "cluster.minerva.catalogs[0].properties.connection-password"


def test_catalog_env_reference_to_a_depot_secret_is_bound() -> None:
    depots, secrets = _pg_depot()
    catalog = {
        "name": "pg_reporting",
        "type": "postgresql",
        "properties": {
            "connection-url": "jdbc:postgresql://pg.internal:5432/reporting",
            "connection-user": "${ENV:TRINO_CATALOG_PG_USER}",
            "connection-password": "${ENV:TRINO_CATALOG_PG_PASSWORD}",
        },
    }
    cluster = small_cluster(depots=[{"address": "dataos://pg:public"}], catalogs=[catalog])
    rendered = render_cluster(cluster, depots, secrets, SETTINGS)
    assert rendered.secret_env["TRINO_CATALOG_PG_PASSWORD"].secret == "pg-r"
    assert (
        rendered.catalogs["pg_reporting"].properties["connection-password"]
        == "${ENV:TRINO_CATALOG_PG_PASSWORD}"
    )


def test_catalog_env_reference_to_a_plain_variable_only_for_non_secrets() -> None:
    envs = {"PG_HOST": "pg.internal"}
    ok = small_cluster(
        coordinatorEnvs=envs,
        workerEnvs=envs,
        catalogs=[
            {
                "name": "c",
                "type": "postgresql",
                "properties": {"connection-url": "jdbc:postgresql://${ENV:PG_HOST}:5432/x"},
            }
        ],
    )
    assert render_cluster(ok, {}, {}, SETTINGS).catalogs["c"].properties["connection-url"].startswith("jdbc:")
    only_coordinator = small_cluster(
        coordinatorEnvs=envs,
        catalogs=[
            {
                "name": "c",
                "type": "postgresql",
                "properties": {"connection-url": "jdbc:postgresql://${ENV:PG_HOST}:5432/x"},
            }
        ],
    )
    with pytest.raises(TrinoConfigError):
        render_cluster(only_coordinator, {}, {}, SETTINGS)
    secret_in_plain = small_cluster(
        coordinatorEnvs={"PG_PASSWORD": "x"},
        workerEnvs={"PG_PASSWORD": "x"},
        catalogs=[
            {"name": "c", "type": "postgresql", "properties": {"connection-password": "${ENV:PG_PASSWORD}"}}
        ],
    )
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(secret_in_plain, {}, {}, SETTINGS)
    assert "plain variable" not in str(caught.value)


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(st.dictionaries(_text.filter(bool), _text, max_size=8))
def test_properties_round_trip(values: dict[str, str]) -> None:
    assert parse_properties(write_properties(values, header="a header\nwith two lines")) == values


_ascii_heavy = st.text(alphabet=st.sampled_from([*" =:#!\\\t\n\x7fé€😀", *"abcXYZ09.-_/${}"]), max_size=20)


@given(st.one_of(_text, _ascii_heavy), st.booleans())
def test_plain_text_fast_path_escapes_like_the_character_loop(text: str, key: bool) -> None:
    assert _escape(text, key=key) == _escape_chars(text, key=key)


def test_parse_properties_java_syntax() -> None:
    text = "# comment\n! also\na=1\nb : 2\nc 3\nlong = one \\\n    two\nd\\=e=f\n"
    assert parse_properties(text) == {"a": "1", "b": "2", "c": "3", "long": "one two", "d=e": "f"}


@pytest.mark.parametrize(
    ("connector", "properties"),
    [("bigquery", {"bigquery.project-id": "acme"}), ("snowflake", {"connection-url": "jdbc:snowflake://a"})],
)
def test_arrow_connectors_get_the_jvm_arguments_trino_requires(
    connector: str, properties: dict[str, str]
) -> None:
    """Trino 476 on Java 24+ refuses to load these connectors without them (seen booting each)."""
    cluster = small_cluster(catalogs=[{"name": "c", "type": connector, "properties": properties}])
    rendered = render_cluster(cluster, {}, {}, SETTINGS)
    for node in (rendered.coordinator, rendered.worker):
        assert node.jvm_options[-2:] == [
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
        ]
    plain = render_cluster(small_cluster(catalogs=[{"name": "m", "type": "memory"}]), {}, {}, SETTINGS)
    assert "--sun-misc-unsafe-memory-access=allow" not in plain.worker.jvm_options


def test_log_levels_written_in_any_case_render_in_upper_case() -> None:
    rendered = render_cluster(
        small_cluster(debug={"logLevel": "debug", "trinoLogLevel": "Warn"}), {}, {}, SETTINGS
    )
    for config_map in (rendered.names.coordinator, rendered.names.worker):
        assert props(rendered, config_map, "log.properties") == {"io.trino": "WARN", "io.airlift": "DEBUG"}
