"""Common pieces of every manifest model: strict models, DataOS names, the resource meta section.

No pulumi import here or anywhere under ``manifests``.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, ClassVar, NoReturn, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

RESOURCE_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
"""DataOS resource names: lower-case alphanumerics and dashes, not starting or ending with a dash."""
STRICT_NAME_PATTERN = r"^[a-z]([a-z0-9]*)$"
"""Depot and cluster names: a letter, then lower-case letters and digits only."""
MAX_NAME_LENGTH = 48

_RESOURCE_NAME = re.compile(RESOURCE_NAME_PATTERN)
_STRICT_NAME = re.compile(STRICT_NAME_PATTERN)


def _check_resource_name(value: str) -> str:
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"name is {len(value)} characters long; DataOS allows at most {MAX_NAME_LENGTH}")
    if not _RESOURCE_NAME.match(value):
        raise ValueError(
            "name must consist of lower-case letters, digits and '-', and start and end with a "
            f"letter or digit (pattern {RESOURCE_NAME_PATTERN})"
        )
    return value


def _check_strict_name(value: str) -> str:
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"name is {len(value)} characters long; DataOS allows at most {MAX_NAME_LENGTH}")
    if not _STRICT_NAME.match(value):
        raise ValueError(
            "depot and cluster names must start with a letter and contain only lower-case letters "
            f"and digits, no '-' or '_' (pattern {STRICT_NAME_PATTERN})"
        )
    return value


ResourceName = Annotated[
    str,
    AfterValidator(_check_resource_name),
    Field(json_schema_extra={"pattern": RESOURCE_NAME_PATTERN, "maxLength": MAX_NAME_LENGTH}),
]
StrictName = Annotated[
    str,
    AfterValidator(_check_strict_name),
    Field(
        description="Depot and cluster names: a letter, then lower-case letters and digits (no '-'), "
        f"at most {MAX_NAME_LENGTH} characters.",
        json_schema_extra={"pattern": STRICT_NAME_PATTERN, "maxLength": MAX_NAME_LENGTH},
    ),
]

_UNKNOWN_FIELD = "unknown_field"


def _unknown_field_error(err: Any, known: list[str]) -> InitErrorDetails:
    key = str(err["loc"][-1])
    matches = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not matches:
        lowered = {k.lower().replace("_", "").replace("-", ""): k for k in known}
        hit = lowered.get(key.lower().replace("_", "").replace("-", ""))
        matches = [hit] if hit else []
    hint = f" (did you mean {matches[0]!r}?)" if matches else f" (known fields: {', '.join(sorted(known))})"
    return InitErrorDetails(
        type=PydanticCustomError(_UNKNOWN_FIELD, f"unknown field {key!r}{hint}"),
        loc=tuple(err["loc"]),
        input=err["input"],
    )


_BUILTIN_ERROR_TYPES = frozenset(get_args(ErrorType))


def reraisable(err: Any, prefix: tuple[str | int, ...] = ()) -> Any:
    """Turn an error dict back into something ``ValidationError.from_exception_data`` accepts.

    Built-in error types pass through; custom ones (ours) are rebuilt with their final message.
    """
    if err["type"] in _BUILTIN_ERROR_TYPES:
        return {**err, "loc": (*prefix, *err["loc"])} if prefix else err
    message = err["msg"].replace("{", "{{").replace("}", "}}")
    return InitErrorDetails(
        type=PydanticCustomError(err["type"], message), loc=(*prefix, *err["loc"]), input=err["input"]
    )


def raise_at(loc: tuple[str | int, ...], message: str) -> NoReturn:
    """Raise a validation error at a path below the model being validated (for cross-field checks)."""
    detail = InitErrorDetails(
        type=PydanticCustomError("invalid", message.replace("{", "{{").replace("}", "}}")),
        loc=loc,
        input=None,
    )
    raise ValidationError.from_exception_data("manifest", [detail])


class StrictModel(BaseModel):
    """A model that rejects unknown fields, naming the nearest known field.

    Field names are snake_case in Python and camelCase in YAML (the DataOS spelling).
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        alias_generator=to_camel,
        frozen=False,
        str_strip_whitespace=False,
        defer_build=True,
    )

    @classmethod
    def known_keys(cls) -> list[str]:
        return [field.alias or name for name, field in cls.model_fields.items()]

    @model_validator(mode="wrap")
    @classmethod
    def _name_unknown_fields(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            known = cls.known_keys()
            rewritten: list[Any] = []
            for err in exc.errors():
                if err["type"] == "extra_forbidden" and len(err["loc"]) == 1:
                    rewritten.append(_unknown_field_error(err, known))
                else:
                    rewritten.append(reraisable(err))
            raise ValidationError.from_exception_data(exc.title, rewritten) from None


class Ref(StrictModel):
    """A documentation link (``refs[]`` in the meta section)."""

    title: str | None = None
    href: str


class ResourceMeta(StrictModel):
    """The meta section every DataOS resource shares."""

    KIND: ClassVar[str] = ""
    VERSIONS: ClassVar[tuple[str, ...]] = ("v1",)
    NAME_IS_STRICT: ClassVar[bool] = False

    name: str = Field(
        description="Resource name: lower-case letters, digits and '-', starting and ending with a letter "
        f"or digit, at most {MAX_NAME_LENGTH} characters. Unique per kind.",
        json_schema_extra={"pattern": RESOURCE_NAME_PATTERN, "maxLength": MAX_NAME_LENGTH},
    )
    version: str = Field(description="Manifest version of the kind.")
    type: str = Field(description="The kind of resource.")
    tags: list[str] = Field(default_factory=list, description="Free-form tags (e.g. 'DPDomain.Sales').")
    description: str | None = Field(default=None, description="What the resource is for.")
    owner: str | None = Field(default=None, description="Owner (a user or team id).")
    layer: str | None = Field(default=None, pattern=r"^(user|system)$", description="'user' or 'system'.")
    workspace: str | None = Field(default=None, description="DataOS workspace of workspace-level resources.")
    title: str | None = Field(default=None, description="Human-readable title.")
    refs: list[Ref] = Field(default_factory=list, description="Documentation links.")

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _check_strict_name(value) if cls.NAME_IS_STRICT else _check_resource_name(value)

    @property
    def key(self) -> tuple[str, str]:
        """The identity of this resource in the graph: (kind, name)."""
        return (self.KIND, self.name)


class ResourceEntry(StrictModel):
    """A reference of the form ``refType`` + ``ref`` (data product inputs, outputs, resource, ports)."""

    ref_type: str = Field(default="dataos", alias="refType")
    ref: str
    description: str | None = None
    purpose: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
