"""Every depot type DataOS documents: its connection, its secrets, its Trino catalog (or why none)."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from dataproduct_iac import ManifestError, ValueSources, load, resolve
from dataproduct_iac.manifests.cluster import Cluster
from dataproduct_iac.manifests.connections import (
    DEPOT_KINDS,
    NO_TRINO_CONNECTOR,
    DepotType,
    PostgresConnection,
)
from dataproduct_iac.manifests.depot import Depot
from dataproduct_iac.manifests.instance_secret import InstanceSecret
from dataproduct_iac.manifests.refs import parse_address
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.trino.catalogs import SecretBinding, render_catalogs
from dataproduct_iac.trino.errors import Problem

MINIMAL: dict[DepotType, dict[str, Any]] = {
    DepotType.S3: {"bucket": "sales-lake", "relativePath": "raw", "format": "ICEBERG"},
    DepotType.GCS: {"bucket": "sales-lake", "relativePath": "/raw", "format": "DELTA"},
    DepotType.ABFSS: {
        "account": "salesacct",
        "container": "lake",
        "relativePath": "raw",
        "format": "ICEBERG",
    },
    DepotType.WASBS: {"account": "salesacct", "container": "lake", "format": "PARQUET"},
    DepotType.REDSHIFT: {"host": "rs.example.com", "database": "dev"},
    DepotType.POSTGRES: {"host": "pg.example.com", "database": "shop", "params": {"sslmode": "require"}},
    DepotType.MYSQL: {"host": "my.example.com", "port": 3306, "params": {"tls": "skip-verify"}},
    DepotType.MSSQL: {"host": "ms.example.com", "database": "erp", "params": {"encrypt": False}},
    DepotType.ORACLE: {"subprotocol": "oracle:thin", "host": "ora.example.com", "service": "ORCL"},
    DepotType.SNOWFLAKE: {"warehouse": "wh", "url": "acme.snowflakecomputing.com", "database": "db"},
    DepotType.BIGQUERY: {"project": "acme-analytics"},
    DepotType.MONGODB: {"subprotocol": "mongodb", "nodes": ["mongo-0.example.com:27017"]},
    DepotType.ELASTICSEARCH: {"nodes": ["es-0.example.com:9200", "es-1.example.com:9200"]},
    DepotType.OPENSEARCH: {"nodes": ["https://os.example.com:9200"]},
    DepotType.KAFKA: {"brokers": ["k0:9092", "k1:9092"], "schemaRegistryUrl": "http://registry:8081"},
    DepotType.PULSAR: {"adminUrl": "http://pulsar:8080", "serviceUrl": "pulsar://pulsar:6650", "tenant": "t"},
    DepotType.EVENTHUB: {"endpoint": "sb://hub.servicebus.windows.net/"},
    DepotType.JDBC: {"subprotocol": "postgresql", "host": "pg.example.com", "port": 5432, "database": "shop"},
}
"""A documented connection of every type (fields as DataOS's depot pages write them)."""

SECRET_DATA: dict[DepotType, dict[str, str]] = {
    DepotType.S3: {"awsaccesskeyid": "AKIAEXAMPLE", "awssecretaccesskey": "s3cr3t"},
    DepotType.GCS: {"projectid": "acme", "email": "sa@acme.iam.gserviceaccount.com"},
    DepotType.ABFSS: {"azurestorageaccountname": "salesacct", "azurestorageaccountkey": "s3cr3t"},
    DepotType.WASBS: {"azurestorageaccountname": "salesacct", "azurestorageaccountkey": "s3cr3t"},
    DepotType.BIGQUERY: {"projectid": "acme", "email": "sa@acme.iam.gserviceaccount.com"},
    DepotType.EVENTHUB: {"eh_shared_access_key_name": "reader", "eh_shared_access_key": "s3cr3t"},
    DepotType.KAFKA: {"username": "reader", "password": "s3cr3t", "security_protocol": "SSL"},
}


def depot_manifest(kind: DepotType, *, version: str = "v2alpha", name: str | None = None) -> dict[str, Any]:
    name = name or kind.value.lower()
    block = DEPOT_KINDS[kind].blocks[0] if version == "v2alpha" else "spec"
    spec: dict[str, Any] = {"type": kind.value, "external": True, block: copy.deepcopy(MINIMAL[kind])}
    if version == "v2alpha":
        spec["secrets"] = [{"name": f"{name}-r", "allkeys": True}]
    else:
        data = SECRET_DATA.get(kind, {"username": "reader", "password": "s3cr3t"})
        spec["connectionSecret"] = [{"acl": "r", "type": "key-value-properties", "data": data}]
    return {"name": name, "version": version, "type": "depot", "depot": spec}


def secret_manifest(name: str, kind: DepotType, acl: str = "r") -> dict[str, Any]:
    data = SECRET_DATA.get(kind, {"username": "reader", "password": "s3cr3t"})
    return {
        "name": name,
        "version": "v1",
        "type": "instance-secret",
        "instance-secret": {"type": "key-value-properties", "acl": acl, "data": data},
    }


def write(tmp_path: Path, *documents: dict[str, Any], file: str = "manifests.yaml") -> Path:
    path = tmp_path / file
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The line (1-based) of the first line of ``path`` that is ``text`` (after indentation)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.strip() == text)


