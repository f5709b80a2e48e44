"""Trino catalogs from depots and from ``catalogs[]``; credentials only as ``${ENV:VAR}``.

Every credential a catalog needs becomes an environment variable bound to a key of one
Kubernetes Secret; the binding names the instance secret and its key, never the value.

Depot types and their catalogs: S3, GCS, ABFSS and WASBS depots are lakehouses read through the
stack's Glue Data Catalog (hive, iceberg or delta_lake by format) and Trino's native S3, GCS or
Azure file system; Redshift, PostgreSQL, MySQL, SQL Server, Oracle, Snowflake and JDBC depots use
the JDBC connector of the database; BigQuery, MongoDB, Elasticsearch, OpenSearch and Kafka their
own connector. Pulsar and Event Hubs have none (``manifests.connections.trino_gap``): a cluster
that lists one is refused by validate. Property names are Trino 476's.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from ..manifests.cluster import Cluster, ClusterDepot
from ..manifests.connections import (
    TRINO_JDBC_CONNECTORS,
    AzureConnection,
    BigQueryConnection,
    Connection,
    DatabaseServer,
    DataFormat,
    GcsConnection,
    KafkaConnection,
    MetastoreType,
    MongoDbConnection,
    MySqlConnection,
    ObjectStore,
    OpenSearchConnection,
    OracleConnection,
    PostgresConnection,
    RedshiftConnection,
    S3Connection,
    SearchConnection,
    SnowflakeConnection,
    SqlServerConnection,
    trino_gap,
)
from ..manifests.depot import Depot, SecretRef, keys_refs_allow
from ..manifests.instance_secret import InstanceSecret
from ..manifests.secret_keys import find_key
from ..settings import DEFAULT_TRINO_TAG, StackSettings
from .errors import Problem


@dataclass(frozen=True)
class SecretBinding:
    """An environment variable's value: key ``key`` of instance secret ``secret`` (a ``data`` key or
    the text of a ``files`` entry), as stored or base64-encoded."""

    secret: str
    key: str
    encoding: Literal["text", "base64"] = "text"

    def value_of(self, secret: InstanceSecret) -> str:
        """The value from ``secret`` (the instance secret named ``self.secret``). Handle as a secret."""
        spec = secret.instance_secret
        value = spec.data[self.key].get_secret_value() if self.key in spec.data else spec.file_text(self.key)
        return self.encode(value)

    def encode(self, value: str) -> str:
        """A value of the secret as the environment variable holds it (as stored, or base64)."""
        return base64.b64encode(value.encode("utf-8")).decode("ascii") if self.encoding == "base64" else value


@dataclass
class RenderedCatalog:
    name: str
    connector: str
    properties: dict[str, str]
    source: str
    """``depot:<name>`` or ``catalog``."""
    schemas: dict[str, str]
    """Collection named in the cluster's depot address → Trino schema (Glue database for lakehouses)."""


HADOOP_ENABLED = "fs.hadoop.enabled"
"""The catalog property that makes Trino load the legacy Hadoop file system (default false since 458)."""
NATIVE_S3_ENABLED = "fs.native-s3.enabled"


def is_true(value: str | None) -> bool:
    """Whether a boolean catalog property holds true (airlift reads ``true`` in any case)."""
    return value is not None and value.strip().lower() == "true"


LEGACY_S3 = re.compile(r"^hive\.s3(\.|select)")
_REPLACEMENTS = {
    "hive.s3.aws-access-key": "s3.aws-access-key",
    "hive.s3.aws-secret-key": "s3.aws-secret-key",
    "hive.s3.endpoint": "s3.endpoint",
    "hive.s3.region": "s3.region",
    "hive.s3.path-style-access": "s3.path-style-access",
    "hive.s3.iam-role": "s3.iam-role",
    "hive.s3.external-id": "s3.external-id",
    "hive.s3.sse.type": "s3.sse.type",
    "hive.s3.sse.kms-key-id": "s3.sse.kms-key-id",
    "hive.s3.max-connections": "s3.max-connections",
    "hive.s3.streaming.part-size": "s3.streaming.part-size",
    "hive.s3.ssl.enabled": "an https:// s3.endpoint",
    "hive.s3.use-instance-credentials": "the default credential chain (leave s3.aws-access-key unset)",
}
_SENSITIVE = re.compile(r"(password|secret|aws-access-key|token|credential|private-key)", re.IGNORECASE)
_ENV_REF = re.compile(r"^\$\{ENV:[A-Za-z_][A-Za-z0-9_]*\}$")
_ENV_USE = re.compile(r"\$\{ENV:([^}]*)\}")


