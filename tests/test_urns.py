"""URN stability: the examples' engine URNs against a committed snapshot, and the moves a team makes
(a resource into or out of a bundle, a renamed bundle, a scanner workflow that scans one more depot)
resolved the way the engine resolves aliases: nothing that exists may be deleted or replaced.

The snapshot is ``tests/snapshots/urns.json``. After a deliberate change of the resource set, review
and rewrite it with ``UPDATE_URN_SNAPSHOT=1 .venv/bin/python -m pytest tests/test_urns.py``; a change
that alters an existing URN needs an alias first (see docs/upgrades.md).
"""

from __future__ import annotations

import os
import runpy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from helpers.urns import AliasSpec, Goal, Steps, read_snapshot, record, resolve, urns, write_snapshot
from test_program import PYTHON_PROGRAM_CONFIG

from dataproduct_iac import program
from dataproduct_iac.graph import resolve as resolve_graph
from dataproduct_iac.loader import load
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.plan import engine_urn
from dataproduct_iac.settings import StackSettings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SNAPSHOT = Path(__file__).parent / "snapshots" / "urns.json"
PROJECT, STACK = "dataproduct", "dev"
SETTINGS = StackSettings(stack=STACK, registry_bucket="registry-bucket", create_access=True)
"""Every optional resource on (IAM policies, descriptors): the snapshot covers all of them."""
MANIFEST_EXAMPLES = ("traffic-source-analysis", "product-affinity-cross-sell")


def manifest_program(project_dir: Path) -> Callable[[], Any]:
    values = project_dir / "values.yaml"
    sources = ValueSources(files=[read_values_file(values)] if values.exists() else [], environment={})
    graph = resolve_graph(load([project_dir / "manifests"], sources))
    prepared = program.Prepared(graph, SETTINGS)
    return lambda: program.deploy(prepared)


def example_goals(name: str) -> list[Goal]:
    if name == "python-program":
        main = EXAMPLES / "python-program" / "__main__.py"
        return record(
            lambda: runpy.run_path(str(main)),
            project="python-program",
            stack=STACK,
            config=PYTHON_PROGRAM_CONFIG,
        )
    return record(manifest_program(EXAMPLES / name), project=PROJECT, stack=STACK)


def project_of(name: str) -> str:
    return "python-program" if name == "python-program" else PROJECT


# -- the engine's URNs and alias rules, as the helper implements them ---------------------------------
def test_engine_urns_carry_the_whole_parent_type_chain() -> None:
    goals = example_goals("traffic-source-analysis")
    by_name = {(g.type, g.name): g for g in goals}
    bucket = by_name[("aws:s3/bucket:Bucket", "s3depot-bucket")]
    assert bucket.urn == (
        "urn:pulumi:dev::dataproduct::dataproduct:index:Bundle$dataproduct:index:Depot$"
        "aws:s3/bucket:Bucket::s3depot-bucket"
    )
    product = by_name[("dataproduct:index:DataProduct", "traffic-source-analysis")]
    assert product.urn == (
        "urn:pulumi:dev::dataproduct::dataproduct:index:DataProduct::traffic-source-analysis"
    )
    for goal in goals:  # every URN is the engine's rule applied to its parent
        assert goal.urn == engine_urn(STACK, PROJECT, goal.parent, goal.type, goal.name)


def test_alias_resolution_follows_the_engine() -> None:
    stack_urn = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"
    old_parent = "urn:pulumi:dev::p::my:index:Box::old"
    old_child = "urn:pulumi:dev::p::my:index:Box$aws:s3/bucket:Bucket::old-bucket"
    new_parent = "urn:pulumi:dev::p::my:index:Wrap$my:index:Box::new"
    new_child = "urn:pulumi:dev::p::my:index:Wrap$my:index:Box$aws:s3/bucket:Bucket::new-bucket"
    wrap = "urn:pulumi:dev::p::my:index:Wrap::w"
    goals = [
        Goal(wrap, "my:index:Wrap", "w", stack_urn),
        # renamed and moved under Wrap: the alias names the old name and "top level"
        Goal(new_parent, "my:index:Box", "new", wrap, (AliasSpec(name="old", no_parent=True),)),
        # its child follows through the inherited alias, with the parent prefix of its name rewritten
        Goal(new_child, "aws:s3/bucket:Bucket", "new-bucket", new_parent),
    ]
    steps = resolve([old_parent, old_child], goals, project="p", stack="dev")
    assert steps.aliased == {new_parent: old_parent, new_child: old_child}
    assert steps.created == [wrap] and steps.deleted == [] and steps.errors == []
    # Without the alias, the parent and its child are both replaced.
    bare = [goals[0], Goal(new_parent, "my:index:Box", "new", wrap), goals[2]]
    steps = resolve([old_parent, old_child], bare, project="p", stack="dev")
    assert sorted(steps.deleted) == sorted([old_parent, old_child])
    # An alias naming a parent by URN takes the parent's chain; two claims on one URN are an error.
    twice = [
        Goal(new_parent, "my:index:Box", "new", wrap, (AliasSpec(name="old", parent=stack_urn),)),
        Goal(new_parent + "2", "my:index:Box", "new2", wrap, (AliasSpec(name="old", no_parent=True),)),
    ]
    steps = resolve([old_parent], twice, project="p", stack="dev")
    assert steps.aliased[new_parent] == old_parent and len(steps.errors) == 1