def validate(*paths: Path) -> Any:
    return resolve(load(list(paths), ValueSources(environment={})))


@pytest.mark.parametrize("version", ["v1", "v2alpha"])
@pytest.mark.parametrize("kind", list(DepotType), ids=[k.value for k in DepotType])
def test_every_documented_depot_type_validates(kind: DepotType, version: str, tmp_path: Path) -> None:
    documents = [depot_manifest(kind, version=version)]
    if version == "v2alpha":
        documents.append(secret_manifest(f"{kind.value.lower()}-r", kind))
    graph = validate(write(tmp_path, *documents))
    depot = graph.get("depot", kind.value.lower())
    assert depot is not None and isinstance(depot.manifest, Depot)
    assert type(depot.manifest.connection) is DEPOT_KINDS[kind].model
    assert [s.name for s in graph.depot_secrets(depot.name)] == [f"{kind.value.lower()}-r"]


def test_every_depot_type_documents_its_secret_keys_and_block() -> None:
    for kind, info in DEPOT_KINDS.items():
        assert info.blocks[0] == kind.value.lower() or kind is DepotType.POSTGRES, kind
        if kind is not DepotType.PULSAR:  # Pulsar depots take no instance secret
            assert info.model.SECRET_KEYS, kind
            assert "secret keys" in (info.model.__doc__ or "").lower(), kind


@pytest.mark.parametrize(
    ("kind", "block"),
    [
        ("POSTGRESQL", "postgresql"),
        ("POSTGRES", "postgres"),
        ("postgres", "postgresql"),
        ("JDBC", "postgresql"),
    ],
)
def test_documented_postgres_spellings(kind: str, block: str) -> None:
    depot = Depot.model_validate(
        {
            "name": "shop",
            "version": "v2alpha",
            "type": "depot",
            "depot": {"type": kind, block: {"host": "pg", "port": 5432, "database": "shop"}},
        }
    )
    assert isinstance(depot.connection, PostgresConnection)
    assert depot.connection.subprotocol == "postgresql"


def test_connection_given_under_two_blocks_is_refused(tmp_path: Path) -> None:
    manifest = depot_manifest(DepotType.POSTGRES)
    manifest["depot"]["postgres"] = copy.deepcopy(MINIMAL[DepotType.POSTGRES])
    path = write(tmp_path, manifest, secret_manifest("postgres-r", DepotType.POSTGRES))
    with pytest.raises(ManifestError) as caught:
        validate(path)
    assert [(d.field, d.line) for d in caught.value.diagnostics] == [
        ("depot.postgres", line_of(path, "postgres:"))
    ]
    assert (
        "connection given twice: under 'postgresql:' and 'postgres:'" in caught.value.diagnostics[0].message
    )


def test_block_of_another_type_names_the_right_block(tmp_path: Path) -> None:
    manifest = depot_manifest(DepotType.MYSQL)
    manifest["depot"]["oracle"] = manifest["depot"].pop("mysql")
    with pytest.raises(ManifestError) as caught:
        validate(write(tmp_path, manifest, secret_manifest("mysql-r", DepotType.MYSQL)))
    (found,) = caught.value.diagnostics
    assert found.field == "depot.oracle"
    assert (
        "block 'oracle' does not match depot type MYSQL; write the connection under 'mysql:'" in found.message
    )


def test_unknown_field_in_a_new_block_names_the_nearest(tmp_path: Path) -> None:
    manifest = depot_manifest(DepotType.KAFKA)
    manifest["depot"]["kafka"]["schemaRegistryURL"] = "http://registry:8081"
    with pytest.raises(ManifestError) as caught:
        validate(write(tmp_path, manifest, secret_manifest("kafka-r", DepotType.KAFKA)))
    (found,) = caught.value.diagnostics
    assert found.field == "depot.kafka.schemaRegistryURL"
    assert "did you mean 'schemaRegistryUrl'?" in found.message


