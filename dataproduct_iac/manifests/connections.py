"""The connection of each depot type DataOS documents: its fields, the block it is written under, and
the keys its instance secrets hold.

A depot's connection is written under a block named after its type (v2alpha: ``s3:``, ``mysql:``)
or under ``spec:`` (v1). Fields follow DataOS's depot pages (``create_depot/*.md``) and the depot
service's models (its Kotlin SDK reference); secret keys follow the instance-secret pages
(``instance_secret/data_sources/*.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from .base import StrictModel, new_dict
from .values import upper_case as _upper


def any_case(enum: type[StrEnum], *extra: str) -> WithJsonSchema:
    """Schema of an enum that the model accepts in upper or lower case (``S3`` and ``s3``), plus
    ``extra`` spellings."""
    values = [*(member.value for member in enum), *extra]
    return WithJsonSchema(
        {
            "type": "string",
            "enum": [*values, *(v.lower() for v in values)],
            "description": "Upper or lower case.",
        }
    )


class DepotType(StrEnum):
    S3 = "S3"
    GCS = "GCS"
    ABFSS = "ABFSS"
    WASBS = "WASBS"
    REDSHIFT = "REDSHIFT"
    POSTGRES = "POSTGRES"
    MYSQL = "MYSQL"
    MSSQL = "MSSQL"
    ORACLE = "ORACLE"
    SNOWFLAKE = "SNOWFLAKE"
    BIGQUERY = "BIGQUERY"
    MONGODB = "MONGODB"
    ELASTICSEARCH = "ELASTICSEARCH"
    OPENSEARCH = "OPENSEARCH"
    KAFKA = "KAFKA"
    PULSAR = "PULSAR"
    EVENTHUB = "EVENTHUB"
    JDBC = "JDBC"


TYPE_SPELLINGS = {"POSTGRESQL": DepotType.POSTGRES}
"""Other spellings DataOS documents for a depot type (create_depot/postgre.md writes POSTGRESQL)."""


def depot_type(value: Any) -> Any:
    """A depot type as written (any case, documented spellings) → its :class:`DepotType` value."""
    if not isinstance(value, str):
        return value
    upper = value.upper()
    return TYPE_SPELLINGS.get(upper, upper)


DepotTypeField = Annotated[DepotType, BeforeValidator(depot_type), any_case(DepotType, *TYPE_SPELLINGS)]


class DataFormat(StrEnum):
    ICEBERG = "ICEBERG"
    PARQUET = "PARQUET"
    CSV = "CSV"
    JSON = "JSON"
    DELTA = "DELTA"


FormatField = Annotated[DataFormat, BeforeValidator(_upper), any_case(DataFormat)]


class IcebergCatalogType(StrEnum):
    HIVE = "HIVE"
    HADOOP = "HADOOP"


class MetastoreType(StrEnum):
    REST = "REST"
    HIVE = "HIVE"


Port = Annotated[int, Field(ge=1, le=65535)]
Params = Annotated[dict[str, str | int | bool], Field(default_factory=new_dict)]


class Connection(StrictModel):
    """A depot's connection block. ``SECRET_KEYS`` and ``SECRET_FILES``: the ``data`` and ``files``
    keys DataOS documents for the instance secrets of this type (the docstring of each model names
    them, for the manifest reference)."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = ()
    SECRET_FILES: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        doc = cls.__dict__.get("__doc__")
        if doc and (cls.SECRET_KEYS or cls.SECRET_FILES):
            keys = f"Instance secret keys: {', '.join(cls.SECRET_KEYS)}" if cls.SECRET_KEYS else ""
            files = f"files: {', '.join(cls.SECRET_FILES)}" if cls.SECRET_FILES else ""
            cls.__doc__ = f"{doc.rstrip()} {'; '.join(p for p in (keys, files) if p)}."


# -- object stores ---------------------------------------------------------------------------------


class ObjectStore(Connection):
    """A lakehouse location: bucket or container, a path below it and the table format. Its tables
    are in the stack's Glue Data Catalog unless metastoreUrl names the depot's own metastore (an
    Iceberg REST catalog with metastoreType rest, else a Hive metastore)."""

    relative_path: str | None = None
    format: FormatField = DataFormat.PARQUET
    iceberg_catalog_type: (
        Annotated[IcebergCatalogType, BeforeValidator(_upper), any_case(IcebergCatalogType)] | None
    ) = Field(default=None, description="Hive or Hadoop (DataOS's Iceberg catalogs).")
    metastore_type: Annotated[MetastoreType, BeforeValidator(_upper), any_case(MetastoreType)] | None = None
    metastore_url: str | None = Field(
        default=None,
        description="The depot's own metastore: an Iceberg REST catalog (metastoreType rest) or a Hive "
        "metastore; without it, the stack's Glue Data Catalog.",
    )

    @property
    def prefix(self) -> str:
        """The key prefix under the bucket, without leading or trailing slashes ('' for the root)."""
        return (self.relative_path or "").strip("/")

    @property
    def root(self) -> str:
        """The URI of the bucket or container (no trailing slash)."""
        raise NotImplementedError

    @property
    def location(self) -> str:
        """The URI of the depot's data: the root and the relative path."""
        return f"{self.root}/{self.prefix}".rstrip("/")


