"""``depot``: a connection to a data source (v1 ``spec`` + inline secrets, or v2alpha typed block + refs)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .base import ResourceMeta, StrictModel, StrictName, new_dict, new_list, raise_at, reraisable
from .instance_secret import Acl, InstanceSecretType, SecretFiles, SecretKey, SecretValue


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class DepotType(StrEnum):
    S3 = "S3"
    REDSHIFT = "REDSHIFT"
    POSTGRES = "POSTGRES"
    JDBC = "JDBC"
    SNOWFLAKE = "SNOWFLAKE"


class DataFormat(StrEnum):
    ICEBERG = "ICEBERG"
    PARQUET = "PARQUET"
    CSV = "CSV"
    JSON = "JSON"
    DELTA = "DELTA"


def _any_case(enum: type[StrEnum]) -> WithJsonSchema:
    """Schema of an enum that the model accepts in upper or lower case (``S3`` and ``s3``)."""
    values = [member.value for member in enum]
    return WithJsonSchema(
        {
            "type": "string",
            "enum": [*values, *(v.lower() for v in values)],
            "description": "Upper or lower case.",
        }
    )


class S3Connection(StrictModel):
    scheme: Literal["s3", "s3a"] = "s3a"
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    relative_path: str | None = None
    format: Annotated[DataFormat, BeforeValidator(_upper), _any_case(DataFormat)] = DataFormat.PARQUET
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
    endpoint: str | None = None

    @property
    def prefix(self) -> str:
        """The key prefix under the bucket, without leading or trailing slashes ('' for the root)."""
        return (self.relative_path or "").strip("/")


class RedshiftConnection(StrictModel):
    subprotocol: str = "redshift"
    host: str
    port: int = Field(default=5439, ge=1, le=65535)
    database: str
    bucket: str | None = None
    relative_path: str | None = None


class PostgresConnection(StrictModel):
    subprotocol: str = "postgresql"
    host: str
    port: int = Field(default=5432, ge=1, le=65535)
    database: str
    params: dict[str, str | int | bool] = Field(default_factory=new_dict)


class JdbcConnection(StrictModel):
    subprotocol: str
    host: str
    port: int = Field(ge=1, le=65535)
    database: str
    params: dict[str, str | int | bool] = Field(default_factory=new_dict)


class SnowflakeConnection(StrictModel):
    warehouse: str
    url: str
    database: str
    account: str | None = None
    role: str | None = None


Connection = S3Connection | RedshiftConnection | PostgresConnection | JdbcConnection | SnowflakeConnection

CONNECTION_MODELS: dict[DepotType, type[StrictModel]] = {
    DepotType.S3: S3Connection,
    DepotType.REDSHIFT: RedshiftConnection,
    DepotType.POSTGRES: PostgresConnection,
    DepotType.JDBC: JdbcConnection,
    DepotType.SNOWFLAKE: SnowflakeConnection,
}


class SecretRef(StrictModel):
    """v2alpha: a reference to an instance secret, with all of its keys or a subset."""

    name: str
    allkeys: bool = False
    keys: list[str] = Field(default_factory=new_list)

    @model_validator(mode="after")
    def _one_of(self) -> SecretRef:
        if self.allkeys and self.keys:
            raise ValueError("give either 'allkeys: true' or 'keys', not both")
        if not self.allkeys and not self.keys:
            raise ValueError("give 'allkeys: true' or a list of 'keys' to take from the secret")
        return self


class ConnectionSecret(SecretFiles, StrictModel):
    """v1: credentials written inline in the depot; they become an implicit instance secret."""

    acl: Acl
    type: InstanceSecretType = InstanceSecretType.KEY_VALUE_PROPERTIES
    data: dict[SecretKey, SecretValue] = Field(default_factory=new_dict)
    files: dict[SecretKey, str] = Field(default_factory=new_dict)
    _file_texts: dict[str, SecretStr] = PrivateAttr(default_factory=new_dict)


class DepotSpec(StrictModel):
    """The connection goes under a block named after the type (v2alpha: s3, redshift, postgres, jdbc,
    snowflake) or under spec (v1, and v2alpha as some files write it), not both. Credentials are
    secrets (v2alpha, references to instance secrets) or connectionSecret (v1, inline; each entry
    becomes an implicit instance secret named <depot>-<acl>). A depot with a read-write (rw)
    secret must also have a read (r) secret."""

    type: Annotated[DepotType, BeforeValidator(_upper), _any_case(DepotType)]
    description: str | None = None
    external: bool = False
    compute: str | None = None
    source: str | None = None
    secrets: list[SecretRef] = Field(default_factory=new_list)
    connection_secret: list[ConnectionSecret] = Field(default_factory=new_list)
    spec: dict[str, Any] | None = Field(
        default=None, description="Connection fields (v1, and v2alpha as some files write it)."
    )
    s3: S3Connection | None = None
    redshift: RedshiftConnection | None = None
    postgres: PostgresConnection | None = None
    jdbc: JdbcConnection | None = None
    snowflake: SnowflakeConnection | None = None

    _connection: Connection = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _block_matches_type(cls, data: Any) -> Any:
        """A block named after another type (``redshift:`` in an S3 depot) is the error, not its fields."""
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            return data
        declared = data["type"].upper()
        if declared not in DepotType.__members__.values():
            return data
        for kind in DepotType:
            block = kind.value.lower()
            if block in data and kind.value != declared:
                raise_at(
                    (block,),
                    f"block '{block}' does not match depot type {declared}; write the connection under "
                    f"'{declared.lower()}:' (or 'spec:'), or change 'type'",
                )
        return data

    @model_validator(mode="after")
    def _resolve_connection(self) -> DepotSpec:
        blocks = {t: getattr(self, t.value.lower()) for t in DepotType}
        typed = blocks[self.type]
        if typed is not None and self.spec is not None:
            raise_at(
                ("spec",), f"connection given twice: under 'spec:' and under '{self.type.value.lower()}:'"
            )
        if typed is None:
            if self.spec is None:
                raise PydanticCustomError(
                    "connection_missing",
                    "this {type} depot needs its connection under '{block}:' (v2alpha) or 'spec:' (v1)",
                    {"type": self.type.value, "block": self.type.value.lower()},
                )
            try:
                typed = CONNECTION_MODELS[self.type].model_validate(self.spec)
            except ValidationError as exc:
                details = [reraisable(err, ("spec",)) for err in exc.errors()]
                raise ValidationError.from_exception_data("depot", details) from None
        self._connection = typed
        acls = {secret.acl for secret in self.connection_secret}
        if Acl.READ_WRITE in acls and Acl.READ not in acls:
            raise_at(
                ("connectionSecret",),
                "connectionSecret has an 'rw' entry but no 'r' entry; DataOS refuses a depot with a "
                "read-write (acl rw) secret and no read (acl r) secret: add an entry with 'acl: r'",
            )
        return self

    @property
    def connection(self) -> Connection:
        return self._connection


class Depot(ResourceMeta):
    """A data source connection. S3 depots may own their bucket (``external: false``)."""

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