def test_bigquery_block_is_optional() -> None:
    depot = Depot.model_validate(
        {"name": "bq", "version": "v2alpha", "type": "depot", "depot": {"type": "BIGQUERY", "external": True}}
    )
    assert depot.connection.model_dump() == {
        "project": None,
        "params": {},
        "temporary_bucket": None,
        "persistent_bucket": None,
    }


def test_other_types_still_need_their_block(tmp_path: Path) -> None:
    manifest = depot_manifest(DepotType.MONGODB)
    del manifest["depot"]["mongodb"]
    with pytest.raises(ManifestError) as caught:
        validate(write(tmp_path, manifest, secret_manifest("mongodb-r", DepotType.MONGODB)))
    assert "needs its connection under 'mongodb:' (v2alpha) or 'spec:' (v1)" in str(caught.value)


def cluster_manifest(*depots: str) -> dict[str, Any]:
    return {
        "name": "minervac",
        "version": "v1",
        "type": "cluster",
        "cluster": {
            "minerva": {
                "replicas": 1,
                "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
                "depots": [{"address": f"dataos://{d}:default"} for d in depots],
            }
        },
    }


@pytest.mark.parametrize("kind", sorted(NO_TRINO_CONNECTOR), ids=lambda k: k.value)
def test_depot_without_trino_connector_is_accepted_and_a_cluster_listing_it_is_refused(
    kind: DepotType, tmp_path: Path
) -> None:
    name = kind.value.lower()
    depot = write(tmp_path, depot_manifest(kind), secret_manifest(f"{name}-r", kind), file="depot.yaml")
    graph = validate(depot)
    assert ("instance-secret", f"{name}-r") in graph.order  # its secrets are still created
    cluster = write(tmp_path, cluster_manifest("s3", name), file="cluster.yaml")
    lake = write(
        tmp_path, depot_manifest(DepotType.S3), secret_manifest("s3-r", DepotType.S3), file="lake.yaml"
    )
    with pytest.raises(ManifestError) as caught:
        validate(depot, lake, cluster)
    (found,) = caught.value.diagnostics
    assert (Path(found.file).name, found.field) == ("cluster.yaml", "cluster.minerva.depots[1].address")
    assert found.line == line_of(cluster, f"- address: dataos://{name}:default")
    assert f"depot '{name}' ({kind.value}) cannot be a catalog of this cluster" in found.message
    assert NO_TRINO_CONNECTOR[kind] in found.message


def test_jdbc_depot_of_a_subprotocol_trino_cannot_read_is_refused_in_a_cluster(tmp_path: Path) -> None:
    manifest = depot_manifest(DepotType.JDBC, name="legacy")
    manifest["depot"]["jdbc"]["subprotocol"] = "db2"
    depot = write(tmp_path, manifest, secret_manifest("legacy-r", DepotType.JDBC), file="depot.yaml")
    validate(depot)
    cluster = write(tmp_path, cluster_manifest("legacy"), file="cluster.yaml")
    with pytest.raises(ManifestError) as caught:
        validate(depot, cluster)
    assert "Trino has no connector for JDBC subprotocol 'db2'" in str(caught.value)


def test_v1_depot_with_only_an_rw_inline_secret_validates(tmp_path: Path) -> None:
    """DataOS's own Redshift and Snowflake v1 templates hold one inline secret, acl rw."""
    manifest = depot_manifest(DepotType.REDSHIFT, version="v1")
    manifest["depot"]["connectionSecret"][0]["acl"] = "rw"
    graph = validate(write(tmp_path, manifest))
    assert [s.name for s in graph.depot_secrets("redshift")] == ["redshift-rw"]


def test_v2alpha_rw_reference_without_r_is_still_refused(tmp_path: Path) -> None:
    manifest = depot_manifest(DepotType.POSTGRES)
    manifest["depot"]["secrets"] = [{"name": "postgres-rw", "allkeys": True}]
    with pytest.raises(ManifestError) as caught:
        validate(write(tmp_path, manifest, secret_manifest("postgres-rw", DepotType.POSTGRES, "rw")))
    assert "has a read-write (acl rw) secret but no read (acl r) secret" in str(caught.value)


