"""Pass-through keys are checked at plan against the property catalogue of the pinned Trino.

The catalogue (``dataproduct_iac/trino/properties-476.json``) is generated from the real server's jars
by ``tools/trino_property_catalogue.py``; a test regenerates it and compares, and another shows the
real server refusing, at start-up, what plan now refuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.trino_server import LocalNode, Paths, local_files
from test_trino_render import SETTINGS, small_cluster
from trino_property_catalogue import catalogue, extract, output_path, render

from dataproduct_iac.settings import DEFAULT_TRINO_TAG, StackSettings
from dataproduct_iac.trino import TrinoConfigError, render_cluster
from dataproduct_iac.trino.catalogue import load_catalogue


def refusal(**minerva: Any) -> str:
    with pytest.raises(TrinoConfigError) as caught:
        render_cluster(small_cluster(**minerva), {}, {}, SETTINGS)
    return str(caught.value)


def test_the_catalogue_is_the_pinned_release() -> None:
    shipped = load_catalogue(DEFAULT_TRINO_TAG)
    assert shipped is not None and shipped.version == DEFAULT_TRINO_TAG == "476"
    assert ("connector", "hive") in shipped.providers and (
        "exchange-manager",
        "filesystem",
    ) in shipped.providers


def test_a_typo_in_config_properties_is_refused_with_did_you_mean() -> None:
    message = refusal(workerEnvs={"CONF__config__query.max-memroy": "1GB"})
    assert "cluster.minerva.workerEnvs.CONF__config__query.max-memroy" in message
    assert "query.max-memroy is not a property the server of Trino 476 defines" in message
    assert "Configuration property 'query.max-memroy' was not used" in message
    assert "did you mean 'query.max-memory'" in message


def test_a_typo_in_node_properties_is_refused_as_ignored() -> None:
    message = refusal(coordinatorEnvs={"CONF__node__node.enviroment": "dev"})
    assert "Trino would silently ignore it; did you mean 'node.environment'" in message


def test_a_defunct_property_is_refused() -> None:
    message = refusal(workerEnvs={"CONF__config__optimizer.optimize-hash-generation": "true"})
    assert "optimizer.optimize-hash-generation is no longer supported by Trino 476" in message


def test_a_typed_value_is_checked() -> None:
    message = refusal(coordinatorEnvs={"CONF__config__query.max-memory": "10KB"})
    assert "query.max-memory: '10KB' is not a Trino data size" in message
    assert "the unit is written 'kB'" in message
    message = refusal(coordinatorEnvs={"CONF__config__query.client.timeout": "12 minutes"})
    assert "query.client.timeout: '12 minutes' is not a Trino duration" in message


def test_known_keys_prefixed_http_client_keys_and_legacy_names_pass() -> None:
    rendered = render_cluster(
        small_cluster(
            coordinatorEnvs={
                "CONF__config__query.max-memory": "1GB",
                "CONF__config__exchange.http-client.max-connections-per-server": "250",
                "CONF__config__experimental.max-spill-per-node": "10GB",
            }
        ),
        {},
        {},
        SETTINGS,
    )
    shipped = load_catalogue(DEFAULT_TRINO_TAG)
    assert shipped is not None
    legacy = shipped.server.legacy.get("experimental.max-spill-per-node")
    assert legacy == "max-spill-per-node"
    assert any("experimental.max-spill-per-node is a deprecated name" in w for w in rendered.warnings)


def test_plugin_files_are_checked_against_the_selected_plugin() -> None:
    message = refusal(
        workerEnvs={
            "CONF__exchange-manager__exchange-manager.name": "filesystem",
            "CONF__exchange-manager__exchange.base-directorie": "s3://x",
        }
    )
    assert "exchange-manager 'filesystem' of Trino 476" in message
    assert "did you mean 'exchange.base-directories'" in message
    message = refusal(workerEnvs={"CONF__event-listener__event-listener.name": "htp"})
    assert "Trino 476 has no event-listener 'htp'; did you mean 'http'" in message


def test_catalog_properties_and_connectors_are_checked() -> None:
    message = refusal(
        catalogs=[
            {
                "name": "lake",
                "type": "hive",
                "properties": {"hive.metastore": "glue", "hive.metastore.glue.endpointurl": "http://x"},
            },
            {"name": "pg", "type": "postgres"},
        ]
    )
    assert "cluster.minerva.catalogs[0].properties.hive.metastore.glue.endpointurl" in message
    assert "did you mean 'hive.metastore.glue.endpoint-url'" in message
    assert "cluster.minerva.catalogs[1].type: Trino 476 has no connector 'postgres'" in message
    assert "did you mean 'postgresql'" in message


HDFS = {"hive.config.resources": "/etc/hadoop/core-site.xml", "hive.hdfs.authentication.type": "NONE"}


@pytest.mark.parametrize("connector", ["hive", "iceberg", "delta_lake", "hudi"])
def test_a_catalog_enabling_the_hadoop_file_system_may_set_its_properties(connector: str) -> None:
    properties = {"fs.hadoop.enabled": "true", "hive.metastore.uri": "thrift://metastore:9083", **HDFS}
    rendered = render_cluster(
        small_cluster(catalogs=[{"name": "lake", "type": connector, "properties": properties}]),
        {},
        {},
        SETTINGS,
    )
    assert rendered.catalogs["lake"].properties["hive.config.resources"] == "/etc/hadoop/core-site.xml"


def test_hadoop_file_system_properties_without_it_are_refused() -> None:
    message = refusal(
        catalogs=[
            {"name": "lake", "type": "hive", "properties": {"hive.metastore.uri": "thrift://m:9083", **HDFS}}
        ]
    )
    assert (
        "cluster.minerva.catalogs[0].properties.hive.config.resources: hive.config.resources is read only by "
        "the legacy Hadoop file system, which Trino 476 loads for a catalog that sets fs.hadoop.enabled=true "
        "(this one does not): Trino would refuse to start (\"Configuration property 'hive.config.resources' "
        'was not used"); set fs.hadoop.enabled=true or remove it'
    ) in message
    assert "cluster.minerva.catalogs[0].properties.hive.hdfs.authentication.type" in message
    off = refusal(
        catalogs=[
            {
                "name": "lake",
                "type": "hive",
                "properties": {"hive.metastore.uri": "thrift://m:9083", "fs.hadoop.enabled": "false", **HDFS},
            }
        ]
    )
    assert "hive.config.resources is read only by the legacy Hadoop file system" in off


def test_a_typo_of_a_hadoop_file_system_name_is_refused_with_did_you_mean() -> None:
    properties = {
        "hive.metastore.uri": "thrift://m:9083",
        "fs.hadoop.enabled": "true",
        "hive.config.resource": "/x",
    }
    message = refusal(catalogs=[{"name": "lake", "type": "hive", "properties": properties}])
    assert "hive.config.resource is not a property connector 'hive' of Trino 476 defines" in message
    assert "did you mean 'hive.config.resources'" in message


def test_hive_s3_is_read_by_the_hadoop_file_system_only_without_native_s3() -> None:
    """Trino's HdfsFileSystemManager installs HiveS3Module only while fs.native-s3.enabled is off."""
    legacy = {
        "hive.metastore.uri": "thrift://m:9083",
        "fs.hadoop.enabled": "true",
        "hive.s3.endpoint": "http://x",
    }
    rendered = render_cluster(
        small_cluster(catalogs=[{"name": "lake", "type": "hive", "properties": legacy}]), {}, {}, SETTINGS
    )
    assert rendered.catalogs["lake"].properties["hive.s3.endpoint"] == "http://x"
    message = refusal(
        catalogs=[{"name": "lake", "type": "hive", "properties": {**legacy, "fs.native-s3.enabled": "true"}}]
    )
    assert "hive.s3.endpoint is legacy S3 support" in message and "use s3.endpoint" in message
    message = refusal(
        catalogs=[{"name": "lake", "type": "hive", "properties": {**legacy, "fs.hadoop.enabled": "no"}}]
    )
    assert "which this catalog does not enable (fs.hadoop.enabled=true)" in message
    old_name = {**legacy, "hive.hdfs.presto.principal": "trino@EXAMPLE.COM"}
    rendered = render_cluster(
        small_cluster(catalogs=[{"name": "lake", "type": "hive", "properties": old_name}]), {}, {}, SETTINGS
    )
    assert (
        "catalog lake: hive.hdfs.presto.principal is a deprecated name in Trino 476; "
        "use hive.hdfs.trino.principal" in rendered.warnings
    )


