"""``instance-secret`` v1: credentials held by the platform and referenced by depots."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr, SecretStr, StringConstraints

from ..errors import DataproductError
from .base import ResourceMeta, StrictModel, new_dict

SecretKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+$")]


def _scalar_text(value: Any) -> Any:
    """YAML reads ``password: 12345`` as a number; a secret value is always text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


TEMPLATE_TEXT = re.compile(
    r"^\s*(<[^<>\n]+>|\([^()\n]*\b(value|encoded|your)\b[^()\n]*\))\s*$", re.IGNORECASE
)
"""A value that is still the template text of a documentation example: ``<your-username>``,
``"<password>"``, ``(base64 encoded value)``."""


def _not_template_text(value: SecretStr) -> SecretStr:
    if TEMPLATE_TEXT.match(value.get_secret_value()):
        raise ValueError(
            "the value is still template text from an example ('<...>' or '(... value)'); write the "
            "real value, or a placeholder such as ${{db-password}} filled from --set, --values or "
            "the environment"
        )
    return value


SecretValue = Annotated[SecretStr, BeforeValidator(_scalar_text), AfterValidator(_not_template_text)]
"""A secret value: text, masked in every repr, never echoed in an error; not template text."""


class SecretFileError(DataproductError):
    """A ``files`` entry that cannot be a secret's value; ``message`` (never the content) says why, as
    a phrase that follows the file's name, ``file`` names it."""


def read_secret_text(path: str) -> str:
    """The text of a secret file (UTF-8). Raises :class:`SecretFileError` saying why not."""
    try:
        with open(path, "rb") as stream:
            return stream.read().decode("utf-8")
    except UnicodeDecodeError:
        raise SecretFileError("is not UTF-8 text", file=path) from None
    except OSError as exc:
        raise SecretFileError(f"cannot be read: {exc.strerror or type(exc).__name__}", file=path) from None


class SecretFiles:
    """Reading a model's ``files`` (key → path) once; the model declares ``_file_texts``."""

    if TYPE_CHECKING:
        files: dict[str, str]
        _file_texts: dict[str, SecretStr]

    def file_text(self, key: str) -> str:
        """The text of the ``files`` entry ``key``; handle it as a secret. Read once: the loader reads
        (and checks) every file while loading; a model built in code reads it on first use. Raises
        :class:`SecretFileError` when the file cannot be read or is not UTF-8 text."""
        text = self._file_texts.get(key)
        if text is None:
            text = self._file_texts[key] = SecretStr(read_secret_text(self.files[key]))
        return text.get_secret_value()

    def keep_file_texts_of(self, other: SecretFiles) -> None:
        """Take over the texts ``other`` has read (a model made from it, with the same ``files``)."""
        self._file_texts.update(other._file_texts)


class Acl(StrEnum):
    READ = "r"
    READ_WRITE = "rw"


class InstanceSecretType(StrEnum):
    KEY_VALUE = "key-value"
    KEY_VALUE_PROPERTIES = "key-value-properties"
    CERTIFICATES = "certificates"


class InstanceSecretSpec(SecretFiles, StrictModel):
    """The secret: data values are secret (never echoed in messages); files are read from paths
    below the project directory."""

    type: InstanceSecretType
    acl: Acl
    data: dict[SecretKey, SecretValue] = Field(default_factory=new_dict)
    files: dict[SecretKey, str] = Field(default_factory=new_dict)
    """Key → path of a file whose contents become the secret value."""
    _file_texts: dict[str, SecretStr] = PrivateAttr(default_factory=new_dict)


class InstanceSecret(ResourceMeta):
    """Credentials stored in AWS Secrets Manager; values are secret from the moment they are read."""

    KIND: ClassVar[str] = "instance-secret"

    version: Literal["v1"]
    type: Literal["instance-secret"]
    instance_secret: InstanceSecretSpec = Field(alias="instance-secret")

    @property
    def acl(self) -> Acl:
        return self.instance_secret.acl

    def key_names(self) -> list[str]:
        """The secret's keys as written: ``data`` keys, then ``files`` keys."""
        return [*self.instance_secret.data, *self.instance_secret.files]

    def secret_json(self) -> str:
        """The secret's value as stored: a JSON object of the ``data`` keys. Handle as a secret."""
        return json.dumps(
            {key: value.get_secret_value() for key, value in sorted(self.instance_secret.data.items())},
            sort_keys=True,
        )