def legacy_s3_problem(key: str, catalog: Mapping[str, str]) -> str | None:
    """Why a catalog holding ``catalog`` may not hold ``key`` when it is legacy S3 configuration, or None.

    What is true of the pinned release (checked in Trino 476's server: ``hive.s3.*`` lives in the
    deprecated ``HiveS3Config`` of ``plugin/hive/hdfs``, and ``fs.hadoop.enabled`` defaults to false;
    and in Trino's source: ``FileSystemModule`` loads the Hadoop file system only when
    ``fs.hadoop.enabled`` is true, and ``HdfsFileSystemManager`` installs its ``HiveS3Module`` only when
    ``fs.native-s3.enabled`` is not): ``hive.s3.*`` is read only by the legacy Hadoop file system, which
    a catalog must switch on with ``fs.hadoop.enabled=true`` (since Trino 458) and which is deprecated
    for object storage (since 470), and only while native S3 is off; Trino refuses to start on a
    property nothing reads. A catalog that enables the Hadoop file system without native S3 may hold it
    (the catalogue checks the name). ``hive.s3select*`` (S3 Select pushdown) is gone: the pinned release
    refuses it as defunct."""
    if not LEGACY_S3.match(key):
        return None
    if not key.startswith("hive.s3."):
        return (
            f"{key} configured S3 Select pushdown, which Trino no longer has (Trino {DEFAULT_TRINO_TAG} "
            "refuses it as defunct); remove it"
        )
    native = is_true(catalog.get(NATIVE_S3_ENABLED))
    if is_true(catalog.get(HADOOP_ENABLED)) and not native:
        return None
    replacement = _REPLACEMENTS.get(key, "the native S3 property that replaces it (s3.*)")
    legacy = (
        f"{key} is legacy S3 support: in Trino {DEFAULT_TRINO_TAG} only the deprecated Hadoop file system"
    )
    if native:
        return (
            f"{legacy} reads it ({HADOOP_ENABLED}=true), and catalogs here use native S3 "
            f"({NATIVE_S3_ENABLED}=true), beside which Trino refuses to start on it ('was not used'); "
            f"use {replacement}"
        )
    return (
        f"{legacy} reads it, which this catalog does not enable ({HADOOP_ENABLED}=true), so Trino refuses "
        f"to start on it ('was not used'); use {replacement} with {NATIVE_S3_ENABLED}=true"
    )


