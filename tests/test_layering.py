"""The layers of docs/architecture.md, checked on the source: who may import whom.

Every ``import`` statement of the package counts, also those inside functions (a lazy import is
still a dependency, it only runs later) and those under ``TYPE_CHECKING``. A rule about a layer
holds for everything the layer reaches through the package's own modules, not only for its
direct imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dataproduct_iac"
PULUMI = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "pulumi_policy")

# Left of "build" in the flow: YAML to a resolved graph, stack configuration, physical names.
YAML_SIDE = (
    "dataproduct_iac.manifests",
    "dataproduct_iac.loader",
    "dataproduct_iac.manifest_paths",
    "dataproduct_iac.validation_errors",
    "dataproduct_iac.yaml_source",
    "dataproduct_iac.placeholders",
    "dataproduct_iac.graph",
    "dataproduct_iac.diagnostics",
    "dataproduct_iac.errors",
    "dataproduct_iac.settings",
    "dataproduct_iac.stack_config",
)


def _modules() -> dict[str, tuple[Path, bool]]:
    found: dict[str, tuple[Path, bool]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules()


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> Iterable[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = (module if is_package else module.rpartition(".")[0]).split(".")
        base = base[: len(base) - node.level + 1]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    for alias in node.names:
        submodule = f"{target}.{alias.name}"
        yield submodule if submodule in MODULES else target


@cache
def imports(module: str) -> frozenset[str]:
    """What ``module`` imports: our modules by name, anything else by its top-level name."""
    path, is_package = MODULES[module]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _targets(module, is_package, node):
                while target not in MODULES and target.startswith("dataproduct_iac."):
                    target = target.rpartition(".")[0]
                out.add(target if target in MODULES else target.partition(".")[0])
    out.discard(module)
    return frozenset(out)


def chain(start: str, forbidden: tuple[str, ...]) -> list[str] | None:
    """The import chain from ``start`` to a module under one of ``forbidden``, if there is one."""
    seen = {start}
    paths = [[start]]
    while paths:
        path = paths.pop(0)
        for target in sorted(imports(path[-1])):
            if any(target == f or target.startswith(f"{f}.") for f in forbidden):
                return [*path, target]
            if target in MODULES and target not in seen:
                seen.add(target)
                paths.append([*path, target])
    return None


def _under(*layers: str) -> list[str]:
    return [m for m in MODULES if any(m == layer or m.startswith(f"{layer}.") for layer in layers)]


RULES = [
    ("the YAML side never imports pulumi", YAML_SIDE, PULUMI),
    ("the scanner (its image has no pulumi) never imports pulumi", ("dataproduct_iac.scanner",), PULUMI),
    (
        "the scanner never imports the components",
        ("dataproduct_iac.scanner",),
        ("dataproduct_iac.components",),
    ),
    (
        "the scan command (the scanner image's entry point) never imports pulumi",
        ("dataproduct_iac.commands.scan", "dataproduct_iac.cli"),
        PULUMI,
    ),
    ("Trino rendering never imports pulumi", ("dataproduct_iac.trino",), PULUMI),
    (
        "Trino rendering never imports the components",
        ("dataproduct_iac.trino",),
        ("dataproduct_iac.components",),
    ),
    (
        "commands never import the cli that loads them",
        ("dataproduct_iac.commands",),
        ("dataproduct_iac.cli",),
    ),
]


@pytest.mark.parametrize(("rule", "layers", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_layer_rule(rule: str, layers: tuple[str, ...], forbidden: tuple[str, ...]) -> None:
    modules = _under(*layers)
    assert modules, f"{rule}: no module in {layers}"
    broken = {m: found for m in modules if (found := chain(m, forbidden))}
    assert not broken, f"{rule}:\n" + "\n".join(" -> ".join(c) for c in broken.values())


def test_no_import_cycles() -> None:
    cycles = [c for c in _strongly_connected() if len(c) > 1]
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(sorted(c)) for c in cycles)


def test_the_rules_see_lazy_and_relative_imports() -> None:
    """The parser itself: a function-level relative import counts (the commands import lazily)."""
    assert "dataproduct_iac.graph" in imports("dataproduct_iac.commands.graph")
    assert "pulumi" in imports("dataproduct_iac.components.depot")
    assert chain("dataproduct_iac.components.depot", PULUMI) == ["dataproduct_iac.components.depot", "pulumi"]


def _strongly_connected() -> list[set[str]]:
    """Tarjan's algorithm over our modules (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in MODULES:
        if root in index:
            continue
        work = [(root, iter(sorted(t for t in imports(root) if t in MODULES)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(t for t in imports(target) if t in MODULES))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    found.append(component)
    return found