def test_exported_fields_are_ignored_with_a_warning(tmp_path: Path) -> None:
    manifest = depot_manifest(DepotType.SNOWFLAKE)
    manifest.update(stamp="-2tug", generation=1, uid="95176765-d026", created="2024-06-11T08:30:25Z")
    manifest["depot"].update(name="snowflake", owner="iamgroot")
    result = load([write(tmp_path, manifest, secret_manifest("snowflake-r", DepotType.SNOWFLAKE))])
    messages = sorted(w.message for w in result.warnings)
    assert messages == [
        "depot.name, depot.owner: written by the DataOS server when it exports a resource; ignored",
        "stamp, uid, generation, created: written by the DataOS server when it exports a resource; ignored",
    ]
    assert all(w.severity == "warning" and w.line == 1 for w in result.warnings)


def test_empty_secrets_beside_connection_secret_is_none() -> None:
    manifest = depot_manifest(DepotType.MONGODB, version="v1")
    manifest["depot"]["secrets"] = None
    assert Depot.model_validate(manifest).depot.secrets == []


@given(
    depot=st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True),
    collection=st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True),
    acl=st.sampled_from(["r", "rw", None]),
)
def test_address_acl_round_trips(depot: str, collection: str, acl: str | None) -> None:
    text = f"dataos://{depot}:{collection}" + (f"?acl={acl}" if acl else "")
    address = parse_address(text)
    assert (address.depot, address.collection, address.acl) == (depot, collection, acl)
    assert address.uri == text


# -- Trino catalogs --------------------------------------------------------------------------------

SETTINGS = StackSettings(stack="dev", region="eu-west-1")


def catalog_of(
    kind: DepotType, *, address_suffix: str = "", secrets: list[InstanceSecret] | None = None
) -> Any:
    depot = Depot.model_validate(depot_manifest(kind))
    name = depot.name
    if secrets is None:
        secrets = [InstanceSecret.model_validate(secret_manifest(f"{name}-r", kind))]
    cluster = Cluster.model_validate(cluster_manifest(name))
    cluster.minerva.depots[0].address += address_suffix
    problems: list[Problem] = []
    catalogs, bindings = render_catalogs(cluster, {name: depot}, {name: secrets}, SETTINGS, problems)
    return catalogs.get(name), bindings, problems


def test_catalog_of_each_type_with_a_connector() -> None:
    expected = {
        DepotType.S3: "iceberg",
        DepotType.GCS: "delta_lake",
        DepotType.ABFSS: "iceberg",
        DepotType.WASBS: "hive",
        DepotType.REDSHIFT: "redshift",
        DepotType.POSTGRES: "postgresql",
        DepotType.MYSQL: "mysql",
        DepotType.MSSQL: "sqlserver",
        DepotType.ORACLE: "oracle",
        DepotType.SNOWFLAKE: "snowflake",
        DepotType.BIGQUERY: "bigquery",
        DepotType.MONGODB: "mongodb",
        DepotType.ELASTICSEARCH: "elasticsearch",
        DepotType.OPENSEARCH: "opensearch",
        DepotType.KAFKA: "kafka",
        DepotType.JDBC: "postgresql",
    }
    assert set(expected) | set(NO_TRINO_CONNECTOR) == set(DepotType)
    for kind, connector in expected.items():
        catalog, bindings, problems = catalog_of(kind)
        assert not problems, (kind, problems)
        assert catalog.properties["connector.name"] == connector, kind
        for value in catalog.properties.values():
            assert "s3cr3t" not in value and "reader" not in value, kind
        assert all(b.secret == f"{kind.value.lower()}-r" for b in bindings.values()), kind


def test_lakehouse_catalogs_in_other_clouds() -> None:
    gcs, _, _ = catalog_of(DepotType.GCS)
    assert gcs.properties == {
        "connector.name": "delta_lake",
        "hive.metastore": "glue",
        "hive.metastore.glue.region": "eu-west-1",
        "hive.metastore.glue.default-warehouse-dir": "gs://sales-lake/raw",
        "fs.native-gcs.enabled": "true",
        "gcs.project-id": "${ENV:TRINO_CATALOG_GCS_GCP_PROJECT}",
    }
    abfss, bindings, _ = catalog_of(DepotType.ABFSS)
    assert abfss.properties["iceberg.catalog.type"] == "glue"
    assert abfss.properties["hive.metastore.glue.default-warehouse-dir"] == (
        "abfss://lake@salesacct.dfs.core.windows.net/raw"
    )
    assert abfss.properties["azure.auth-type"] == "ACCESS_KEY"
    assert abfss.properties["azure.access-key"] == "${ENV:TRINO_CATALOG_ABFSS_AZURE_ACCOUNT_KEY}"
    assert bindings["TRINO_CATALOG_ABFSS_AZURE_ACCOUNT_KEY"] == SecretBinding(
        "abfss-r", "azurestorageaccountkey"
    )
    wasbs, _, _ = catalog_of(DepotType.WASBS)
    assert wasbs.properties["hive.metastore.glue.default-warehouse-dir"] == (
        "wasbs://lake@salesacct.blob.core.windows.net"
    )
    assert "fs.native-s3.enabled" not in wasbs.properties