def test_the_catalogue_holds_the_hadoop_file_system_apart() -> None:
    shipped = load_catalogue(DEFAULT_TRINO_TAG)
    assert shipped is not None
    assert sorted(shipped.hadoop) == ["delta-lake", "hive", "hudi", "iceberg"]
    hive, hadoop = shipped.plugins["hive"], shipped.hadoop["hive"]
    for key in ("hive.config.resources", "hive.hdfs.authentication.type", "hive.s3.aws-access-key"):
        assert key in hadoop.scope.properties and key not in hive.properties
    assert hadoop.native_off["hive.s3.aws-access-key"] == "fs.native-s3.enabled"
    assert hadoop.native_off["hive.azure.abfs-access-key"] == "fs.native-azure.enabled"
    assert "hive.config.resources" not in hadoop.native_off
    assert not set(hadoop.scope.properties) & set(hive.properties)


def test_the_generator_files_hdfs_jars_under_their_plugin() -> None:
    rows = [
        [
            "plugin:hive",
            "config",
            "fs.hadoop.enabled",
            "boolean",
            "io.trino.filesystem.manager.FileSystemConfig",
        ],
        ["plugin:hive", "provides", "connector", "hive", "io.trino.plugin.hive.HiveConnectorFactory"],
        [
            "hadoop:hive",
            "config",
            "fs.hadoop.enabled",
            "boolean",
            "io.trino.filesystem.manager.FileSystemConfig",
        ],
        ["hadoop:hive", "config", "hive.config.resources", "java.util.List", "io.trino.hdfs.HdfsConfig"],
        ["hadoop:hive", "config", "hive.s3.endpoint", "java.lang.String", "io.trino.hdfs.s3.HiveS3Config"],
        ["hadoop:hive", "defunct", "hive.s3.use-instance-credentials", "-", "io.trino.hdfs.s3.HiveS3Config"],
        [
            "server",
            "config",
            "query.max-memory",
            "io.airlift.units.DataSize",
            "io.trino.memory.MemoryManagerConfig",
        ],
    ]
    data = catalogue(rows, "476")
    assert data["plugins"]["hive"]["properties"] == {"fs.hadoop.enabled": "boolean"}
    assert data["plugins"]["hive"]["hadoop"] == {
        "properties": {"hive.config.resources": "List", "hive.s3.endpoint": "String"},
        "legacy": {},
        "defunct": ["hive.s3.use-instance-credentials"],
        "native_off": {
            "hive.s3.endpoint": "fs.native-s3.enabled",
            "hive.s3.use-instance-credentials": "fs.native-s3.enabled",
        },
    }


