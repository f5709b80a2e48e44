"""``instance-secret`` v1: credentials held by the platform and referenced by depots."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, SecretStr, StringConstraints

from .base import ResourceMeta, StrictModel, new_dict

SecretKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+$")]


def _scalar_text(value: Any) -> Any:
    """YAML reads ``password: 12345`` as a number; a secret value is always text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


SecretValue = Annotated[SecretStr, BeforeValidator(_scalar_text)]
"""A secret value: text, masked in every repr, never echoed in an error."""


class Acl(StrEnum):
    READ = "r"
    READ_WRITE = "rw"


class InstanceSecretType(StrEnum):
    KEY_VALUE = "key-value"
    KEY_VALUE_PROPERTIES = "key-value-properties"
    CERTIFICATES = "certificates"


class InstanceSecretSpec(StrictModel):
    """The secret: data values are secret (never echoed in messages); files are read from paths
    below the project directory."""

    type: InstanceSecretType
    acl: Acl
    data: dict[SecretKey, SecretValue] = Field(default_factory=new_dict)
    files: dict[SecretKey, str] = Field(default_factory=new_dict)
    """Key → path of a file whose contents become the secret value (read at build time)."""


class InstanceSecret(ResourceMeta):
    """Credentials stored in AWS Secrets Manager; values are secret from the moment they are read."""

    KIND: ClassVar[str] = "instance-secret"

    version: Literal["v1"]
    type: Literal["instance-secret"]
    instance_secret: InstanceSecretSpec = Field(alias="instance-secret")

    @property
    def acl(self) -> Acl:
        return self.instance_secret.acl

    def secret_json(self) -> str:
        """The secret's value as stored: a JSON object of the ``data`` keys. Handle as a secret."""
        return json.dumps(
            {key: value.get_secret_value() for key, value in sorted(self.instance_secret.data.items())},
            sort_keys=True,
        )
