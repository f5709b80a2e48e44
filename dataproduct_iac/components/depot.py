"""``Depot``: the cloud side of a depot.

S3 depots the stack owns (``external: false``) get a hardened bucket; every S3 depot gets a Glue
database per collection the program knows about and read-only / read-write IAM policy documents
scoped to ``bucket/relativePath``. GCS, ABFSS and WASBS depots (lakehouses in other clouds, always
external: nothing is created outside AWS) get their Glue databases, located in their bucket or
container, for Trino's catalogs. Other depot types create nothing in the cloud and expose a typed
connection (host, port, database, credential secrets) for Trino catalogs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..manifests import Acl
from ..manifests import Depot as DepotModel
from ..manifests.connections import Connection, ObjectStore, S3Connection
from ..settings import StackSettings
from ..tags import Ownership, depot_tags, ownership

TYPE = "dataproduct:index:Depot"

READ_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
WRITE_OBJECT_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
)
LIST_ACTIONS = ("s3:ListBucket",)
"""Listing, limited to the depot's prefix by an ``s3:prefix`` condition."""
BUCKET_ACTIONS = ("s3:GetBucketLocation",)
"""Bucket-level reads that carry no ``s3:prefix`` (a condition on it would never match)."""


@dataclass
class DepotArgs:
    """What a :class:`Depot` is made from."""

    depot: DepotModel
    settings: StackSettings
    collections: Sequence[str] = ()
    """Collections (Glue databases) to create for an S3 depot: those the program addresses."""
    secret_arns: Mapping[Acl, pulumi.Input[str]] = field(default_factory=dict)
    """ARNs of the depot's credential secrets by acl (wired from the InstanceSecret components)."""
    bucket_name: str | None = None
    """Physical bucket name of a managed S3 depot; default ``settings.bucket_name(bucket)``."""
    ownership: Ownership | None = None
    """Owner and data product (tags); default: the manifest's owner, else the stack's."""


@dataclass(frozen=True)
class DepotConnection:
    """A depot's connection as Trino catalogs need it; secrets are referenced by ARN, never inlined."""

    type: str
    connection: Connection
    secret_arns: Mapping[Acl, pulumi.Input[str]]

    @property
    def host(self) -> str | None:
        return getattr(self.connection, "host", None)

    @property
    def port(self) -> int | None:
        return getattr(self.connection, "port", None)

    @property
    def database(self) -> str | None:
        return getattr(self.connection, "database", None)


def s3_policy_document(
    bucket: str, prefix: str, *, write: bool, partition: str = "aws"
) -> pulumi.Output[str]:
    """A read-only or read-write IAM policy (JSON) for ``bucket/prefix``: no wildcard action or resource.

    Known at preview: the bucket's ARN follows from its name and the AWS partition.
    """
    return pulumi.Output.from_input(json.dumps(s3_policy(bucket, prefix, write=write, partition=partition)))


