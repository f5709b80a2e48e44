"""Per-stack settings: naming, safety and images beyond the manifests. No pulumi import.

The fields of :class:`StackSettings` are the one home of the settings' names (camelCase as config
keys), types and defaults; :mod:`dataproduct_iac.stack_config` reads them from stack config the way
``pulumi up`` passes them. Library users construct it directly.
"""

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .aws_clients import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRY_BUDGET,
    ClientSettingError,
    ClientSettings,
)
from .errors import DataproductError

_ENVIRONMENT = re.compile(r"^[a-z0-9][a-z0-9_]*$")
"""Trino's rule for ``node.environment``: lower-case alphanumerics and underscores."""


def default_environment(stack: str) -> str:
    """The ``environment`` of a stack that sets none: its name in the environment's alphabet (lower
    case, any other character as ``_``, no leading ``_``), ``dev`` when nothing is left. Every Pulumi
    stack name (letters, digits, ``-``, ``_``, ``.``) gives a valid environment."""
    return re.sub(r"[^a-z0-9_]", "_", stack.lower()).lstrip("_") or "dev"


_PARTITION = re.compile(r"^aws(-[a-z]+)*$")
"""AWS partition names: ``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso``, ``aws-iso-b``, ..."""

DEFAULT_TRINO_IMAGE = "trinodb/trino"
DEFAULT_TRINO_TAG = "476"
"""The Trino release everything under ``dataproduct_iac/trino`` is rendered for and tested against: the
newest release Maven Central serves as ``io.trino:trino-server:<v>:tar.gz`` (the tests boot that
tarball; 477 to 481 are not published there), and ``trinodb/trino:476`` is its image. Its property
catalogue is ``dataproduct_iac/trino/properties-476.json`` (``tools/trino_property_catalogue.py``
regenerates it): moving the pin means regenerating that."""
DEFAULT_SCANNER_IMAGE = "ghcr.io/example/dataproduct-scanner:0.1.0"
DEFAULT_KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.33.4"
"""The official kubectl image, pinned; runs the Trino restart and scaling CronJobs."""


class SettingError(DataproductError, ValueError):
    """A setting's value is not allowed; ``attribute`` names the StackSettings field (also a
    ``ValueError``, as Python code constructing the settings expects of a bad value)."""

    def __init__(self, attribute: str, message: str) -> None:
        super().__init__(message, field=attribute)
        self.attribute = attribute


COLLECTION = "{collection}"
"""Where the collection goes in a Glue database name template."""


def glue_name(text: str) -> str:
    """``text`` as a Glue database or table name: lower-case letters, digits and underscores, at most
    255 characters."""
    return re.sub(r"[^a-z0-9_]", "_", text.lower())[:255]


_Settings = TypeVar("_Settings")


def _defaults_may_be_omitted(cls: type[_Settings]) -> type[_Settings]:
    """Says at run time what the defaults already say: a field with a default may be omitted.

    Pulumi's component analyzer (``pulumi.provider.experimental``), which infers the package schema other
    Pulumi languages use, calls a property optional only when its annotation admits ``None`` (or a
    ``TypedDict`` marks it ``NotRequired``); it does not look at dataclass defaults. So each field with
    a default and an annotation without ``None`` is annotated ``T | None`` here, and
    :func:`_fill_defaults` turns a ``None`` given for one into its default: the attribute itself is
    never ``None``, as the annotation in the source (what type checkers read) says."""
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        if _default(spec) is not None and not isinstance(spec.type, str):
            cls.__annotations__[spec.name] = spec.type | None
    return cls


def _default(spec: "dataclasses.Field[Any]") -> Any:
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return None if spec.default is dataclasses.MISSING else spec.default


def _fill_defaults(settings: object) -> None:
    """Fields given as ``None`` get their default (see :func:`_defaults_may_be_omitted`)."""
    for spec in dataclasses.fields(settings):  # type: ignore[arg-type]
        if getattr(settings, spec.name) is None:
            setattr(settings, spec.name, _default(spec))