def test_another_trino_tag_is_not_checked_against_476_but_says_so() -> None:
    settings = StackSettings(stack="dev", environment="dev", region="us-east-1", trino_tag="480")
    rendered = render_cluster(
        small_cluster(workerEnvs={"CONF__config__query.max-memroy": "1GB"}), {}, {}, settings
    )
    assert any("trinoTag 480 has no property catalogue" in w for w in rendered.warnings)


# -- against the real server ----------------------------------------------------------------------


@pytest.mark.trino
def test_committed_catalogue_matches_the_real_server(trino_server_home: Path) -> None:
    generated = render(catalogue(extract(trino_server_home)))
    assert output_path().read_text() == generated, "run .venv/bin/python tools/trino_property_catalogue.py"


def _boot_failure(tmp_path: Path, *, config: dict[str, str], catalog: dict[str, str]) -> str:
    """Start a coordinator from a rendered cluster with ``config``/``catalog`` forced into its files
    (bypassing the check), and return what Trino said when it refused to start."""
    rendered = render_cluster(
        small_cluster(catalogs=[{"name": "scratch", "type": "memory"}]), {}, {}, SETTINGS
    )
    rendered.coordinator.properties["config.properties"].update(config)
    rendered.catalogs["scratch"].properties.update(catalog)
    from helpers.aws import free_port
    from trino_dist import server_home

    port = free_port()
    paths = Paths(tmp_path / "etc", tmp_path / "data", tmp_path / "tmp", server_home() / "plugin")
    node = LocalNode(
        "refused",
        tmp_path,
        port,
        local_files(rendered, rendered.coordinator, paths, port=port, coordinator_port=port),
        {},
    )
    import time

    node.start()
    try:
        with pytest.raises(AssertionError) as caught:
            node.wait_started(time.monotonic())
    finally:
        node.stop()
    return str(caught.value)


@pytest.mark.trino
def test_the_real_server_refuses_what_plan_refuses(trino_server_home: Path, tmp_path: Path) -> None:
    said = _boot_failure(
        tmp_path / "config",
        config={"query.max-memroy": "1GB", "optimizer.optimize-hash-generation": "true"},
        catalog={},
    )
    assert "Configuration property 'query.max-memroy' was not used" in said
    assert "optimizer.optimize-hash-generation" in said and "efunct" in said
    said = _boot_failure(tmp_path / "catalog", config={}, catalog={"memory.max-data-per-nod": "64MB"})
    assert "Configuration property 'memory.max-data-per-nod' was not used" in said