def test_depot_metastore_url_replaces_glue() -> None:
    depot = Depot.model_validate(depot_manifest(DepotType.ABFSS))
    depot.depot.abfss.metastore_type = "REST"  # type: ignore[union-attr,assignment]
    depot.depot.abfss.metastore_url = "http://lakehouse-svc.cluster.local:1000"  # type: ignore[union-attr]
    cluster = Cluster.model_validate(cluster_manifest("abfss"))
    secrets = [InstanceSecret.model_validate(secret_manifest("abfss-r", DepotType.ABFSS))]
    problems: list[Problem] = []
    catalogs, _ = render_catalogs(cluster, {"abfss": depot}, {"abfss": secrets}, SETTINGS, problems)
    props = catalogs["abfss"].properties
    assert not problems
    assert props["iceberg.catalog.type"] == "rest"
    assert props["iceberg.rest-catalog.uri"] == "http://lakehouse-svc.cluster.local:1000"
    assert not any(key.startswith("hive.metastore.glue") for key in props)


def test_jdbc_urls_of_each_database() -> None:
    urls = {
        kind: catalog_of(kind)[0].properties["connection-url"]
        for kind in (
            DepotType.REDSHIFT,
            DepotType.POSTGRES,
            DepotType.MYSQL,
            DepotType.MSSQL,
            DepotType.ORACLE,
        )
    }
    assert urls == {
        DepotType.REDSHIFT: "jdbc:redshift://rs.example.com:5439/dev",
        DepotType.POSTGRES: "jdbc:postgresql://pg.example.com:5432/shop?sslmode=require",
        DepotType.MYSQL: "jdbc:mysql://my.example.com:3306?tls=skip-verify",
        DepotType.MSSQL: "jdbc:sqlserver://ms.example.com:1433;databaseName=erp;encrypt=false",
        DepotType.ORACLE: "jdbc:oracle:thin:@//ora.example.com:1521/ORCL",
    }


def test_redshift_params_reach_the_jdbc_url() -> None:
    """A Redshift depot's params are URL parameters, as for the other databases (they were dropped)."""
    manifest = depot_manifest(DepotType.REDSHIFT)
    manifest["depot"]["redshift"]["params"] = {"ssl": True, "tcpKeepAlive": "false"}
    depot = Depot.model_validate(manifest)
    secrets = [InstanceSecret.model_validate(secret_manifest("redshift-r", DepotType.REDSHIFT))]
    cluster = Cluster.model_validate(cluster_manifest("redshift"))
    problems: list[Problem] = []
    catalogs, _ = render_catalogs(cluster, {"redshift": depot}, {"redshift": secrets}, SETTINGS, problems)
    assert not problems
    assert catalogs["redshift"].properties["connection-url"] == (
        "jdbc:redshift://rs.example.com:5439/dev?ssl=true&tcpKeepAlive=false"
    )


def test_search_mongodb_and_kafka_catalogs() -> None:
    es = catalog_of(DepotType.ELASTICSEARCH)[0].properties
    assert es["elasticsearch.host"] == "es-0.example.com,es-1.example.com"
    assert es["elasticsearch.port"] == "9200"
    assert es["elasticsearch.security"] == "PASSWORD"
    assert es["elasticsearch.auth.user"] == "${ENV:TRINO_CATALOG_ELASTICSEARCH_USER}"
    opensearch = catalog_of(DepotType.OPENSEARCH)[0].properties
    assert opensearch["opensearch.tls.enabled"] == "true"
    mongo = catalog_of(DepotType.MONGODB)[0].properties
    assert mongo["mongodb.connection-url"] == (
        "mongodb://${ENV:TRINO_CATALOG_MONGODB_USER}:${ENV:TRINO_CATALOG_MONGODB_PASSWORD}"
        "@mongo-0.example.com:27017/"
    )
    kafka = catalog_of(DepotType.KAFKA)[0].properties
    assert kafka == {
        "connector.name": "kafka",
        "kafka.nodes": "k0:9092,k1:9092",
        "kafka.table-description-supplier": "CONFLUENT",
        "kafka.confluent-schema-registry-url": "http://registry:8081",
        "kafka.security-protocol": "SSL",
    }