@_defaults_may_be_omitted
@dataclass
class StackSettings:
    """What a stack decides beyond the manifests: environment, naming, safety and images."""

    project: str = "dataproduct"
    stack: str = "dev"
    environment: str = "dev"
    """Tag value and Trino ``node.environment``; lower-case letters, digits and underscores. Read from
    stack config, it defaults to the stack name (lower-case, ``-``, ``.`` and the like as ``_``)."""
    region: str | None = None
    """The stack's ``aws:region``: the default region of depots that name none."""
    aws_partition: str = "aws"
    """The AWS partition in the ARNs this tool writes itself (the depots' IAM policy documents):
    ``aws-cn`` for the China regions, ``aws-us-gov`` for GovCloud."""
    name_prefix: str = ""
    """Prepended to every physical name (for example an organisation prefix for S3 buckets)."""
    physical_names: dict[str, str] = field(default_factory=dict)
    """Explicit physical names by logical resource name, overriding the derived ones."""
    protect: bool = True
    """Protect buckets, Glue databases and secrets from deletion (opt out per stack, explicitly)."""
    tls_only_policy: bool = True
    """Attach the TLS-only bucket policy to managed buckets. Only a stack whose S3 endpoint cannot
    evaluate policy conditions turns this off: moto treats the policy's ``aws:SecureTransport``
    condition as always met, so the Deny would refuse every request (the local stack)."""
    secret_recovery_window_days: int = 30
    """Days a deleted instance secret can be restored: 0 (delete at once) or 7 to 30."""
    kms_key_id: str | None = None
    """KMS key (id, ARN or alias) that encrypts the instance secrets; unset: aws/secretsmanager."""
    create_access: bool = False
    """Create ``aws.iam.Policy`` resources for the depots' read and read-write policy documents."""
    registry_bucket: str | None = None
    """Bucket receiving each data product's descriptor (``data-products/<project>/<stack>/<product>.json``);
    unset: none is written."""
    namespace: str = "dataproduct"
    """Kubernetes namespace of workloads outside a bundle workspace."""
    trino_image: str = DEFAULT_TRINO_IMAGE
    """Container image of the Trino coordinator and workers."""
    trino_tag: str = DEFAULT_TRINO_TAG
    """Tag of the Trino image: the release the rendered configuration is written for."""
    kubectl_image: str = DEFAULT_KUBECTL_IMAGE
    """Image of the CronJobs that restart and scale Trino."""
    scanner_image: str = DEFAULT_SCANNER_IMAGE
    """Image of the scanner Jobs (built from this repository's Dockerfile)."""
    scanner_service_account_role_arn: str | None = None
    """When set, scanner pods use IRSA (a ServiceAccount annotated with this role) instead of keys."""
    stack_images: dict[str, str] = field(default_factory=dict)
    """Container image per DataOS stack (``flare``, ``soda``, ``dbt``, or ``flare:7.0`` for one
    version): workflow jobs of that stack run as Kubernetes Jobs of that image. Stack config key
    ``dataproduct:stackImages``; a job of a stack without an image is refused at plan."""
    tags: dict[str, str] = field(default_factory=dict)
    """Extra tags on every AWS resource."""
    aws_connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    """Seconds the scanner and the live drift checks wait for a connection to AWS."""
    aws_read_timeout: float = DEFAULT_READ_TIMEOUT
    """Seconds they wait for (the next bytes of) an AWS reply."""
    aws_max_attempts: int = DEFAULT_MAX_ATTEMPTS
    """Attempts per AWS request (the first one plus retries)."""
    aws_retry_budget: float = DEFAULT_RETRY_BUDGET
    """Seconds one AWS request may take with all its retries: no retry starts after this."""

    def __post_init__(self) -> None:
        _fill_defaults(self)
        try:
            self.aws_client_settings()
        except ClientSettingError as exc:
            raise SettingError(f"aws_{exc.field}", f"{exc.reason}") from None
        if not _ENVIRONMENT.match(self.environment):
            raise SettingError(
                "environment",
                f"{self.environment!r} must match [a-z0-9][a-z0-9_]* (it becomes Trino's node.environment)",
            )
        if not _PARTITION.match(self.aws_partition):
            raise SettingError(
                "aws_partition",
                f"{self.aws_partition!r} is not an AWS partition (aws, aws-cn, aws-us-gov, ...)",
            )
        if self.secret_recovery_window_days != 0 and not 7 <= self.secret_recovery_window_days <= 30:
            raise SettingError(
                "secret_recovery_window_days",
                f"{self.secret_recovery_window_days} days: Secrets Manager takes 0 (delete at once) or 7-30",
            )

    def aws_client_settings(self) -> ClientSettings:
        """Timeouts and retries of the AWS clients of the scanner and the live drift checks."""
        return ClientSettings(
            connect_timeout=self.aws_connect_timeout,
            read_timeout=self.aws_read_timeout,
            max_attempts=self.aws_max_attempts,
            retry_budget=self.aws_retry_budget,
        )

    def physical_name(self, logical: str, *, max_length: int = 63) -> str:
        """A deterministic physical name: ``<prefix><logical>-<stack>``, unless overridden."""
        if logical in self.physical_names:
            return self.physical_names[logical]
        name = f"{self.name_prefix}{logical}-{self.stack}".lower()
        return name[:max_length].rstrip("-")

    # The one place physical names of depot resources are derived: the components create them
    # under these names and the live drift checks look them up under the same names.
    def bucket_name(self, bucket: str) -> str:
        """The S3 bucket of a managed depot whose manifest says ``bucket: <bucket>``."""
        return self.physical_name(bucket, max_length=63)

    def secret_name(self, secret: str) -> str:
        """The Secrets Manager name of the instance secret ``<secret>``."""
        return self.physical_name(secret, max_length=512)

    def glue_database_name(self, depot: str, collection: str) -> str:
        """The Glue database of ``dataos://<depot>:<collection>``: ``<depot>_<collection>_<stack>``.

        Glue names are lower-case letters, digits and underscores; one Glue catalog serves every
        stack of an account, hence the stack suffix. ``physical_names["<depot>:<collection>"]``
        overrides it.
        """
        override = self.physical_names.get(f"{depot}:{collection}")
        if override:
            return override
        return glue_name(self.glue_database_template(depot).replace(COLLECTION, collection))

    def glue_database_template(self, depot: str) -> str:
        """:meth:`glue_database_name` for every collection of ``depot``: :data:`COLLECTION` stands for
        the collection (overrides not included). The scanner receives it so as to name databases the
        same way (``DATAPRODUCT_SCAN_DATABASE_TEMPLATE``)."""
        return glue_name(f"{self.name_prefix}{depot}_") + COLLECTION + glue_name(f"_{self.stack}")