def check_properties(
    properties: dict[str, str],
    where: tuple[str | int, ...],
    problems: list[Problem],
    rendered: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Reject legacy S3 keys and literal credentials; return the properties that are fine.
    ``rendered``: what the catalog holds besides (a depot's catalog), which ``properties`` override."""
    catalog = {**(rendered or {}), **properties}
    out: dict[str, str] = {}
    for key, value in properties.items():
        path = (*where, "properties", key)
        if problem := legacy_s3_problem(key, catalog):
            problems.append(Problem(path, problem))
        elif _SENSITIVE.search(key) and not _ENV_REF.match(value):
            problems.append(
                Problem(
                    path,
                    f"{key} looks like a credential; catalog files are stored in a ConfigMap, so give it "
                    "through the depot's instance secret (or as ${ENV:VAR}), never as a literal",
                )
            )
        elif "\n" in value or "\r" in value:
            problems.append(Problem(path, "values must be a single line"))
        else:
            out[key] = value
    return out


class _Credentials:
    """Allocates ``${ENV:...}`` references and records their bindings."""

    def __init__(self) -> None:
        self.bindings: dict[str, SecretBinding] = {}

    def ref(self, catalog: str, role: str, binding: SecretBinding) -> str:
        var = f"TRINO_CATALOG_{catalog.upper()}_{role.upper()}"
        self.bindings[var] = binding
        return "${ENV:" + var + "}"


class _Catalog:
    """The catalog of one depot being rendered: where its problems go, and its credentials."""

    def __init__(
        self,
        cluster_depot: ClusterDepot,
        index: int,
        depot: Depot,
        secrets: list[InstanceSecret],
        settings: StackSettings,
        creds: _Credentials,
        problems: list[Problem],
    ) -> None:
        self.cluster_depot = cluster_depot
        self.where: tuple[str | int, ...] = ("cluster", "minerva", "depots", index)
        self.depot = depot
        self.name = depot.name
        self.secrets = secrets
        self.settings = settings
        self.creds = creds
        self.problems = problems

    def problem(self, message: str) -> None:
        self.problems.append(Problem(self.where, message))

    def pick(self, roles: tuple[str, ...]) -> tuple[InstanceSecret, dict[str, str]] | None:
        """The instance secret whose keys the catalog uses, and the key of each role found in it: of
        the cluster's refs, else of the acl the address asks for (``?acl=``), else r before rw, the
        first that holds every role (else the one that holds most). Only the keys the depot's (and the
        cluster's) reference lets it use count (``Depot.usable_keys``, ``SecretRef.usable_keys``)."""
        candidates = self.secrets
        cluster_refs: dict[str, list[SecretRef]] = {}
        if self.cluster_depot.secrets:
            by_name = {s.name: s for s in self.secrets}
            candidates = []
            for index, ref in enumerate(self.cluster_depot.secrets):
                if ref.name not in by_name:
                    self.problems.append(
                        Problem(
                            (*self.where, "secrets", index, "name"),
                            f"{ref.name!r} is not one of depot {self.name}'s secrets "
                            f"({', '.join(sorted(by_name)) or 'none'})",
                        )
                    )
                    return None
                candidates.append(by_name[ref.name])
                cluster_refs.setdefault(ref.name, []).append(ref)
        elif self.cluster_depot.parsed.acl:
            acl = self.cluster_depot.parsed.acl
            candidates = [s for s in self.secrets if s.acl.value == acl] or self.secrets
        best: tuple[InstanceSecret, dict[str, str]] | None = None
        for secret in candidates:
            keys = keys_refs_allow(cluster_refs.get(secret.name, []), self.depot.usable_keys(secret))
            found = {role: key for role in roles if (key := find_key(keys, role)) is not None}
            if len(found) == len(roles):
                return secret, found
            if best is None or len(found) > len(best[1]):
                best = (secret, found)
        return best

    def env(
        self, role: str, secret: InstanceSecret, key: str, encoding: Literal["text", "base64"] = "text"
    ) -> str:
        """``${ENV:VAR}`` for key ``key`` of ``secret``."""
        return self.creds.ref(self.name, role, SecretBinding(secret.name, key, encoding))

    def user_password(self, *, required: bool = True) -> tuple[str, str | None] | None:
        """``${ENV:...}`` references of the user and (if any) the password of the depot's secret."""
        picked = self.pick(("user", "password"))
        if picked is None or "user" not in picked[1]:
            if required and (picked is not None or not self.cluster_depot.secrets):
                self.problem(
                    f"depot {self.name} needs an instance secret with a 'username' (and usually a "
                    "'password') for its Trino catalog"
                )
            return None
        secret, keys = picked
        password = self.env("password", secret, keys["password"]) if "password" in keys else None
        return self.env("user", secret, keys["user"]), password


def _param_text(value: str | int | bool) -> str:
    """A JDBC URL parameter as drivers read it: YAML booleans as ``true``/``false`` (not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query(params: dict[str, str | int | bool]) -> str:
    return "&".join(f"{quote(str(k))}={quote(_param_text(v))}" for k, v in sorted(params.items()))


def _jdbc_url(
    connector: str, host: str, port: int, database: str | None, params: dict[str, str | int | bool]
) -> str:
    """The JDBC URL of ``connector`` (a value of ``TRINO_JDBC_CONNECTORS``)."""
    if connector == "sqlserver":
        url = f"jdbc:sqlserver://{host}:{port}" + (f";databaseName={database}" if database else "")
        return url + "".join(f";{k}={_param_text(v)}" for k, v in sorted(params.items()))
    if connector == "oracle":
        return f"jdbc:oracle:thin:@//{host}:{port}/{database or ''}"
    url = f"jdbc:{connector}://{host}:{port}"
    if database and connector not in ("mysql", "mariadb", "singlestore"):
        url += f"/{database}"
    query = _query(params)
    return url + (f"?{query}" if query else "")


def _jdbc(catalog: _Catalog, connector: str, url: str) -> dict[str, str]:
    props = {"connector.name": connector, "connection-url": url}
    credentials = catalog.user_password()
    if credentials is not None:
        props["connection-user"] = credentials[0]
        if credentials[1] is not None:
            props["connection-password"] = credentials[1]
    return props


_DATABASE_CONNECTORS: dict[type[DatabaseServer], str] = {
    RedshiftConnection: "redshift",
    PostgresConnection: "postgresql",
    MySqlConnection: "mysql",
    SqlServerConnection: "sqlserver",
}
"""The Trino connector of each database depot type; a JDBC depot's follows from its subprotocol
(``TRINO_JDBC_CONNECTORS``)."""


def _database(catalog: _Catalog, connection: DatabaseServer) -> dict[str, str]:
    connector = _DATABASE_CONNECTORS.get(type(connection))
    if connector is None:
        connector = TRINO_JDBC_CONNECTORS[connection.subprotocol.lower()]  # trino_gap checked it
    url = _jdbc_url(connector, connection.host, connection.port, connection.database, dict(connection.params))
    return _jdbc(catalog, connector, url)


def _oracle(catalog: _Catalog, connection: OracleConnection) -> dict[str, str]:
    if connection.params:
        catalog.problem(f"depot {catalog.name}: an Oracle JDBC URL takes no params; give them as properties")
    url = _jdbc_url("oracle", connection.host, connection.port, connection.service, {})
    return _jdbc(catalog, "oracle", url)


def _snowflake(catalog: _Catalog, connection: SnowflakeConnection) -> dict[str, str]:
    host = re.sub(r"^(jdbc:snowflake://|https?://)", "", connection.url).rstrip("/")
    props = _jdbc(catalog, "snowflake", f"jdbc:snowflake://{host}")
    if connection.account:
        props["snowflake.account"] = connection.account
    props["snowflake.database"] = connection.database
    props["snowflake.warehouse"] = connection.warehouse
    if connection.role:
        props["snowflake.role"] = connection.role
    return props


def _lakehouse(catalog: _Catalog, connection: ObjectStore) -> dict[str, str]:
    """An object store read through its metastore (the stack's Glue Data Catalog unless the depot
    names its own) and Trino's native file system for its cloud."""
    connector = {DataFormat.ICEBERG: "iceberg", DataFormat.DELTA: "delta_lake"}.get(connection.format, "hive")
    props: dict[str, str] = {"connector.name": connector}
    glue = connection.metastore_url is None
    if glue:
        props.update(_glue(catalog, connection, connector))
    else:
        props.update(_own_metastore(catalog, connection, connector))
    if isinstance(connection, S3Connection):
        region = connection.region or catalog.settings.region
        if region is None and not glue:  # (with Glue, _glue says so)
            catalog.problem(f"S3 depot {catalog.name} has no region: set s3.region or the stack's region")
        props.update(_s3_file_system(catalog, connection, region or "unknown", glue=glue))
    elif isinstance(connection, GcsConnection):
        props.update(_gcs_file_system(catalog))
    elif isinstance(connection, AzureConnection):
        props.update(_azure_file_system(catalog, connection))
    return props


def _glue(catalog: _Catalog, connection: ObjectStore, connector: str) -> dict[str, str]:
    props = {"iceberg.catalog.type": "glue"} if connector == "iceberg" else {"hive.metastore": "glue"}
    s3_region = connection.region if isinstance(connection, S3Connection) else None
    region = s3_region or catalog.settings.region
    if region is None:
        where = (
            "depot s3.region or the stack's region"
            if isinstance(connection, S3Connection)
            else "the stack's region (the region of the Glue Data Catalog)"
        )
        catalog.problem(f"{catalog.depot.depot_type.value} depot {catalog.name} has no region: set {where}")
        region = "unknown"
    props["hive.metastore.glue.region"] = region
    props["hive.metastore.glue.default-warehouse-dir"] = _location(
        catalog.depot, connection, catalog.settings
    )
    return props


def _own_metastore(catalog: _Catalog, connection: ObjectStore, connector: str) -> dict[str, str]:
    """The depot's metastoreUrl: an Iceberg REST catalog (metastoreType rest, or an http(s) URL of an
    Iceberg depot) or a Hive metastore (thrift)."""
    url = connection.metastore_url or ""
    kind = connection.metastore_type
    if kind is None:
        kind = MetastoreType.REST if connector == "iceberg" and url.startswith("http") else MetastoreType.HIVE
    if kind == MetastoreType.REST:
        if connector != "iceberg":
            catalog.problem(
                f"depot {catalog.name}: a REST metastore serves Iceberg tables, and the depot's format "
                f"is {connection.format.value}"
            )
        return {"iceberg.catalog.type": "rest", "iceberg.rest-catalog.uri": url}
    props = (
        {"iceberg.catalog.type": "hive_metastore"} if connector == "iceberg" else {"hive.metastore": "thrift"}
    )
    props["hive.metastore.uri"] = url
    return props


def _location(depot: Depot, connection: ObjectStore, settings: StackSettings) -> str:
    """Where the depot's data is: the physical bucket of a managed S3 depot, else as written."""
    if isinstance(connection, S3Connection) and not depot.depot.external:
        return f"s3://{settings.bucket_name(connection.bucket)}/{connection.prefix}".rstrip("/")
    return connection.location


def _s3_file_system(
    catalog: _Catalog, connection: S3Connection, region: str, *, glue: bool
) -> dict[str, str]:
    props = {NATIVE_S3_ENABLED: "true", "s3.region": region}
    if connection.endpoint:
        props["s3.endpoint"] = connection.endpoint
        props["s3.path-style-access"] = "true"
    picked = catalog.pick(("aws_access_key", "aws_secret_key"))
    if picked is not None:
        secret, keys = picked
        if len(keys) == 2:
            access = catalog.env("aws_access_key", secret, keys["aws_access_key"])
            secret_key = catalog.env("aws_secret_key", secret, keys["aws_secret_key"])
            props["s3.aws-access-key"] = access
            props["s3.aws-secret-key"] = secret_key
            if glue:
                props["hive.metastore.glue.aws-access-key"] = access
                props["hive.metastore.glue.aws-secret-key"] = secret_key
        elif keys:
            catalog.problem(
                f"instance secret {secret.name} has only part of an AWS key pair (needs an access key id "
                "such as 'awsaccesskeyid' and a secret such as 'awssecretaccesskey')"
            )
    # No keys: Trino uses the default AWS credential chain (for example IRSA on the pod).
    return props


def _gcs_file_system(catalog: _Catalog) -> dict[str, str]:
    props = {"fs.native-gcs.enabled": "true"}
    picked = catalog.pick(("gcs_json_key", "gcp_project"))
    if picked is not None:
        secret, keys = picked
        if "gcp_project" in keys:
            props["gcs.project-id"] = catalog.env("gcp_project", secret, keys["gcp_project"])
        if "gcs_json_key" in keys:
            props["gcs.json-key"] = catalog.env("gcs_json_key", secret, keys["gcs_json_key"])
    # No key: the default Google credentials of the pod. Glue is reached with the pod's AWS role.
    return props


def _azure_file_system(catalog: _Catalog, connection: AzureConnection) -> dict[str, str]:
    props = {"fs.native-azure.enabled": "true"}
    picked = catalog.pick(("azure_account_key",))
    if picked is None or not picked[1]:
        catalog.problem(
            f"depot {catalog.name} needs an instance secret with 'azurestorageaccountkey' for its "
            "Trino catalog"
        )
    else:
        secret, keys = picked
        props["azure.auth-type"] = "ACCESS_KEY"
        props["azure.access-key"] = catalog.env("azure_account_key", secret, keys["azure_account_key"])
    if connection.endpoint_suffix != "core.windows.net":
        props["azure.endpoint"] = connection.endpoint_suffix
    return props


def _bigquery(catalog: _Catalog, connection: BigQueryConnection) -> dict[str, str]:
    props = {"connector.name": "bigquery"}
    picked = catalog.pick(("bigquery_json_key", "gcp_project"))
    secret, keys = picked if picked is not None else (None, {})
    if connection.project:
        props["bigquery.project-id"] = connection.project
    elif secret is not None and "gcp_project" in keys:
        props["bigquery.project-id"] = catalog.env("gcp_project", secret, keys["gcp_project"])
    else:
        catalog.problem(
            f"depot {catalog.name} needs a project: bigquery.project, or 'projectid' in its secret"
        )
    if secret is not None and "bigquery_json_key" in keys:
        key = keys["bigquery_json_key"]
        props["bigquery.credentials-key"] = catalog.env("bigquery_json_key", secret, key, "base64")
    return props


def _mongodb(catalog: _Catalog, connection: MongoDbConnection) -> dict[str, str]:
    credentials = catalog.user_password(required=False)
    userinfo = ""
    if credentials is not None:
        userinfo = credentials[0] + (f":{credentials[1]}" if credentials[1] is not None else "") + "@"
    query = _query(dict(connection.params))
    url = f"{connection.subprotocol}://{userinfo}{','.join(connection.nodes)}/" + (
        f"?{query}" if query else ""
    )
    return {"connector.name": "mongodb", "mongodb.connection-url": url}


def _search(catalog: _Catalog, connection: SearchConnection) -> dict[str, str]:
    prefix = "opensearch" if isinstance(connection, OpenSearchConnection) else "elasticsearch"
    hosts: list[str] = []
    ports: set[int] = set()
    tls = False
    for node in connection.nodes:
        scheme, _, rest = node.rpartition("://")
        tls = tls or scheme == "https"
        host, _, port = rest.rstrip("/").partition(":")
        hosts.append(host)
        ports.add(int(port) if port.isdigit() else 9200)
    if len(ports) > 1:
        catalog.problem(f"depot {catalog.name}: Trino's {prefix} connector takes one port for all nodes")
    props = {"connector.name": prefix, f"{prefix}.host": ",".join(hosts), f"{prefix}.port": str(min(ports))}
    if tls:
        props[f"{prefix}.tls.enabled"] = "true"
    credentials = catalog.user_password(required=False)
    if credentials is not None:
        props[f"{prefix}.security"] = "PASSWORD"
        props[f"{prefix}.auth.user"] = credentials[0]
        if credentials[1] is not None:
            props[f"{prefix}.auth.password"] = credentials[1]
    return props


def _kafka(catalog: _Catalog, connection: KafkaConnection) -> dict[str, str]:
    props = {"connector.name": "kafka", "kafka.nodes": ",".join(connection.brokers)}
    if connection.schema_registry_url:
        props["kafka.table-description-supplier"] = "CONFLUENT"
        props["kafka.confluent-schema-registry-url"] = connection.schema_registry_url
    picked = catalog.pick(("kafka_security_protocol",))
    if picked is not None and picked[1]:
        secret, keys = picked
        protocol = secret.instance_secret.data[keys["kafka_security_protocol"]].get_secret_value().upper()
        if protocol.startswith("SASL"):
            catalog.problem(
                f"depot {catalog.name} authenticates with SASL ({protocol}), which Trino's Kafka connector "
                "takes only from a client configuration file (kafka.config.resources); catalogs made "
                "from depots hold no files"
            )
        elif protocol == "SSL":
            props["kafka.security-protocol"] = "SSL"
    return props


_RENDERERS: list[tuple[type[Connection], Callable[[_Catalog, Connection], dict[str, str]]]] = [
    (ObjectStore, _lakehouse),  # type: ignore[list-item]
    (DatabaseServer, _database),  # type: ignore[list-item]
    (OracleConnection, _oracle),  # type: ignore[list-item]
    (SnowflakeConnection, _snowflake),  # type: ignore[list-item]
    (BigQueryConnection, _bigquery),  # type: ignore[list-item]
    (MongoDbConnection, _mongodb),  # type: ignore[list-item]
    (SearchConnection, _search),  # type: ignore[list-item]
    (KafkaConnection, _kafka),  # type: ignore[list-item]
]
"""The catalog of each kind of connection (the first class the connection is an instance of)."""


def _schema_for(depot: Depot, collection: str, settings: StackSettings) -> str:
    """The Trino schema of ``dataos://<depot>:<collection>``: the Glue database for lakehouse depots."""
    if isinstance(depot.connection, ObjectStore):
        return settings.glue_database_name(depot.name, collection)
    return collection


def depot_catalog(catalog: _Catalog) -> RenderedCatalog | None:
    """The catalog of one depot entry of the cluster; None (and a problem) when it has none."""
    depot, settings, cluster_depot = catalog.depot, catalog.settings, catalog.cluster_depot
    connection = depot.connection
    gap = trino_gap(depot.depot_type, connection)
    renderer = next((r for kind, r in _RENDERERS if isinstance(connection, kind)), None)
    if gap is not None or renderer is None:
        catalog.problem(f"depot {depot.name} ({depot.depot_type.value}) has no Trino catalog: {gap}")
        return None
    props = renderer(catalog, connection)
    schemas: dict[str, str] = {}
    collection = cluster_depot.parsed.collection
    if collection:
        schemas[collection] = _schema_for(depot, collection, settings)
    props.update(check_properties(dict(cluster_depot.properties), catalog.where, catalog.problems, props))
    return RenderedCatalog(depot.name, props["connector.name"], props, f"depot:{depot.name}", schemas)


def render_catalogs(
    cluster: Cluster,
    depots: dict[str, Depot],
    depot_secrets: dict[str, list[InstanceSecret]],
    settings: StackSettings,
    problems: list[Problem],
) -> tuple[dict[str, RenderedCatalog], dict[str, SecretBinding]]:
    creds = _Credentials()
    catalogs: dict[str, RenderedCatalog] = {}
    seen_depots: dict[str, int] = {}
    for index, cluster_depot in enumerate(cluster.minerva.depots):
        depot_name = cluster_depot.parsed.depot
        where: tuple[str | int, ...] = ("cluster", "minerva", "depots", index, "address")
        if depot_name in seen_depots:
            first = catalogs.get(depot_name)
            collection = cluster_depot.parsed.collection
            if first is not None and collection:
                first.schemas[collection] = _schema_for(depots[depot_name], collection, settings)
            if cluster_depot.properties:
                problems.append(
                    Problem(
                        where, f"depot {depot_name} is listed twice; give its properties on the first entry"
                    )
                )
            continue
        seen_depots[depot_name] = index
        depot = depots.get(depot_name)
        if depot is None:
            problems.append(Problem(where, f"depot {depot_name!r} is not among the manifests"))
            continue
        secrets = depot_secrets.get(depot_name, [])
        rendered = depot_catalog(_Catalog(cluster_depot, index, depot, secrets, settings, creds, problems))
        if rendered is not None:
            catalogs[rendered.name] = rendered
    for index, catalog in enumerate(cluster.minerva.catalogs):
        where = ("cluster", "minerva", "catalogs", index)
        if catalog.name in catalogs:
            problems.append(
                Problem(
                    (*where, "name"),
                    f"catalog {catalog.name!r} clashes with the catalog of depot {catalog.name}; rename it",
                )
            )
            continue
        props = {"connector.name": catalog.type}
        props.update(check_properties(dict(catalog.properties), where, problems))
        if props["connector.name"] != catalog.type:
            problems.append(
                Problem((*where, "properties", "connector.name"), "set the connector with 'type'")
            )
            props["connector.name"] = catalog.type
        catalogs[catalog.name] = RenderedCatalog(catalog.name, catalog.type, props, "catalog", {})
    _check_env_references(cluster, seen_depots, creds.bindings, problems)
    return catalogs, creds.bindings


def _check_env_references(
    cluster: Cluster,
    depot_entries: dict[str, int],
    bindings: dict[str, SecretBinding],
    problems: list[Problem],
) -> None:
    """Every ``${ENV:VAR}`` a catalog property uses must exist in the pods.

    A variable exists when it is bound to a key of an instance secret (the ``TRINO_CATALOG_*``
    variables of the depots this cluster addresses) or, for a property that is not a credential,
    when both coordinatorEnvs and workerEnvs set it as a plain variable. Anything else would reach
    Trino as an unset variable, and the catalog would fail to load.
    """
    minerva = cluster.minerva
    plain = {k for k in minerva.coordinator_envs if not k.startswith(("CONF__", "JVM__"))}
    plain &= set(minerva.worker_envs)
    entries: list[tuple[tuple[str | int, ...], dict[str, str]]] = [
        (("cluster", "minerva", "depots", index), dict(minerva.depots[index].properties))
        for index in depot_entries.values()
    ]
    entries.extend(
        (("cluster", "minerva", "catalogs", index), dict(catalog.properties))
        for index, catalog in enumerate(minerva.catalogs)
    )
    for where, properties in entries:
        for key, value in properties.items():
            for var in _ENV_USE.findall(value):
                if var in bindings:
                    continue
                if var in plain and not _SENSITIVE.search(key):
                    continue
                bound = ", ".join(sorted(bindings)) or "none: no depot of this cluster has credentials"
                plain_hint = (
                    ""
                    if _SENSITIVE.search(key)
                    else "; a value that is not a credential may also be a plain variable set in both "
                    "coordinatorEnvs and workerEnvs"
                )
                problems.append(
                    Problem(
                        (*where, "properties", key),
                        f"${{ENV:{var}}} is not bound to anything in the Trino pods, so the catalog would "
                        "not load. Credentials come from a depot's instance secret: use one of the "
                        f"variables bound to the depots' secrets ({bound}), or address the database as a "
                        f"depot{plain_hint}",
                    )
                )
