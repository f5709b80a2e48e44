"""What the components share: the options they derive for their children (never the caller's
options themselves) and their args as the component provider hands them over."""

import dataclasses
import inspect
import types
import typing
from collections import abc
from collections.abc import Mapping
from typing import Any, TypeVar

import pulumi

from ..errors import ComponentArgsError


def data_protection(component: pulumi.ComponentResource) -> bool | None:
    """``protect`` for a component's data-holding children (a bucket, a Glue database, a secret).

    When nobody decided (no ``protect`` in the caller's options, none inherited from a parent), the
    data is protected: ``True``. Otherwise ``None``: the child inherits the component's protection,
    so the caller's ``protect=False`` (or ``True``) holds for every child.
    """
    decided: bool | None = getattr(component, "_protect", None)
    return True if decided is None else None


T = TypeVar("T")


def coerce_args(cls: type[T], value: T | Mapping[str, Any]) -> T:
    """``value`` as ``cls`` (a dataclass of args). The component provider (another Pulumi language
    through ``pulumi package add``) hands the args over as a mapping of the Python field names, nested
    types as mappings too: they are built into the dataclasses here."""
    if isinstance(value, cls) or not isinstance(value, Mapping):
        return value
    # The annotations as objects (the args modules do not postpone them); pulumi.Input holds a forward
    # reference to Output that get_type_hints cannot resolve here, and that is never a dataclass.
    hints = inspect.get_annotations(cls)
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(value) - fields)
    if unknown:
        raise ComponentArgsError(f"{cls.__name__}: unknown field(s) {', '.join(unknown)}")
    built = {name: _coerce(hints[name], item) for name, item in value.items()}
    return cls(**built)


def _coerce(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        targets = [a for a in options if dataclasses.is_dataclass(a) or typing.get_origin(a) is not None]
        return _coerce(targets[0], value) if len(targets) == 1 else value
    if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
        return coerce_args(hint, value)  # type: ignore[arg-type]
    if origin in (abc.Sequence, list) and isinstance(value, list | tuple):
        (item,) = typing.get_args(hint) or (Any,)
        return [_coerce(item, v) for v in value]
    if origin in (abc.Mapping, dict) and isinstance(value, Mapping):
        _, item = typing.get_args(hint) or (Any, Any)
        return {k: _coerce(item, v) for k, v in value.items()}
    return value
