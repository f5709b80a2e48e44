"""What the components share: the options they derive for their children (never the caller's
options themselves) and their args as the component provider hands them over."""

import dataclasses
import inspect
import types
import typing
import weakref
from collections import abc
from collections.abc import Mapping
from typing import Any, TypeVar

import pulumi

from ..errors import ComponentArgsError

_DECIDED: "weakref.WeakKeyDictionary[pulumi.Resource, bool]" = weakref.WeakKeyDictionary()
"""The ``protect`` decided for each component of this package that was given one or took one from its
parent: what its children inherit. (Pulumi keeps what a resource inherited private.)"""


def decided_protect(component: pulumi.ComponentResource, opts: pulumi.ResourceOptions | None) -> bool | None:
    """The ``protect`` decided for ``component``, remembered for components created under it.

    Decided means given in the caller's options, or decided for the parent when the parent is one of this
    package's components (a Bundle holding it, however deep). ``None``: nobody decided. A parent from
    elsewhere does not tell what it inherited (the SDK has no public way to read it): its protection
    counts for the children when the component's own options repeat it.
    """
    decided = opts.protect if opts is not None else None
    if decided is None and opts is not None and opts.parent is not None:
        decided = _DECIDED.get(opts.parent)
    if decided is not None:
        _DECIDED[component] = decided
    return decided


def data_protection(component: pulumi.ComponentResource, opts: pulumi.ResourceOptions | None) -> bool | None:
    """``protect`` for a component's data-holding children (a bucket, a Glue database, a secret).

    When nobody decided (:func:`decided_protect`), the data is protected: ``True``. Otherwise ``None``:
    the child inherits the component's protection, which the SDK takes from the same options, so the
    caller's ``protect=False`` (or ``True``) holds for every child.
    """
    return True if decided_protect(component, opts) is None else None


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