def s3_policy(bucket: str, prefix: str, *, write: bool, partition: str = "aws") -> dict[str, Any]:
    """The policy of :func:`s3_policy_document` as a plain mapping.

    ``s3:GetBucketLocation`` has a statement of its own: its requests carry no ``s3:prefix``, so
    under the listing statement's prefix condition it would never be granted.
    """
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    objects = f"{bucket_arn}/{prefix}/*" if prefix else f"{bucket_arn}/*"
    listing: dict[str, Any] = {
        "Sid": "ListPrefix",
        "Effect": "Allow",
        "Action": list(LIST_ACTIONS),
        "Resource": bucket_arn,
    }
    if prefix:
        listing["Condition"] = {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}}
    statements: list[dict[str, Any]] = [
        {"Sid": "LocateBucket", "Effect": "Allow", "Action": list(BUCKET_ACTIONS), "Resource": bucket_arn},
        listing,
        {
            "Sid": "ReadWriteObjects" if write else "ReadObjects",
            "Effect": "Allow",
            "Action": list(WRITE_OBJECT_ACTIONS if write else READ_OBJECT_ACTIONS),
            "Resource": objects,
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def tls_only_policy(bucket_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """A bucket policy denying every request that does not use TLS."""

    def document(arn: str) -> str:
        statement = {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    # One apply, not a deep Output.json_dumps over the nested document: a nested Input costs the SDK an
    # Output per value.
    return pulumi.Output.from_input(bucket_arn).apply(document)


class Depot(pulumi.ComponentResource):
    """A depot. Attributes: ``address``, ``depot_type``, ``connection`` (:class:`DepotConnection`),
    ``location`` (lakehouse depots), ``bucket_name`` (S3), ``bucket`` (managed S3 only),
    ``glue_databases`` (collection → database; lakehouse depots),
    ``read_policy`` / ``write_policy`` (IAM JSON, S3), ``read_access`` / ``write_access``
    (``aws.iam.Policy`` when ``settings.create_access``).
    """

    def __init__(self, name: str, args: DepotArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        model, settings = args.depot, args.settings
        self.model = model
        self.address = model.address
        self.depot_type = model.depot_type.value
        self.external = model.depot.external
        self.connection = DepotConnection(self.depot_type, model.connection, dict(args.secret_arns))
        self.acls = frozenset(args.secret_arns) | {inline.acl for inline in model.depot.connection_secret}
        """The acls this depot has credentials for (``rw`` is needed to write to it)."""
        self.bucket: aws.s3.Bucket | None = None
        self.bucket_name: str | None = None
        self.prefix = ""
        self._location: str | None = None
        self.glue_databases: dict[str, aws.glue.CatalogDatabase] = {}
        self.glue_database_names: dict[str, str] = {}
        """Collection → Glue database name, known before deployment (``glue_databases``: the resources)."""
        self.read_policy: pulumi.Output[str] | None = None
        self.write_policy: pulumi.Output[str] | None = None
        self.read_access: aws.iam.Policy | None = None
        self.write_access: aws.iam.Policy | None = None
        connection = model.connection
        if isinstance(connection, ObjectStore):
            owned = args.ownership or ownership(settings, owner=model.owner)
            warning = owned.warning(f"depot {model.name!r}")
            if warning:
                pulumi.log.warn(warning, resource=self)
            tags = depot_tags(model, settings, owned)
            if isinstance(connection, S3Connection):
                self._s3(name, args, connection, tags)
            else:
                if not self.external:
                    pulumi.log.warn(
                        f"depot {model.name!r} is a {self.depot_type} depot: nothing is created outside AWS, "
                        "so its bucket or container is used as it is (as with external: true)",
                        resource=self,
                    )
                self._location = connection.location
                self._glue_databases(name, args, tags)
        outputs: dict[str, Any] = {"address": self.address, "type": self.depot_type}
        if self._location is not None:
            outputs.update(
                location=self._location, glueDatabases={c: db.name for c, db in self.glue_databases.items()}
            )
        if self.bucket_name is not None:
            outputs.update(
                bucketName=self.bucket_name,
                glueDatabases={c: db.name for c, db in self.glue_databases.items()},
                readPolicy=self.read_policy,
                writePolicy=self.write_policy,
            )
        self.register_outputs(outputs)

    @property
    def location(self) -> str | None:
        """Where the depot's data is: ``s3://bucket/relativePath`` for S3 depots, the ``gs://`` or
        ``abfss://``/``wasbs://`` location of GCS and Azure depots, None for other types."""
        if self.bucket_name is None:
            return self._location
        return f"s3://{self.bucket_name}/{self.prefix}".rstrip("/")

    def _s3(self, name: str, args: DepotArgs, connection: S3Connection, tags: dict[str, str]) -> None:
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.prefix = connection.prefix
        if self.external:
            self.bucket_name = args.bucket_name or connection.bucket
        else:
            self.bucket_name = args.bucket_name or settings.bucket_name(connection.bucket)
            self._managed_bucket(name, args, tags)
        self._glue_databases(name, args, tags)
        partition = settings.aws_partition
        self.read_policy = s3_policy_document(self.bucket_name, self.prefix, write=False, partition=partition)
        self.write_policy = s3_policy_document(self.bucket_name, self.prefix, write=True, partition=partition)
        if settings.create_access:
            self.read_access = aws.iam.Policy(
                f"{name}-read",
                name=settings.physical_name(f"{self.model.name}-read", max_length=128),
                description=f"Read {self.location}",
                policy=self.read_policy,
                tags=tags,
                opts=child,
            )
            self.write_access = aws.iam.Policy(
                f"{name}-write",
                name=settings.physical_name(f"{self.model.name}-write", max_length=128),
                description=f"Read and write {self.location}",
                policy=self.write_policy,
                tags=tags,
                opts=child,
            )

    def _glue_databases(self, name: str, args: DepotArgs, tags: dict[str, str]) -> None:
        """A Glue database per collection the program addresses, located below the depot's data."""
        settings = args.settings
        for collection in sorted(set(args.collections)):
            database_name = settings.glue_database_name(self.model.name, collection)
            self.glue_database_names[collection] = database_name
            self.glue_databases[collection] = aws.glue.CatalogDatabase(
                f"{name}-{collection}-db",
                name=database_name,
                description=f"Collection {collection} of depot {self.address}",
                location_uri=f"{self.location}/{collection}/",
                tags=tags,
                opts=pulumi.ResourceOptions(
                    parent=self, protect=settings.protect, depends_on=[self.bucket] if self.bucket else None
                ),
            )

    def _managed_bucket(self, name: str, args: DepotArgs, tags: dict[str, str]) -> None:
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=self.bucket_name,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect),
        )
        self.bucket = bucket
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        sse = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms" if settings.kms_key_id else "AES256",
            kms_master_key_id=settings.kms_key_id,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=sse, bucket_key_enabled=True
                )
            ],
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        if not settings.tls_only_policy:
            pulumi.log.warn(
                f"depot {name}: no TLS-only bucket policy (dataproduct:tlsOnlyPolicy is false); "
                "only for endpoints that cannot evaluate policy conditions, such as moto",
                resource=self,
            )
            return
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=tls_only_policy(bucket.arn),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