class S3Connection(ObjectStore):
    """Amazon S3."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = (
        "awsaccesskeyid",
        "awssecretaccesskey",
        "accesskeyid",
        "secretkey",
    )

    scheme: Literal["s3", "s3a"] = "s3a"
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
    endpoint: str | None = None

    @property
    def root(self) -> str:
        return f"s3://{self.bucket}"


class GcsConnection(ObjectStore):
    """Google Cloud Storage (external: nothing is created outside AWS)."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = ("projectid", "email")
    SECRET_FILES: ClassVar[tuple[str, ...]] = ("gcskey_json",)

    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")

    @property
    def root(self) -> str:
        return f"gs://{self.bucket}"


class AzureConnection(ObjectStore):
    """Azure storage: a container of a storage account (external: nothing is created outside AWS)."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = (
        "azurestorageaccountname",
        "azurestorageaccountkey",
        "azureendpointsuffix",
    )
    SCHEME: ClassVar[str] = ""
    SERVICE: ClassVar[str] = ""

    account: str = Field(pattern=r"^[a-z0-9]{3,24}$", description="The storage account.")
    container: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
    endpoint_suffix: str = Field(default="core.windows.net", description="Azure's DNS suffix.")

    @property
    def root(self) -> str:
        return f"{self.SCHEME}://{self.container}@{self.account}.{self.SERVICE}.{self.endpoint_suffix}"


class AbfssConnection(AzureConnection):
    """Azure Data Lake Storage Gen2 (ABFSS)."""

    SCHEME: ClassVar[str] = "abfss"
    SERVICE: ClassVar[str] = "dfs"


class WasbsConnection(AzureConnection):
    """Azure Blob Storage (WASBS)."""

    SCHEME: ClassVar[str] = "wasbs"
    SERVICE: ClassVar[str] = "blob"


# -- databases -------------------------------------------------------------------------------------

_USER_PASSWORD = ("username", "password")


class DatabaseServer(Connection):
    """A database server addressed by JDBC subprotocol, host, port and database, with a user and
    password in its instance secrets. The field order (subprotocol, host, port, database, params) is
    the order of the manifest reference and the JSON Schema; each kind overrides the defaults."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = _USER_PASSWORD

    subprotocol: str
    host: str
    port: Port
    database: str
    params: Params


class RedshiftConnection(DatabaseServer):
    """Amazon Redshift."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = (*_USER_PASSWORD, "awsaccesskeyid", "awssecretaccesskey")

    subprotocol: str = "redshift"
    port: Port = 5439
    scheme: str | None = None
    bucket: str | None = None
    relative_path: str | None = None


class JdbcConnection(DatabaseServer):
    """A database over JDBC, named by its subprotocol (postgresql, mysql, sqlserver, oracle, ...)."""


class PostgresConnection(DatabaseServer):
    """PostgreSQL."""

    subprotocol: str = "postgresql"
    port: Port = 5432


class MySqlConnection(DatabaseServer):
    """MySQL (a server: the database is optional)."""

    subprotocol: str = "mysql"
    port: Port = 3306
    # The one database server whose database may be absent (the URL names the server only).
    database: str | None = None  # type: ignore[assignment]


class SqlServerConnection(DatabaseServer):
    """Microsoft SQL Server."""

    subprotocol: str = "sqlserver"
    port: Port = 1433


# Not a DatabaseServer: Oracle is addressed by a service, not a database.
class OracleConnection(Connection):
    """Oracle, addressed by service name."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = _USER_PASSWORD

    subprotocol: str = Field(default="oracle:thin", description="For example 'oracle:thin'.")
    host: str
    port: Port = 1521
    service: str
    params: Params


class SnowflakeConnection(Connection):
    """Snowflake."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = (*_USER_PASSWORD, "key", "passphrase", "auth_mode")

    warehouse: str
    url: str
    database: str
    account: str | None = None
    role: str | None = None
    schema_: str | None = Field(default=None, alias="schema", description="Default schema (Nilus).")
    params: Params


class BigQueryConnection(Connection):
    """Google BigQuery; the block is optional (the project then comes from the secret)."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = ("projectid", "email")
    SECRET_FILES: ClassVar[tuple[str, ...]] = ("json_keyfile",)

    project: str | None = None
    params: Params
    temporary_bucket: str | None = None
    persistent_bucket: str | None = None


class MongoDbConnection(Connection):
    """MongoDB: nodes as host:port (no port with mongodb+srv)."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = _USER_PASSWORD

    subprotocol: Literal["mongodb", "mongodb+srv"] = "mongodb"
    nodes: list[str] = Field(min_length=1)
    params: Params


class SearchConnection(Connection):
    """A search cluster: nodes as host:port."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = _USER_PASSWORD

    nodes: list[str] = Field(min_length=1)
    params: Params


