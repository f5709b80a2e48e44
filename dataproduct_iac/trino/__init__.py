"""Pure rendering of Trino ("Minerva") clusters, plus the live client (``client``, ``health``).

Nothing here imports pulumi; ``client`` and ``health`` import the ``trino`` package lazily.
"""

from .catalogs import RenderedCatalog, SecretBinding
from .errors import Problem, TrinoConfigError
from .render import Names, RenderedCluster, render_cluster

__all__ = [
    "Names",
    "Problem",
    "RenderedCatalog",
    "RenderedCluster",
    "SecretBinding",
    "TrinoConfigError",
    "render_cluster",
]
