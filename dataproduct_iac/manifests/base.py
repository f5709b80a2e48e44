"""Common pieces of every manifest model: strict models, DataOS names, the resource meta section.

No pulumi import here or anywhere under ``manifests``.
"""

from __future__ import annotations

import difflib
import re
import types
import warnings
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, NoReturn, Self, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
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


def new_list() -> list[Any]:
    """``default_factory`` for an empty list. A Python function, not ``list``: pydantic inspects every
    default factory's signature when it builds a schema, and a builtin's text signature is parsed with
    ``tokenize`` (about 0.15 ms each; 44 such fields cost ~10 ms of every start-up)."""
    return []


def new_dict() -> dict[Any, Any]:
    """``default_factory`` for an empty mapping (see :func:`new_list`)."""
    return {}


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


def _strip(annotation: Any) -> Any:
    """``X`` for ``Annotated[X, ...]`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _step(annotation: Any, element: str | int) -> Any:
    """The type found at ``element`` (a field, list index, mapping key or union tag) below ``annotation``."""
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if element == name or element == info.alias:
                return info.annotation
        return None
    if origin is list and isinstance(element, int):
        return get_args(annotation)[0]
    if origin is dict:
        return get_args(annotation)[1]
    if origin is Union or origin is types.UnionType:
        # pydantic tags each member's errors with the member's name (``Collaborator``, ``str``).
        # Tagged members (a discriminated union) are tagged with their class name too.
        members = [get_args(a)[0] if get_origin(a) is Annotated else a for a in get_args(annotation)]
        return next((a for a in members if getattr(a, "__name__", None) == element), None)
    return None


def model_at(root: Any, loc: Sequence[str | int]) -> type[StrictModel] | None:
    """The strict model that validates the mapping at ``loc`` of ``root``'s input (an error location)."""
    annotation: Any = root
    for element in loc:
        annotation = _step(annotation, element)
        if annotation is None:
            return None
    annotation = _strip(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, StrictModel) else None


_CLASS_NAMING_ERRORS = frozenset(
    {"model_type", "model_attributes_type", "dataclass_type", "dataclass_exact_type", "is_instance_of"}
)
"""pydantic errors whose message names a Python class ("... or instance of CronSpec")."""


def yaml_type(value: Any) -> str:
    """What a YAML reader calls the type of ``value`` (the value itself is never shown)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a value of another kind"


def _mapping_expected(err: Any) -> InitErrorDetails:
    message = f"expected a mapping of fields, got {yaml_type(err.get('input'))}"
    return InitErrorDetails(
        type=PydanticCustomError("mapping_type", message), loc=tuple(err["loc"]), input=err.get("input")
    )


def named_unknown_fields(root: Any, exc: ValidationError) -> ValidationError:
    """``exc`` (from validating ``root``: a model or a type such as ``list[Model]``) with each 'extra
    inputs are not permitted' error naming the nearest known field, and no message naming one of
    our Python classes (a mapping given as a list says "expected a mapping of fields, got a list")."""
    rewritten: list[Any] = []
    for err in exc.errors():
        model = model_at(root, err["loc"][:-1]) if err["type"] == "extra_forbidden" and err["loc"] else None
        if model is not None:
            rewritten.append(_unknown_field_error(err, model.known_keys()))
        elif err["type"] in _CLASS_NAMING_ERRORS:
            rewritten.append(_mapping_expected(err))
        else:
            rewritten.append(reraisable(err))
    return ValidationError.from_exception_data(exc.title, rewritten)


class StrictModel(BaseModel):
    """A model that rejects unknown fields, naming the nearest known field.

    Field names are snake_case in Python and camelCase in YAML (the DataOS spelling).

    The hint is computed only when validation fails, from the error's location (:func:`model_at`),
    by the model validation was called on (the constructor, ``model_validate``,
    ``model_validate_json``, ``model_validate_strings``); a model validator on every (nested) model
    did the same at a Python call per model instance, a tenth of the load time at thousands of
    manifests. Validation through a ``TypeAdapter`` or a model of your own that holds these models
    reports pydantic's own message; :func:`named_unknown_fields` rewrites such an error.
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

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise named_unknown_fields(type(self), exc) from None

    # pydantic's marker for "not a custom __init__": nested models keep being built by pydantic-core
    # directly; this __init__ only runs when Python code calls the class.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    # Every option is passed through as given, so that options of later pydantic versions work too.
    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise named_unknown_fields(cls, exc) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise named_unknown_fields(cls, exc) from None

    @classmethod
    def model_validate_strings(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate_strings(obj, *args, **kwargs)
        except ValidationError as exc:
            raise named_unknown_fields(cls, exc) from None


class ExportedFieldWarning(UserWarning):
    """A manifest holds a field that the DataOS server adds when it exports a resource; it is ignored."""


EXPORTED_FIELDS = ("stamp", "uid", "generation", "created")
"""Fields the DataOS server adds to a resource's meta section when it exports a manifest."""


def drop_exported(data: Any, fields: Sequence[str], section: str = "") -> Any:
    """``data`` without the exported ``fields`` it holds, with a warning naming them (``section``: the
    path of ``data`` in the manifest, '' for the top level)."""
    if not isinstance(data, dict):
        return data
    found = [f for f in fields if f in data]
    if not found:
        return data
    names = ", ".join(f"{section}.{f}" if section else f for f in found)
    warnings.warn(
        f"{names}: written by the DataOS server when it exports a resource; ignored",
        ExportedFieldWarning,
        stacklevel=2,
    )
    return {k: v for k, v in data.items() if k not in found}


class Ref(StrictModel):
    """A documentation link (``refs[]`` in the meta section)."""

    title: str | None = None
    href: str


class ResourceMeta(StrictModel):
    """The meta section every DataOS resource shares. stamp, uid, generation and created, which the
    DataOS server writes into exported manifests, are ignored with a warning."""

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
    tags: list[str] = Field(default_factory=new_list, description="Free-form tags (e.g. 'DPDomain.Sales').")
    description: str | None = Field(default=None, description="What the resource is for.")
    owner: str | None = Field(default=None, description="Owner (a user or team id).")
    layer: str | None = Field(default=None, pattern=r"^(user|system)$", description="'user' or 'system'.")
    workspace: str | None = Field(default=None, description="DataOS workspace of workspace-level resources.")
    title: str | None = Field(default=None, description="Human-readable title.")
    refs: list[Ref] = Field(default_factory=new_list, description="Documentation links.")

    @model_validator(mode="before")
    @classmethod
    def _drop_exported(cls, data: Any) -> Any:
        return drop_exported(data, EXPORTED_FIELDS)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _check_strict_name(value) if cls.NAME_IS_STRICT else _check_resource_name(value)

    @property
    def key(self) -> tuple[str, str]:
        """The identity of this resource in the graph: (kind, name)."""
        return (self.KIND, self.name)