class ElasticsearchConnection(SearchConnection):
    """Elasticsearch."""


class OpenSearchConnection(SearchConnection):
    """OpenSearch."""


class KafkaConnection(Connection):
    """Apache Kafka."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = (
        *_USER_PASSWORD,
        "security_protocol",
        "sasl_mechanism",
        "trust_store_type",
        "trust_store_password",
    )
    SECRET_FILES: ClassVar[tuple[str, ...]] = ("ca_file", "trust_store_file")

    brokers: list[str] = Field(min_length=1, description="host:port of each broker.")
    schema_registry_url: str | None = None
    params: Params


class PulsarConnection(Connection):
    """Apache Pulsar (no instance secret)."""

    admin_url: str
    service_url: str
    tenant: str
    params: Params


class EventHubConnection(Connection):
    """Azure Event Hubs."""

    SECRET_KEYS: ClassVar[tuple[str, ...]] = ("eh_shared_access_key_name", "eh_shared_access_key")

    endpoint: str = Field(description="sb://<namespace>.servicebus.windows.net/")
    params: Params


@dataclass(frozen=True)
class DepotKind:
    """What a depot type reads: its connection model and the blocks it may be written under."""

    model: type[Connection]
    blocks: tuple[str, ...]
    """Block names, the canonical one (the type in lower case) first."""
    block_optional: bool = False
    """True when DataOS documents the block as optional (every field is)."""


DEPOT_KINDS: dict[DepotType, DepotKind] = {
    DepotType.S3: DepotKind(S3Connection, ("s3",)),
    DepotType.GCS: DepotKind(GcsConnection, ("gcs",)),
    DepotType.ABFSS: DepotKind(AbfssConnection, ("abfss",)),
    DepotType.WASBS: DepotKind(WasbsConnection, ("wasbs",)),
    DepotType.REDSHIFT: DepotKind(RedshiftConnection, ("redshift",)),
    DepotType.POSTGRES: DepotKind(PostgresConnection, ("postgresql", "postgres")),
    DepotType.MYSQL: DepotKind(MySqlConnection, ("mysql",)),
    DepotType.MSSQL: DepotKind(SqlServerConnection, ("mssql",)),
    DepotType.ORACLE: DepotKind(OracleConnection, ("oracle",)),
    DepotType.SNOWFLAKE: DepotKind(SnowflakeConnection, ("snowflake",)),
    DepotType.BIGQUERY: DepotKind(BigQueryConnection, ("bigquery",), block_optional=True),
    DepotType.MONGODB: DepotKind(MongoDbConnection, ("mongodb",)),
    DepotType.ELASTICSEARCH: DepotKind(ElasticsearchConnection, ("elasticsearch",)),
    DepotType.OPENSEARCH: DepotKind(OpenSearchConnection, ("opensearch",)),
    DepotType.KAFKA: DepotKind(KafkaConnection, ("kafka",)),
    DepotType.PULSAR: DepotKind(PulsarConnection, ("pulsar",)),
    DepotType.EVENTHUB: DepotKind(EventHubConnection, ("eventhub",)),
    # The JDBC depot of create_depot/postgre.md... and examples/.../ps_v2alpha.yaml writes its
    # connection under 'postgresql:'.
    DepotType.JDBC: DepotKind(JdbcConnection, ("jdbc", "postgresql")),
}
"""Every depot type: its connection model and blocks."""

BLOCK_MODELS: dict[str, type[Connection]] = {
    "postgresql": PostgresConnection,
    **{kind.blocks[0]: kind.model for kind in DEPOT_KINDS.values()},
}
"""The model of each block name (``postgresql:`` holds a PostgreSQL connection under any type)."""


# -- Trino -----------------------------------------------------------------------------------------

TRINO_JDBC_CONNECTORS = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "redshift": "redshift",
    "mysql": "mysql",
    "mariadb": "mariadb",
    "sqlserver": "sqlserver",
    "oracle": "oracle",
    "oracle:thin": "oracle",
    "singlestore": "singlestore",
    "clickhouse": "clickhouse",
}
"""JDBC subprotocol → the Trino connector that reads it (each ships with the trinodb/trino image)."""

NO_TRINO_CONNECTOR = {
    DepotType.PULSAR: "Trino has no connector for Apache Pulsar",
    DepotType.EVENTHUB: "Trino has no connector for Azure Event Hubs",
}
"""Depot types no Trino catalog can read, and why."""


def trino_gap(depot_type: DepotType, connection: Connection) -> str | None:
    """Why no Trino catalog can be made for a depot of this type and connection (None: one can)."""
    if depot_type in NO_TRINO_CONNECTOR:
        return NO_TRINO_CONNECTOR[depot_type]
    if isinstance(connection, JdbcConnection):
        subprotocol = connection.subprotocol.lower()
        if subprotocol not in TRINO_JDBC_CONNECTORS:
            known = ", ".join(sorted(TRINO_JDBC_CONNECTORS))
            return f"Trino has no connector for JDBC subprotocol {subprotocol!r} (it has: {known})"
    return None