def test_kafka_with_sasl_is_refused_at_plan_with_the_reason() -> None:
    secret = secret_manifest("kafka-r", DepotType.KAFKA)
    secret["instance-secret"]["data"]["security_protocol"] = "SASL_SSL"
    _, _, problems = catalog_of(DepotType.KAFKA, secrets=[InstanceSecret.model_validate(secret)])
    assert ["SASL (SASL_SSL)" in p.message and "kafka.config.resources" in p.message for p in problems] == [
        True
    ]


def test_bigquery_key_file_is_bound_base64(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account", "project_id": "acme"}), encoding="utf-8")
    secret = secret_manifest("bigquery-r", DepotType.BIGQUERY)
    secret["instance-secret"]["files"] = {"json_keyfile": str(key)}
    model = InstanceSecret.model_validate(secret)
    catalog, bindings, problems = catalog_of(DepotType.BIGQUERY, secrets=[model])
    assert not problems
    assert catalog.properties["bigquery.project-id"] == "acme-analytics"
    assert catalog.properties["bigquery.credentials-key"] == "${ENV:TRINO_CATALOG_BIGQUERY_BIGQUERY_JSON_KEY}"
    binding = bindings["TRINO_CATALOG_BIGQUERY_BIGQUERY_JSON_KEY"]
    assert binding == SecretBinding("bigquery-r", "json_keyfile", "base64")
    assert base64.b64decode(binding.value_of(model)) == key.read_bytes()


def test_address_acl_picks_that_secret() -> None:
    reader = InstanceSecret.model_validate(secret_manifest("postgres-r", DepotType.POSTGRES))
    writer = InstanceSecret.model_validate(secret_manifest("postgres-rw", DepotType.POSTGRES, "rw"))
    _, by_default, _ = catalog_of(DepotType.POSTGRES, secrets=[reader, writer])
    _, with_rw, _ = catalog_of(DepotType.POSTGRES, address_suffix="?acl=rw", secrets=[reader, writer])
    assert {b.secret for b in by_default.values()} == {"postgres-r"}
    assert {b.secret for b in with_rw.values()} == {"postgres-rw"}


# -- the Depot component ---------------------------------------------------------------------------


@pytest.mark.parametrize("external", [True, False])
def test_lakehouse_depots_in_other_clouds_get_glue_databases_and_nothing_else(external: bool) -> None:
    from dataproduct_iac.components import Depot as DepotComponent
    from dataproduct_iac.components import DepotArgs
    from dataproduct_iac.plan import run_program

    manifest = depot_manifest(DepotType.ABFSS)
    manifest["depot"]["external"] = external
    model = Depot.model_validate(manifest)
    plan = run_program(
        lambda: DepotComponent(
            "abfss", DepotArgs.from_manifest(model, StackSettings(stack="dev"), collections=["sales"])
        ),
        project="p",
        stack="dev",
        preview=True,
    )
    component = next(r for r in plan.registrations if r.name == "abfss")
    children = {r.name: r for r in plan.registrations if r.parent == component.urn}
    assert {name: r.type for name, r in children.items()} == {
        "abfss-sales-db": "aws:glue/catalogDatabase:CatalogDatabase"
    }
    assert children["abfss-sales-db"].inputs["locationUri"] == (
        "abfss://lake@salesacct.dfs.core.windows.net/raw/sales/"
    )
    warned = any("nothing is created outside AWS" in w for w in plan.warnings)
    assert warned is (not external)


def test_depots_without_files_create_nothing() -> None:
    from dataproduct_iac.components import Depot as DepotComponent
    from dataproduct_iac.components import DepotArgs
    from dataproduct_iac.plan import run_program

    model = Depot.model_validate(depot_manifest(DepotType.PULSAR))
    plan = run_program(
        lambda: DepotComponent(
            "pulsar", DepotArgs.from_manifest(model, StackSettings(stack="dev"), collections=["x"])
        ),
        project="p",
        stack="dev",
        preview=True,
    )
    assert [r.name for r in plan.registrations if r.type.startswith(("aws:", "dataproduct:"))] == ["pulsar"]
