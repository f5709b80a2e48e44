"""`dataproduct plan`: JSON of every example checked structurally, determinism, stack files, the CLI
end to end as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import run_dataproduct

from dataproduct_iac import program
from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.manifests import InstanceSecret
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.plan import SECRET, run_program
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.stack_config import PLACEHOLDER_SECRET, read_stack_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "manifests").is_dir())
RESOURCE_KEYS = {
    "urn",
    "type",
    "name",
    "parent",
    "custom",
    "depends_on",
    "inputs",
    "protect",
    "retainOnDelete",
}


def cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``dataproduct ARGS`` without the caller's PULUMI_CONFIG_* variables (stack secrets stay encrypted)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG")}
    environment.update(env or {})
    return run_dataproduct(*args, cwd=cwd, env=environment, inherit_env=False, timeout=300)


def example_args(example: Path) -> list[str]:
    values = example / "values.yaml"
    return [str(example / "manifests"), *(["--values", str(values)] if values.exists() else [])]


def secret_values(example: Path) -> list[str]:
    """Every secret value of the example's instance secrets (to prove none leaks)."""
    values = example / "values.yaml"
    sources = ValueSources(files=[read_values_file(values)] if values.exists() else [], environment={})
    graph = resolve(load([example / "manifests"], sources, exclude=[values]))
    out = []
    for node in graph.of_kind("instance-secret"):
        assert isinstance(node.manifest, InstanceSecret)
        out += [v.get_secret_value() for v in node.manifest.instance_secret.data.values()]
    return [v for v in out if len(v) >= 6]


