"""``InstanceSecret``: an AWS Secrets Manager secret holding an instance secret's credentials.

The value (a JSON object of the manifest's ``data`` keys, plus the contents of its ``files``) is a
Pulumi secret from the moment it leaves the model: it never reaches a log line or the plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..errors import ComponentArgsError
from ..manifests import InstanceSecret as InstanceSecretModel
from ..manifests.instance_secret import SecretFileError
from ..settings import StackSettings
from ..tags import Ownership, ownership, secret_tags

TYPE = "dataproduct:index:InstanceSecret"
READ_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")


@dataclass
class InstanceSecretArgs:
    """What an :class:`InstanceSecret` is made from."""

    secret: InstanceSecretModel
    settings: StackSettings
    product: str | None = None
    """The data product this secret serves, when known (becomes a tag)."""
    ownership: Ownership | None = None
    """Owner and product; default: the manifest's owner (else the stack's) and ``product``."""
    physical_name: str | None = None
    """The Secrets Manager name; default ``settings.secret_name(secret.name)``."""
    tags: dict[str, str] = field(default_factory=dict)


def secret_value(secret: InstanceSecretModel) -> pulumi.Output[str]:
    """The stored value: JSON of ``data`` and the text of each ``files`` entry, as a Pulumi secret.

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
    return pulumi.Output.secret(json.dumps(values, sort_keys=True))


def read_policy_document(arn: pulumi.Input[str], kms_key_id: str | None = None) -> pulumi.Output[str]:
    """An IAM policy document (JSON) granting read access to one secret (and its KMS key)."""

    def document(secret_arn: str) -> str:
        statements: list[dict[str, object]] = [
            {"Sid": "ReadSecret", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": secret_arn}
        ]
        if kms_key_id:
            statements.append(
                {"Sid": "DecryptSecret", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": kms_key_id}
            )
        return json.dumps({"Version": "2012-10-17", "Statement": statements})

    return pulumi.Output.from_input(arn).apply(document)


class InstanceSecret(pulumi.ComponentResource):
    """An instance secret: ``aws.secretsmanager.Secret`` + ``SecretVersion``.

    Outputs: ``arn``, ``name`` (the Secrets Manager name), ``read_policy`` (IAM policy JSON).
    """

    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    read_policy: pulumi.Output[str]

    def __init__(
        self, name: str, args: InstanceSecretArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        model, settings = args.secret, args.settings
        self.model = model
        self.acl = model.acl
        physical = args.physical_name or settings.secret_name(model.name)
        owned = args.ownership or ownership(settings, owner=model.owner, product=args.product)
        warning = owned.warning(f"instance-secret {model.name!r}")
        if warning:
            pulumi.log.warn(warning, resource=self)
        tags = secret_tags(model, settings, owned, args.tags)
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=physical,
            description=model.description or f"Instance secret {model.name} (acl {model.acl.value})",
            kms_key_id=settings.kms_key_id,
            recovery_window_in_days=settings.secret_recovery_window_days,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=settings.protect),
        )
        self.version = aws.secretsmanager.SecretVersion(
            f"{name}-version",
            secret_id=self.secret.id,
            secret_string=secret_value(model),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.secret.arn
        self.name = self.secret.name
        self.read_policy = read_policy_document(self.secret.arn, settings.kms_key_id)
        self.register_outputs({"arn": self.arn, "name": self.name, "readPolicy": self.read_policy})