# -- the committed snapshot ------------------------------------------------------------------------------
SNAPSHOT_EXAMPLES = (*MANIFEST_EXAMPLES, "python-program")


@pytest.fixture(scope="module")
def current() -> dict[str, list[Goal]]:
    return {name: example_goals(name) for name in SNAPSHOT_EXAMPLES}


def test_urn_snapshot_is_current(current: dict[str, list[Goal]]) -> None:
    now = {name: urns(goals) for name, goals in current.items()}
    if os.environ.get("UPDATE_URN_SNAPSHOT") == "1":
        write_snapshot(SNAPSHOT, now)
    saved = read_snapshot(SNAPSHOT)
    for name in SNAPSHOT_EXAMPLES:
        added = sorted(set(now[name]) - set(saved.get(name, [])))
        gone = sorted(set(saved.get(name, [])) - set(now[name]))
        assert not added and not gone, (
            f"{name}: the URNs changed (new: {added}; no longer registered: {gone}). If deliberate and "
            "test_examples_replace_nothing passes, rewrite the snapshot with UPDATE_URN_SNAPSHOT=1"
        )


@pytest.mark.parametrize("name", SNAPSHOT_EXAMPLES)
def test_examples_replace_nothing(name: str, current: dict[str, list[Goal]]) -> None:
    """Every URN of the snapshot is still registered, as it is or through an alias."""
    olds = read_snapshot(SNAPSHOT)[name]
    steps = resolve(olds, current[name], project=project_of(name), stack=STACK)
    assert steps.errors == []
    assert steps.deleted == [], f"{name}: these resources would be deleted or replaced: {steps.deleted}"


# -- the moves a team makes -------------------------------------------------------------------------------
def copy_example(tmp_path: Path, name: str = "traffic-source-analysis") -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target)
    return target


def edit_yaml(path: Path, edit: Callable[[list[dict[str, Any]]], None]) -> None:
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    edit(documents)
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")


def take_out_of_bundle(project_dir: Path, member_id: str) -> None:
    """The bundle no longer lists ``member_id``: its file becomes a top-level manifest."""

    def edit(documents: list[dict[str, Any]]) -> None:
        resources = documents[0]["bundle"]["resources"]
        resources[:] = [r for r in resources if r["id"] != member_id]
        for entry in resources:
            entry["dependencies"] = [d for d in entry.get("dependencies", []) if d != member_id]

    edit_yaml(project_dir / "manifests" / "bundle.yaml", edit)


def goals_of(project_dir: Path) -> list[Goal]:
    return record(manifest_program(project_dir), project=PROJECT, stack=STACK)


def steps_between(before: Path, after: Path) -> Steps:
    return resolve(urns(goals_of(before)), goals_of(after), project=PROJECT, stack=STACK)


MEMBERS = {
    "depot": ("dataproduct:index:Depot", "s3depot"),
    "read-secret": ("dataproduct:index:InstanceSecret", "s3depot-r"),
    "scanner": ("dataproduct:index:ScannerJob", "scan-depot"),
    "cluster": ("dataproduct:index:TrinoCluster", "advancedminerva"),
}


@pytest.mark.parametrize("member_id", sorted(MEMBERS))
@pytest.mark.parametrize("direction", ["into", "out of"])
def test_moved_member_keeps_its_urns(tmp_path: Path, member_id: str, direction: str) -> None:
    """A depot, secret, scanner or cluster moved into (or out of) a bundle keeps every URN through an
    alias: nothing is deleted, nothing created."""
    in_bundle = copy_example(tmp_path / "a")
    top_level = copy_example(tmp_path / "b")
    take_out_of_bundle(top_level, member_id)
    before, after = (top_level, in_bundle) if direction == "into" else (in_bundle, top_level)
    steps = steps_between(before, after)
    type_, name = MEMBERS[member_id]
    moved = next(urn for urn in steps.aliased if urn.endswith(f"{type_}::{name}"))
    assert ("dataproduct:index:Bundle$" in moved) == (direction == "into")
    assert steps.errors == []
    assert steps.deleted == [] and steps.created == []


