"""``depot``: a connection to a data source (v1 ``spec`` + inline secrets, or v2alpha typed block + refs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .base import (
    ResourceMeta,
    StrictModel,
    StrictName,
    drop_exported,
    new_dict,
    new_list,
    raise_at,
    reraisable,
)
from .connections import (
    BLOCK_MODELS,
    DEPOT_KINDS,
    AbfssConnection,
    BigQueryConnection,
    Connection,
    DepotType,
    DepotTypeField,
    ElasticsearchConnection,
    EventHubConnection,
    GcsConnection,
    JdbcConnection,
    KafkaConnection,
    MongoDbConnection,
    MySqlConnection,
    OpenSearchConnection,
    OracleConnection,
    PostgresConnection,
    PulsarConnection,
    RedshiftConnection,
    S3Connection,
    SnowflakeConnection,
    SqlServerConnection,
    WasbsConnection,
    depot_type,
)
from .instance_secret import Acl, InstanceSecret, InstanceSecretType, SecretFiles, SecretKey, SecretValue


class SecretRef(StrictModel):
    """A reference to an instance secret, with all of its keys (``allkeys: true``, also spelled
    ``allKeys``; DataOS's examples often list ``keys`` beside it, which ``allkeys`` then covers) or a
    subset (``keys``, or one ``key``): Trino catalogs and the scanner then take credentials only from
    the listed keys, each of which the secret must define (the secret's own name, as DataOS's
    examples list it, stands for all of its keys). ``workspace`` and ``consumptionType`` are
    DataOS's own (the cluster reference documents them) and kept as written."""

    name: str
    allkeys: bool = Field(default=False, validation_alias=AliasChoices("allkeys", "allKeys"))
    keys: list[str] = Field(default_factory=new_list)
    key: str | None = None
    workspace: str | None = None
    consumption_type: str | None = None

    @model_validator(mode="after")
    def _some_keys(self) -> SecretRef:
        if not self.allkeys and not self.keys and self.key is None:
            raise ValueError("give 'allkeys: true' or a list of 'keys' to take from the secret")
        return self

    @property
    def wanted_keys(self) -> list[str] | None:
        """The keys taken from the secret; None for all of them."""
        if self.allkeys:
            return None
        return [*self.keys, *([self.key] if self.key is not None and self.key not in self.keys else [])]

    def listed_keys(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Each key this reference lists (``keys`` entries, then ``key``) with the field that lists it,
        relative to the reference; none with ``allkeys``."""
        if self.allkeys:
            return []
        out: list[tuple[tuple[str | int, ...], str]] = [
            (("keys", index), key) for index, key in enumerate(self.keys)
        ]
        if self.key is not None:
            out.append((("key",), self.key))
        return out

    def usable_keys(self, defined: Iterable[str]) -> list[str]:
        """The keys of the referenced secret (``defined``: its ``data`` and ``files`` keys) a consumer
        (a Trino catalog, the scanner) may use: all of them with ``allkeys``, else only the listed
        ones. DataOS's published depot examples list the secret's own name under ``keys``
        (``name: pg-r`` with ``keys: [pg-r]``); a listed name of a key the secret does not define
        that is the secret's name stands for all of its keys."""
        keys = list(defined)
        wanted = self.wanted_keys
        if wanted is None or (self.name in wanted and self.name not in keys):
            return keys
        return [key for key in keys if key in wanted]

    def unknown_keys(self, defined: Iterable[str]) -> list[tuple[tuple[str | int, ...], str]]:
        """The listed keys (field, key) the referenced secret does not define (``defined``), but the
        secret's own name (see :meth:`usable_keys`)."""
        keys = set(defined)
        return [(at, key) for at, key in self.listed_keys() if key not in keys and key != self.name]


def keys_refs_allow(refs: Iterable[SecretRef], defined: Iterable[str]) -> list[str]:
    """Of a secret's keys (``defined``, in their order), those that any of ``refs`` (references to that
    secret) lets its user take (:meth:`SecretRef.usable_keys`); all of them when there is no reference."""
    keys, refs = list(defined), list(refs)
    if not refs:
        return keys
    allowed = {key for ref in refs for key in ref.usable_keys(keys)}
    return [key for key in keys if key in allowed]


class ConnectionSecret(SecretFiles, StrictModel):
    """v1: credentials written inline in the depot; they become an implicit instance secret."""

    acl: Acl
    type: InstanceSecretType = InstanceSecretType.KEY_VALUE_PROPERTIES
    data: dict[SecretKey, SecretValue] = Field(default_factory=new_dict)
    files: dict[SecretKey, str] = Field(default_factory=new_dict)
    _file_texts: dict[str, SecretStr] = PrivateAttr(default_factory=new_dict)


def _none_is_empty(value: Any) -> Any:
    """``secrets:`` written with no value (YAML null) holds no references (examples/.../mongo_vpce.yaml)."""
    return [] if value is None else value


class DepotSpec(StrictModel):
    """The connection goes under a block named after the type (v2alpha: s3, gcs, abfss, wasbs,
    redshift, postgres or postgresql, mysql, mssql, oracle, snowflake, bigquery, mongodb,
    elasticsearch, opensearch, kafka, pulsar, eventhub, jdbc; a JDBC depot may write a postgresql
    block) or under spec (v1, and v2alpha as some files write it), not both. Credentials are secrets
    (v2alpha, references to instance secrets) or connectionSecret (v1, inline; each entry becomes an
    implicit instance secret named <depot>-<acl>). name and owner, which the DataOS server writes
    into exported manifests, are ignored with a warning."""

    EXPORTED: ClassVar[tuple[str, ...]] = ("name", "owner")

    type: DepotTypeField
    description: str | None = None
    external: bool = False
    compute: str | None = None
    source: str | None = None
    owners: list[str] = Field(default_factory=new_list)
    meta: dict[str, Any] = Field(default_factory=new_dict)
    hive_sync: bool | None = Field(
        default=None, description="Sync to the Hive metastore (DataOS; unused here)."
    )
    secrets: Annotated[list[SecretRef], BeforeValidator(_none_is_empty)] = Field(
        default_factory=new_list,
        description="References to instance secrets; an empty 'secrets:' (null) is none.",
    )
    connection_secret: list[ConnectionSecret] = Field(default_factory=new_list)
    spec: dict[str, Any] | None = Field(
        default=None, description="Connection fields (v1, and v2alpha as some files write it)."
    )
    s3: S3Connection | None = None
    gcs: GcsConnection | None = None
    abfss: AbfssConnection | None = None
    wasbs: WasbsConnection | None = None
    redshift: RedshiftConnection | None = None
    postgres: PostgresConnection | None = None
    postgresql: PostgresConnection | None = None
    mysql: MySqlConnection | None = None
    mssql: SqlServerConnection | None = None
    oracle: OracleConnection | None = None
    snowflake: SnowflakeConnection | None = None
    bigquery: BigQueryConnection | None = None
    mongodb: MongoDbConnection | None = None
    elasticsearch: ElasticsearchConnection | None = None
    opensearch: OpenSearchConnection | None = None
    kafka: KafkaConnection | None = None
    pulsar: PulsarConnection | None = None
    eventhub: EventHubConnection | None = None
    jdbc: JdbcConnection | None = None

    _connection: Connection = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _block_matches_type(cls, data: Any) -> Any:
        """A block named after another type (``redshift:`` in an S3 depot) is the error, not its fields."""
        data = drop_exported(data, cls.EXPORTED, "depot")
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return data
        declared = depot_type(data["type"])
        if declared not in DEPOT_KINDS:
            return data
        allowed = DEPOT_KINDS[DepotType(declared)].blocks
        for block in BLOCK_MODELS:
            if block in data and block not in allowed:
                raise_at(
                    (block,),
                    f"block '{block}' does not match depot type {declared}; write the connection under "
                    f"'{allowed[0]}:' (or 'spec:'), or change 'type'",
                )
        return data

    @model_validator(mode="after")
    def _resolve_connection(self) -> DepotSpec:
        kind = DEPOT_KINDS[self.type]
        given = [(block, getattr(self, block)) for block in kind.blocks if getattr(self, block) is not None]
        if len(given) > 1:
            raise_at((given[1][0],), f"connection given twice: under '{given[0][0]}:' and '{given[1][0]}:'")
        if given and self.spec is not None:
            raise_at(("spec",), f"connection given twice: under 'spec:' and under '{given[0][0]}:'")
        typed: Connection | None = given[0][1] if given else None
        if typed is None:
            if self.spec is None and not kind.block_optional:
                raise PydanticCustomError(
                    "connection_missing",
                    "this {type} depot needs its connection under '{block}:' (v2alpha) or 'spec:' (v1)",
                    {"type": self.type.value, "block": kind.blocks[0]},
                )
            try:
                typed = kind.model.model_validate(self.spec or {})
            except ValidationError as exc:
                details = [reraisable(err, ("spec",)) for err in exc.errors()]
                raise ValidationError.from_exception_data("depot", details) from None
        self._connection = typed
        return self

    @property
    def connection(self) -> Connection:
        return self._connection


class Depot(ResourceMeta):
    """A data source connection, of any type DataOS documents. S3 depots may own their bucket
    (``external: false``); GCS, ABFSS and WASBS depots are used as they are (nothing is created
    outside AWS). A cluster may list a depot of any type with a Trino connector: every type but
    PULSAR and EVENTHUB, and JDBC depots of a subprotocol Trino reads."""

    KIND: ClassVar[str] = "depot"
    NAME_IS_STRICT: ClassVar[bool] = True

    name: StrictName
    version: Literal["v1", "v2alpha"]
    type: Literal["depot"]
    depot: DepotSpec

    @property
    def depot_type(self) -> DepotType:
        return self.depot.type

    @property
    def connection(self) -> Connection:
        return self.depot.connection

    @property
    def address(self) -> str:
        return f"dataos://{self.name}"

    def inline_secret_name(self, acl: Acl) -> str:
        """The name of the implicit instance secret made from a v1 inline ``connectionSecret``."""
        return f"{self.name}-{acl.value}"

    def usable_keys(self, secret: InstanceSecret) -> list[str]:
        """The keys of ``secret`` (``data`` then ``files``, as written) this depot's credentials may
        come from: what its references to ``secret`` allow (:meth:`SecretRef.usable_keys`; several
        references, what any allows), every key of a secret it does not reference (its inline v1
        secrets, a secret only a cluster names)."""
        return keys_refs_allow(
            [ref for ref in self.depot.secrets if ref.name == secret.name], secret.key_names()
        )
