"""``Depot``: the cloud side of a depot.

S3 depots the stack owns (``external: false``) get a hardened bucket; every S3 depot gets a Glue
database per collection the program knows about and read-only / read-write IAM policy documents
scoped to ``bucket/relativePath``. GCS, ABFSS and WASBS depots (lakehouses in other clouds, always
external: nothing is created outside AWS) get their Glue databases, located in their bucket or
container, for Trino's catalogs. Other depot types create nothing in the cloud and expose a typed
connection (host, port, database, credential secrets) for Trino catalogs.

``DepotArgs`` takes plain values or ``pulumi.Output`` values (a bucket name from another resource, a
KMS key from a stack reference); ``DepotArgs.from_manifest`` fills it from a depot manifest and the
stack's settings.
"""

# No ``from __future__ import annotations`` here: the SDK's component analyzer reads the annotations
# of the args and the component at run time.
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_aws as aws

from ..errors import ComponentArgsError
from ..manifests import Acl
from ..manifests import Depot as DepotModel
from ..manifests.connections import Connection, ObjectStore, S3Connection
from ..manifests.depot import DepotType
from ..settings import StackSettings, glue_name
from ..tags import Ownership, depot_tags
from ..tags import ownership as owner_of
from .options import coerce_args, data_protection

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

    bucket: pulumi.Input[str] | None = None
    """The S3 bucket (physical name) of an S3 depot: created unless ``external``."""
    location: pulumi.Input[str] | None = None
    """Where the data of a GCS or Azure depot is (``gs://...``, ``abfss://...``): its Glue databases'
    location. Unused for S3 depots (their location follows from bucket and prefix)."""
    depot_name: str | None = None
    """The DataOS depot name (addresses ``dataos://<depot_name>``, tags); default: the component's name."""
    depot_type: DepotType | None = None
    """Default S3. Only S3 depots create cloud resources; other types are connections for Trino catalogs."""
    prefix: str | None = None
    """The depot's ``relativePath`` in the bucket (no leading or trailing slash)."""
    external: bool | None = None
    """The bucket exists outside this stack: no bucket resource, still Glue databases and policies."""
    collections: Sequence[str] | None = None
    """Collections (Glue databases) to create: those the program addresses."""
    glue_database_names: Mapping[str, str] | None = None
    """Collection → Glue database name; default ``<depot_name>_<collection>`` (``[a-z0-9_]``)."""
    secret_arns: Mapping[str, pulumi.Input[str]] | None = None
    """ARNs of the depot's credential secrets by acl (``r``, ``rw``), e.g. ``InstanceSecret.arn``."""
    kms_key_id: pulumi.Input[str] | None = None
    """KMS key for the bucket's default encryption; default SSE-S3 (AES256)."""
    tls_only_policy: bool | None = None
    """Attach a bucket policy denying requests without TLS (default true; off only for moto-likes)."""
    access_policies: bool | None = None
    """Also create ``aws.iam.Policy`` resources for the read and read-write policy documents."""
    read_policy_name: pulumi.Input[str] | None = None
    """Name of the read ``aws.iam.Policy``; default ``<depot_name>-read``."""
    write_policy_name: pulumi.Input[str] | None = None
    """Name of the read-write ``aws.iam.Policy``; default ``<depot_name>-write``."""
    partition: str | None = None
    """Partition of the ARNs in the policy documents: ``aws`` (default), ``aws-cn``, ``aws-us-gov``, ..."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    _manifest: DepotModel | None = None
    """The manifest the args were made from (connection details for Trino catalogs and descriptors)."""
    _warnings: tuple[str, ...] = ()

    @classmethod
    def from_manifest(
        cls,
        depot: DepotModel,
        settings: StackSettings,
        *,
        collections: Sequence[str] = (),
        secret_arns: Mapping[Acl, pulumi.Input[str]] | None = None,
        bucket_name: str | None = None,
        ownership: Ownership | None = None,
    ) -> "DepotArgs":
        """Args for a depot manifest with the stack's naming (``settings.bucket_name``,
        ``glue_database_name``, ``physical_name``), encryption, access policies and tags.
        ``bucket_name`` overrides the physical bucket of an S3 depot."""
        connection = depot.connection
        arns = {Acl(acl).value: arn for acl, arn in (secret_arns or {}).items()}
        if not isinstance(connection, ObjectStore):
            return cls(depot_name=depot.name, depot_type=depot.depot_type, secret_arns=arns, _manifest=depot)
        owned = ownership or owner_of(settings, owner=depot.owner)
        warnings = [w for w in [owned.warning(f"depot {depot.name!r}")] if w]
        wanted = sorted(set(collections))
        external = depot.depot.external
        if not isinstance(connection, S3Connection) and not external:
            warnings.append(
                f"depot {depot.name!r} is a {depot.depot_type.value} depot: nothing is created outside "
                "AWS, so its bucket or container is used as it is (as with external: true)"
            )
        # What the args of every object-store depot hold; the two kinds add to it.
        lakehouse = cls(
            depot_name=depot.name,
            depot_type=depot.depot_type,
            collections=wanted,
            glue_database_names={c: settings.glue_database_name(depot.name, c) for c in wanted},
            secret_arns=arns,
            partition=settings.aws_partition,
            tags=depot_tags(depot, settings, owned),
            _manifest=depot,
            _warnings=tuple(warnings),
        )
        if not isinstance(connection, S3Connection):
            return replace(lakehouse, location=connection.location, external=True)
        bucket = bucket_name or (connection.bucket if external else settings.bucket_name(connection.bucket))
        return replace(
            lakehouse,
            bucket=bucket,
            prefix=connection.prefix,
            external=external,
            kms_key_id=settings.kms_key_id,
            tls_only_policy=settings.tls_only_policy,
            access_policies=settings.create_access,
            read_policy_name=settings.physical_name(f"{depot.name}-read", max_length=128),
            write_policy_name=settings.physical_name(f"{depot.name}-write", max_length=128),
        )


def default_glue_database_name(depot: str, collection: str) -> str:
    """``<depot>_<collection>`` in Glue's alphabet (without stack settings: no stack suffix)."""
    return glue_name(f"{depot}_{collection}")


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
    bucket: pulumi.Input[str], prefix: str, *, write: bool, partition: str = "aws"
) -> pulumi.Output[str]:
    """A read-only or read-write IAM policy (JSON) for ``bucket/prefix``: no wildcard action or resource.

    Known at preview whenever the bucket name is: the bucket's ARN follows from its name and the partition.
    """
    return pulumi.Output.from_input(bucket).apply(
        lambda name: json.dumps(s3_policy(name, prefix, write=write, partition=partition))
    )


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
    """A depot: for S3, a hardened bucket (unless external), a Glue database per collection and
    least-privilege read / read-write IAM policy documents scoped to the depot's prefix.

    The bucket and the Glue databases are protected from deletion unless the caller's options say
    ``protect=False``.
    """

    address: pulumi.Output[str]
    """``dataos://<depot>``."""
    depot_type: pulumi.Output[str]
    bucket_name: pulumi.Output[str | None]
    """The S3 bucket (S3 depots)."""
    bucket_arn: pulumi.Output[str | None]
    location: pulumi.Output[str | None]
    """``s3://<bucket>/<prefix>`` (S3 depots)."""
    glue_database_names: pulumi.Output[dict[str, str]]
    """Collection → Glue database name."""
    read_policy: pulumi.Output[str | None]
    """IAM policy document (JSON) granting read access to the depot's prefix (S3 depots)."""
    write_policy: pulumi.Output[str | None]
    """IAM policy document (JSON) granting read-write access to the depot's prefix (S3 depots)."""

    def __init__(self, name: str, args: DepotArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = coerce_args(DepotArgs, args)  # a mapping when another Pulumi language constructs it
        super().__init__(TYPE, name, None, opts)
        for warning in args._warnings:
            pulumi.log.warn(warning, resource=self)
        self.model = args._manifest
        self.depot_name = args.depot_name or name
        self.type_name = DepotType(args.depot_type or DepotType.S3).value
        self.is_s3 = self.type_name == DepotType.S3.value
        self.external = bool(args.external)
        self.prefix = (args.prefix or "").strip("/")
        self.partition = args.partition or "aws"
        arns = {Acl(acl): arn for acl, arn in (args.secret_arns or {}).items()}
        inline = {s.acl for s in self.model.depot.connection_secret} if self.model is not None else set()
        self.acls = frozenset(arns) | inline
        """The acls this depot has credentials for (``rw`` is needed to write to it)."""
        self.connection = (
            DepotConnection(self.type_name, self.model.connection, arns) if self.model is not None else None
        )
        self.bucket: aws.s3.Bucket | None = None
        self.glue_databases: dict[str, aws.glue.CatalogDatabase] = {}
        self.read_access: aws.iam.Policy | None = None
        self.write_access: aws.iam.Policy | None = None
        self._keep_data = data_protection(self, opts)
        bucket_name: pulumi.Output[Any] = pulumi.Output.from_input(None)
        bucket_arn: pulumi.Output[Any] = pulumi.Output.from_input(None)
        location: pulumi.Output[Any] = pulumi.Output.from_input(None)
        read_policy: pulumi.Output[Any] = pulumi.Output.from_input(None)
        write_policy: pulumi.Output[Any] = pulumi.Output.from_input(None)
        if self.is_s3:
            if args.bucket is None:
                raise ComponentArgsError(f"depot {self.depot_name!r}: an S3 depot needs a bucket")
            if self.external:
                bucket_name = pulumi.Output.from_input(args.bucket)
                bucket_arn = bucket_name.apply(lambda b: f"arn:{self.partition}:s3:::{b}")
            else:
                bucket = self._managed_bucket(name, args)
                bucket_name, bucket_arn = bucket.bucket, bucket.arn
            prefix = self.prefix

            def at(bucket: str) -> str:
                return f"s3://{bucket}/{prefix}".rstrip("/")

            # Children read the location from the input (no wait for the bucket); the output carries
            # the bucket, so that who reads it waits for the bucket to exist.
            planned = pulumi.Output.from_input(args.bucket).apply(at)
            location = bucket_name.apply(at)
            self._glue_databases(name, args, planned)
            read_policy = s3_policy_document(args.bucket, prefix, write=False, partition=self.partition)
            write_policy = s3_policy_document(args.bucket, prefix, write=True, partition=self.partition)
            if args.access_policies:
                self._access_policies(name, args, planned, read_policy, write_policy)
        elif args.location is not None:  # a lakehouse in another cloud: Glue databases only
            location = pulumi.Output.from_input(args.location)
            self._glue_databases(name, args, location)
        self.address = pulumi.Output.from_input(f"dataos://{self.depot_name}")
        self.depot_type = pulumi.Output.from_input(self.type_name)
        self.bucket_name, self.bucket_arn, self.location = bucket_name, bucket_arn, location
        self.read_policy, self.write_policy = read_policy, write_policy
        # From the databases' outputs: who reads the names waits for the databases.
        collections = sorted(self.glue_databases)
        self.glue_database_names = pulumi.Output.all(
            *[self.glue_databases[c].name for c in collections]
        ).apply(lambda created: dict(zip(collections, created, strict=True)))
        self.register_outputs(
            {
                "address": self.address,
                "depotType": self.depot_type,
                "bucketName": self.bucket_name,
                "bucketArn": self.bucket_arn,
                "location": self.location,
                "glueDatabaseNames": self.glue_database_names,
                "readPolicy": self.read_policy,
                "writePolicy": self.write_policy,
            }
        )

    def _glue_databases(self, name: str, args: DepotArgs, location: pulumi.Output[Any]) -> None:
        names = dict(args.glue_database_names or {})
        for collection in sorted(set(args.collections or ())):
            database = names.setdefault(collection, default_glue_database_name(self.depot_name, collection))
            self.glue_databases[collection] = aws.glue.CatalogDatabase(
                f"{name}-{collection}-db",
                name=database,
                description=f"Collection {collection} of depot dataos://{self.depot_name}",
                location_uri=pulumi.Output.concat(location, "/", collection, "/"),
                tags=args.tags,
                opts=pulumi.ResourceOptions(
                    parent=self, protect=self._keep_data, depends_on=[self.bucket] if self.bucket else None
                ),
            )

    def _access_policies(
        self,
        name: str,
        args: DepotArgs,
        location: pulumi.Output[Any],
        read_policy: pulumi.Output[str],
        write_policy: pulumi.Output[str],
    ) -> None:
        self.read_access = self._access_policy(
            name, "read", args.read_policy_name, "Read", read_policy, args, location
        )
        self.write_access = self._access_policy(
            name, "write", args.write_policy_name, "Read and write", write_policy, args, location
        )

    def _access_policy(
        self,
        name: str,
        access: str,
        policy_name: pulumi.Input[str] | None,
        verb: str,
        policy: pulumi.Output[str],
        args: DepotArgs,
        location: pulumi.Output[Any],
    ) -> aws.iam.Policy:
        """The ``aws.iam.Policy`` ``<name>-<access>`` (physical name ``policy_name``, default
        ``<depot_name>-<access>``) holding ``policy``, described as ``<verb> <location>``."""
        return aws.iam.Policy(
            f"{name}-{access}",
            name=policy_name if policy_name is not None else f"{self.depot_name}-{access}",
            description=location.apply(lambda loc: f"{verb} {loc}"),
            policy=policy,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _managed_bucket(self, name: str, args: DepotArgs) -> aws.s3.Bucket:
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=self._keep_data),
        )
        self.bucket = bucket
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        sse = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms" if args.kms_key_id is not None else "AES256",
            kms_master_key_id=args.kms_key_id,
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
        if args.tls_only_policy is False:
            pulumi.log.warn(
                f"depot {name}: no TLS-only bucket policy (dataproduct:tlsOnlyPolicy is false); "
                "only for endpoints that cannot evaluate policy conditions, such as moto",
                resource=self,
            )
            return bucket
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=tls_only_policy(bucket.arn),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        return bucket