def test_moved_depot_keeps_its_urn(tmp_path: Path) -> None:
    """The depot's bucket, in particular, is the same resource after the depot moved into the bundle."""
    in_bundle = copy_example(tmp_path / "a")
    top_level = copy_example(tmp_path / "b")
    take_out_of_bundle(top_level, "depot")
    steps = steps_between(top_level, in_bundle)
    chain = "dataproduct:index:Bundle$dataproduct:index:Depot$aws:s3/bucket:Bucket::s3depot-bucket"
    bucket = f"urn:pulumi:dev::dataproduct::{chain}"
    before = "urn:pulumi:dev::dataproduct::dataproduct:index:Depot$aws:s3/bucket:Bucket::s3depot-bucket"
    assert steps.aliased[bucket] == before


def test_renamed_bundle_replaces_nothing(tmp_path: Path) -> None:
    """Members' URNs do not hold the bundle's name, the workspace namespaces are named after their
    workspace: a renamed bundle only renames the bundle's own component record (no cloud object)."""
    before = copy_example(tmp_path / "a")
    after = copy_example(tmp_path / "b")

    def rename(documents: list[dict[str, Any]]) -> None:
        documents[0]["name"] = "traffic-bundle"

    def point(documents: list[dict[str, Any]]) -> None:
        documents[0]["v1beta"]["data"]["resource"]["ref"] = "bundle:v1beta:traffic-bundle"

    edit_yaml(after / "manifests" / "bundle.yaml", rename)
    edit_yaml(after / "manifests" / "product.yaml", point)
    steps = steps_between(before, after)
    assert steps.errors == []
    bundle = "urn:pulumi:dev::dataproduct::dataproduct:index:Bundle::"
    assert steps.deleted == [bundle + "traffic-source-bundle"]
    assert steps.created == [bundle + "traffic-bundle"]


def test_scanner_growing_to_a_second_depot_replaces_nothing(tmp_path: Path) -> None:
    """A scanner workflow that also scans icebase: the scanner of s3depot keeps its URNs (and its
    physical names), the new depot's scanner is created beside it."""
    before = copy_example(tmp_path / "a")
    after = copy_example(tmp_path / "b")

    def grow(documents: list[dict[str, Any]]) -> None:
        dag = documents[0]["workflow"]["dag"]
        second = yaml.safe_load(yaml.safe_dump(dag[0]))
        second["name"] = "scan-icebase"
        second["spec"]["stackSpec"]["depot"] = "dataos://icebase"
        dag.append(second)

    edit_yaml(after / "manifests" / "scanner.yaml", grow)
    old_goals, new_goals = goals_of(before), goals_of(after)
    steps = resolve(urns(old_goals), new_goals, project=PROJECT, stack=STACK)
    assert steps.errors == [] and steps.deleted == []
    assert steps.created and all("scan-depot-icebase" in urn for urn in steps.created)


def test_moves_under_a_caller_parent_are_aliased_too(tmp_path: Path) -> None:
    """``build`` under a caller's component: "top level" is directly under that component."""
    in_bundle = copy_example(tmp_path / "a")
    top_level = copy_example(tmp_path / "b")
    take_out_of_bundle(top_level, "depot")

    def under_platform(project_dir: Path) -> list[Goal]:
        values = project_dir / "values.yaml"
        graph = resolve_graph(
            load([project_dir / "manifests"], ValueSources(files=[read_values_file(values)], environment={}))
        )

        def program_() -> None:
            platform = pulumi.ComponentResource("my:index:Platform", "platform")
            program.deploy(program.Prepared(graph, SETTINGS), pulumi.ResourceOptions(parent=platform))

        return record(program_, project=PROJECT, stack=STACK)

    before, after = under_platform(top_level), under_platform(in_bundle)
    steps = resolve(urns(before), after, project=PROJECT, stack=STACK)
    assert steps.errors == [] and steps.deleted == [] and steps.created == []
    depot = next(urn for urn in steps.aliased if urn.endswith("dataproduct:index:Depot::s3depot"))
    assert "my:index:Platform$dataproduct:index:Bundle$dataproduct:index:Depot" in depot
