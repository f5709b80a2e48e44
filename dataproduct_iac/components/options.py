"""Resource options the components derive for their children (never the caller's options themselves)."""

import pulumi


def data_protection(component: pulumi.ComponentResource) -> bool | None:
    """``protect`` for a component's data-holding children (a bucket, a Glue database, a secret).

    When nobody decided (no ``protect`` in the caller's options, none inherited from a parent), the
    data is protected: ``True``. Otherwise ``None``: the child inherits the component's protection,
    so the caller's ``protect=False`` (or ``True``) holds for every child.
    """
    decided: bool | None = getattr(component, "_protect", None)
    return True if decided is None else None