def check_structure(document: dict[str, Any], *, protected: bool = True) -> None:
    assert set(document) == {"project", "stack", "resources"}
    resources = document["resources"]
    urns = [r["urn"] for r in resources]
    assert len(urns) == len(set(urns)), "duplicate URNs"
    assert resources[0]["type"] == "pulumi:pulumi:Stack" and resources[0]["parent"] is None
    for resource in resources:
        assert set(resource) == RESOURCE_KEYS
        assert resource["urn"].endswith(f"::{resource['name']}")
        assert resource["parent"] is None or resource["parent"] in urns
        assert set(resource["depends_on"]) <= set(urns)
        assert isinstance(resource["custom"], bool) and isinstance(resource["protect"], bool)
        assert isinstance(resource["inputs"], dict)
        if resource["type"] == "aws:s3/bucket:Bucket":
            assert resource["protect"] is protected
        if resource["type"] == "aws:secretsmanager/secretVersion:SecretVersion":
            assert resource["inputs"]["secretString"] == SECRET
        if resource["type"].startswith("dataproduct:index:"):
            assert resource["custom"] is False
    types = {r["type"] for r in resources}
    assert {
        "dataproduct:index:DataProduct",
        "dataproduct:index:Depot",
        "dataproduct:index:InstanceSecret",
    } <= types


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_plan_json_of_every_example(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = cli("plan", *example_args(example), "--json", str(out))
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["project"] == "dataproduct" and document["stack"] == "dev"
    check_structure(document)
    text = out.read_text(encoding="utf-8") + result.stdout + result.stderr
    for value in secret_values(example):
        assert value not in text
    assert "Traceback" not in result.stderr
    count = len(document["resources"]) - 1
    assert f"Resources: + {count} to create" in result.stdout


def test_plan_is_deterministic(traffic_example) -> None:
    path, sources = traffic_example
    prepared = program.Prepared(resolve(load([path], sources)), StackSettings(stack="dev"))
    first = run_program(lambda: program.deploy(prepared), project="dataproduct", stack="dev").to_json()
    second = run_program(lambda: program.deploy(prepared), project="dataproduct", stack="dev").to_json()
    assert first == second


def test_bad_manifest_exits_1_before_anything_is_registered(tmp_path: Path) -> None:
    bad = tmp_path / "depot.yaml"
    bad.write_text("name: broken\nversion: v2alpha\ntype: depot\ndepot:\n  type: S3\n  s3: {bucket: x}\n")
    out = tmp_path / "plan.json"
    result = cli("plan", str(bad), "--json", str(out))
    assert result.returncode == 1
    assert "depot.yaml:6" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert result.stdout == ""


def test_json_to_stdout_is_the_document(tmp_path: Path) -> None:
    example = ROOT / "examples" / "traffic-source-analysis"
    result = cli("plan", *example_args(example), "--json", "-")
    assert result.returncode == 0, result.stderr
    check_structure(json.loads(result.stdout))


def test_stack_file_without_paths_and_passphrase() -> None:
    plain = cli("plan", "--stack", "local", "--json", "-")
    assert plain.returncode == 0, plain.stderr
    assert "planned with a placeholder (PULUMI_CONFIG_PASSPHRASE is not set)" in plain.stderr
    decrypted = cli("plan", "--stack", "local", "--json", "-", env={"PULUMI_CONFIG_PASSPHRASE": "local"})
    assert decrypted.returncode == 0, decrypted.stderr
    assert "placeholder" not in decrypted.stderr
    document = json.loads(decrypted.stdout)
    check_structure(document, protected=False)  # the local stack opts out of protection
    assert document["stack"] == "local"
    buckets = [r for r in document["resources"] if r["type"] == "aws:s3/bucket:Bucket"]
    assert {b["inputs"]["bucket"] for b in buckets} == {"ga-data-local", "icebase-lakehouse-local"}
    assert "local-moto-secret-access-key" not in decrypted.stdout + decrypted.stderr


def test_read_stack_file_decrypts_or_marks_placeholders() -> None:
    good = read_stack_file(ROOT, "local", {"PULUMI_CONFIG_PASSPHRASE": "local"})
    secrets = json.loads(good.config["dataproduct:secrets"])
    assert secrets["aws-secret-access-key"] == "local-moto-secret-access-key"
    assert good.config["dataproduct:protect"] == "false" and good.notes == []
    wrong = read_stack_file(ROOT, "local", {"PULUMI_CONFIG_PASSPHRASE": "not-it"})
    assert json.loads(wrong.config["dataproduct:secrets"])["aws-secret-access-key"] == PLACEHOLDER_SECRET
    assert any("does not decrypt" in note for note in wrong.notes)
    missing = read_stack_file(ROOT, "no-such-stack", {})
    assert not missing.exists
    assert "dataproduct:manifests" not in missing.config  # only Pulumi.yaml's declared defaults


def test_no_paths_and_no_stack_file_is_a_usage_error() -> None:
    result = cli("plan", "--stack", "no-such-stack")
    assert result.returncode == 1
    assert "no PATH given and no stack file" in result.stderr


def make_project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: trial\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(config)
    return tmp_path


def test_stack_overrides_apply_and_unknown_targets_fail(tmp_path: Path) -> None:
    example = ROOT / "examples" / "traffic-source-analysis"
    base = (
        "config:\n"
        f"  dataproduct:manifests: ['{example / 'manifests'}']\n"
        f"  dataproduct:values: '{example / 'values.yaml'}'\n"
        "  dataproduct:namePrefix: acme-\n"
    )
    project = make_project(
        tmp_path, base + "  dataproduct:overrides:\n    s3depot: {depot: {s3: {bucket: other-data}}}\n"
    )
    result = cli("plan", "--stack", "t", "--json", "-", cwd=project)
    assert result.returncode == 1  # s3depot writes its connection under 'spec:': a second block is refused
    assert "dataproduct:overrides" in result.stderr or "connection given twice" in result.stderr

    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(
        base + "  dataproduct:overrides:\n    s3depot: {depot: {spec: {bucket: other-data}}}\n"
    )
    result = cli("plan", "--stack", "t", "--json", "-", cwd=project)
    assert result.returncode == 0, result.stderr
    buckets = {
        r["inputs"]["bucket"]
        for r in json.loads(result.stdout)["resources"]
        if r["type"] == "aws:s3/bucket:Bucket"
    }
    assert buckets == {"acme-other-data-t", "acme-icebase-lakehouse-t"}

    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(
        base + "  dataproduct:overrides:\n    s3dept: {depot: {spec: {bucket: other-data}}}\n"
    )
    result = cli("plan", "--stack", "t", cwd=project)
    assert result.returncode == 1
    assert "dataproduct:overrides: s3dept: no loaded manifest is named 's3dept'" in result.stderr
    assert "did you mean 's3depot'" in result.stderr


def test_unknown_config_key_is_reported(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, "config:\n  dataproduct:regsitryBucket: x\n  dataproduct:manifests: [nothing]\n"
    )
    result = cli("plan", "--stack", "t", cwd=project)
    assert result.returncode == 1
    assert (
        "dataproduct:regsitryBucket: unknown configuration key; did you mean dataproduct:registryBucket?"
        in (result.stderr)
    )
