"""``InstanceSecret``: an AWS Secrets Manager secret holding an instance secret's credentials.

The value (a JSON object of the ``data`` keys) is a Pulumi secret from the moment it reaches the
component: plain strings, ``pulumi.Output`` values and ``config.require_secret(...)`` all work, and
none of them reaches a log line or the plan. ``InstanceSecretArgs.from_manifest`` fills the args from
an instance-secret manifest (its ``data`` and the text of its ``files``).
"""

# No ``from __future__ import annotations`` here: the SDK's component analyzer reads the annotations
# of the args and the component at run time.
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ..errors import ComponentArgsError
from ..manifests import Acl
from ..manifests import InstanceSecret as InstanceSecretModel
from ..manifests.instance_secret import SecretFileError
from ..settings import StackSettings
from ..tags import Ownership, secret_tags
from ..tags import ownership as owner_of
from .options import coerce_args, data_protection

TYPE = "dataproduct:index:InstanceSecret"
READ_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")
DEFAULT_RECOVERY_WINDOW_DAYS = 30


@dataclass
class InstanceSecretArgs:
    """What an :class:`InstanceSecret` is made from."""

    data: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """The credentials, key → value; stored as one JSON object, always as a Pulumi secret."""
    acl: Acl | None = None
    """``r`` (read, the default) or ``rw`` (read-write): which access the credentials grant."""
    secret_name: pulumi.Input[str] | None = None
    """The Secrets Manager name; default: the component's name."""
    description: pulumi.Input[str] | None = None
    kms_key_id: pulumi.Input[str] | None = None
    """KMS key of the secret (and of its read policy); default: the account's AWS-managed key."""
    recovery_window_in_days: pulumi.Input[int] | None = None
    """Days a deleted secret can be restored (0 deletes at once); default 30."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    _warnings: tuple[str, ...] = ()
    """Notes for the deployment log (from :meth:`from_manifest`: an owner that was defaulted)."""

    @classmethod
    def from_manifest(
        cls,
        secret: InstanceSecretModel,
        settings: StackSettings,
        *,
        product: str | None = None,
        ownership: Ownership | None = None,
        physical_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> "InstanceSecretArgs":
        """Args for an instance-secret manifest: its ``data`` and ``files``, the stack's naming, KMS key,
        recovery window and tags. ``product``/``ownership``: owner and product tags (default: the
        manifest's owner, else the stack's)."""
        owned = ownership or owner_of(settings, owner=secret.owner, product=product)
        warning = owned.warning(f"instance-secret {secret.name!r}")
        return cls(
            data=pulumi.Output.secret(manifest_values(secret)),
            acl=secret.acl,
            secret_name=physical_name or settings.secret_name(secret.name),
            description=secret.description or f"Instance secret {secret.name} (acl {secret.acl.value})",
            kms_key_id=settings.kms_key_id,
            recovery_window_in_days=settings.secret_recovery_window_days,
            tags=secret_tags(secret, settings, owned, tags),
            _warnings=(warning,) if warning else (),
        )


def manifest_values(secret: InstanceSecretModel) -> dict[str, str]:
    """The values an instance-secret manifest stores: ``data`` and the text of each ``files`` entry.

    ``files`` were read (and checked) by the loader; a model built in code has them read now. A file
    that is not UTF-8 text is refused without showing it.
    """
    spec = secret.instance_secret
    values = {key: value.get_secret_value() for key, value in spec.data.items()}
    for key in spec.files:
        try:
            values[key] = spec.file_text(key)
        except SecretFileError as exc:
            raise ComponentArgsError(
                f"instance-secret {secret.name!r}: the file for key {key!r} {exc.message}"
            ) from None
    return values


def secret_json(data: pulumi.Input[Mapping[str, pulumi.Input[str]]]) -> pulumi.Output[str]:
    """``data`` as the stored JSON object (keys sorted), as a Pulumi secret."""

    def dump(values: Mapping[str, Any]) -> str:
        return json.dumps(dict(values), sort_keys=True)

    return pulumi.Output.secret(pulumi.Output.from_input(data).apply(dump))


def read_policy_document(
    arn: pulumi.Input[str], kms_key_id: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """An IAM policy document (JSON) granting read access to one secret (and its KMS key)."""

    def document(values: list[Any]) -> str:
        secret_arn, key = values
        statements: list[dict[str, object]] = [
            {"Sid": "ReadSecret", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": secret_arn}
        ]
        if key:
            statements.append(
                {"Sid": "DecryptSecret", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": key}
            )
        return json.dumps({"Version": "2012-10-17", "Statement": statements})

    return pulumi.Output.all(arn, kms_key_id).apply(document)


class InstanceSecret(pulumi.ComponentResource):
    """An instance secret: an ``aws.secretsmanager.Secret`` and its ``SecretVersion``.

    The secret is protected from deletion unless the caller's options say ``protect=False``.
    """

    arn: pulumi.Output[str]
    """ARN of the Secrets Manager secret."""
    secret_name: pulumi.Output[str]
    """Name of the Secrets Manager secret."""
    read_policy: pulumi.Output[str]
    """IAM policy document (JSON) that grants reading this secret."""

    def __init__(
        self, name: str, args: InstanceSecretArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = coerce_args(InstanceSecretArgs, args)  # a mapping when another Pulumi language constructs it
        super().__init__(TYPE, name, None, opts)
        self.acl = Acl(args.acl or Acl.READ)
        for warning in args._warnings:
            pulumi.log.warn(warning, resource=self)
        keep = data_protection(self, opts)
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=args.secret_name if args.secret_name is not None else name,
            description=args.description or f"Instance secret {name} (acl {self.acl.value})",
            kms_key_id=args.kms_key_id,
            recovery_window_in_days=(
                args.recovery_window_in_days
                if args.recovery_window_in_days is not None
                else DEFAULT_RECOVERY_WINDOW_DAYS
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=keep),
        )
        self.version = aws.secretsmanager.SecretVersion(
            f"{name}-version",
            secret_id=self.secret.id,
            secret_string=secret_json(args.data),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.secret.arn
        self.secret_name = self.secret.name
        self.read_policy = read_policy_document(self.secret.arn, args.kms_key_id)
        self.register_outputs(
            {"arn": self.arn, "secretName": self.secret_name, "readPolicy": self.read_policy}
        )
