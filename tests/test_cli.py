"""The ``dataproduct`` command line, run as a subprocess the way users run it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers.cli import run_dataproduct, run_python

from dataproduct_iac import __version__, load, resolve
from dataproduct_iac.placeholders import ValueSources, read_values_file
from dataproduct_iac.placeholders import resolve as fill_placeholders

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "manifests").is_dir())
TRAFFIC = ROOT / "examples" / "traffic-source-analysis"
CORPUS = ROOT / "tests" / "corpus"


def dataproduct(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DP_TEST_")}
    environment.update(env or {})
    return run_dataproduct(*map(str, args), cwd=cwd, env=environment, inherit_env=False, timeout=120)


def example_args(example: Path) -> list[str | Path]:
    values = example / "values.yaml"
    return [example / "manifests", *(["--values", values] if values.exists() else [])]


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


# -- validate -----------------------------------------------------------------------------------
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_every_example_validates(example: Path) -> None:
    result = dataproduct("validate", *example_args(example))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_validate_json_lists_manifests_in_build_order() -> None:
    result = dataproduct("validate", *example_args(TRAFFIC), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["errors"] == []
    sources = ValueSources(files=[read_values_file(TRAFFIC / "values.yaml")], environment={})
    graph = resolve(load([TRAFFIC / "manifests"], sources))
    assert [(m["kind"], m["name"]) for m in report["manifests"]] == list(graph.order)
    first = report["manifests"][0]
    assert Path(ROOT / first["file"]).is_file() and first["line"] >= 1


def test_validate_reports_every_error_with_location() -> None:
    result = dataproduct("validate", CORPUS / "workflow-bad-cron-minute.yaml", CORPUS / "bad-acl.yaml")
    assert result.returncode == 1
    assert_no_traceback(result)
    lines = result.stderr.splitlines()
    assert lines[0] == "2 errors in the manifests"
    assert "tests/corpus/bad-acl.yaml:7: instance-secret.acl: " in lines[1]
    assert "tests/corpus/workflow-bad-cron-minute.yaml:7: workflow.schedule.cron: " in lines[2]


def test_validate_json_errors() -> None:
    result = dataproduct("validate", CORPUS / "depot-missing-secret.yaml", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    [error] = report["errors"]
    assert error["file"].endswith("depot-missing-secret.yaml")
    assert (error["line"], error["field"]) == (8, "depot.secrets[0].name")
    assert "did you mean 'icebase-r'?" in error["message"]


def test_validate_never_prints_secret_values() -> None:
    result = dataproduct("validate", CORPUS, "--format", "json")
    assert result.returncode == 1
    assert "S3NT1NEL" not in result.stdout + result.stderr
    assert len(json.loads(result.stdout)["errors"]) >= 40


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["validate", "does/not/exist.yaml"], "no such file or directory"),
        (["validate", CORPUS / "binary.yaml"], "not UTF-8 text"),
        (["validate", CORPUS / "empty.yaml"], "file contains no manifest"),
        (["validate", ROOT / "dataproduct_iac" / "commands"], "no *.yaml"),
        (["validate", TRAFFIC / "manifests", "--values", "missing-values.yaml"], "values file not found"),
        (["validate", TRAFFIC / "manifests", "--values", CORPUS / "not-a-mapping.yaml"], "one YAML mapping"),
        (["validate", TRAFFIC / "manifests", "--values", CORPUS / "binary.yaml"], "not UTF-8 text"),
        (["validate", TRAFFIC / "manifests", "--set", "no-equals-sign"], "expected name=value"),
        (["validate"], "required: PATH"),
        (["validate", TRAFFIC / "manifests", "--format", "xml"], "invalid choice"),
        (["graph", "does/not/exist.yaml", "--format", "dot"], "no such file or directory"),
        (["no-such-command"], "invalid choice"),
    ],
)
def test_bad_input_exits_1_without_traceback(args: list[Any], fragment: str) -> None:
    result = dataproduct(*args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert fragment in result.stderr


# -- placeholders -------------------------------------------------------------------------------
PRECEDENCE_MANIFEST = """\
name: icebase-r
version: ${{DP_TEST_VERSION}}
type: instance-secret
instance-secret:
  type: key-value
  acl: r
"""


@pytest.mark.parametrize(
    ("use_env", "use_values", "use_set", "winner"),
    [
        (True, False, False, "v7"),
        (True, True, False, "v8"),
        (True, True, True, "v9"),
        (False, False, True, "v9"),
    ],
)
def test_placeholder_precedence_set_over_values_over_environment(
    tmp_path: Path, use_env: bool, use_values: bool, use_set: bool, winner: str
) -> None:
    manifest = tmp_path / "secret.yaml"
    manifest.write_text(PRECEDENCE_MANIFEST)
    values = tmp_path / "values.yaml"
    values.write_text("DP_TEST_VERSION: v8\n")
    args: list[str | Path] = ["validate", manifest]
    if use_values:
        args += ["--values", values]
    if use_set:
        args += ["--set", "DP_TEST_VERSION=v9"]
    result = dataproduct(*args, env={"DP_TEST_VERSION": "v7"} if use_env else {})
    assert result.returncode == 1
    assert f"version: Input should be 'v1' (got '{winner}')" in result.stderr


def test_later_values_files_win(tmp_path: Path) -> None:
    manifest = tmp_path / "secret.yaml"
    manifest.write_text(PRECEDENCE_MANIFEST)
    (tmp_path / "a.yaml").write_text("DP_TEST_VERSION: v5\n")
    (tmp_path / "b.yaml").write_text("DP_TEST_VERSION: v1\n")
    ok = dataproduct("validate", manifest, "--values", tmp_path / "a.yaml", "--values", tmp_path / "b.yaml")
    assert ok.returncode == 0, ok.stderr
    bad = dataproduct("validate", manifest, "--values", tmp_path / "b.yaml", "--values", tmp_path / "a.yaml")
    assert "(got 'v5')" in bad.stderr


def test_unresolved_placeholders_are_listed_with_locations() -> None:
    result = dataproduct("validate", TRAFFIC / "manifests")
    assert result.returncode == 1
    where = "examples/traffic-source-analysis/manifests/depot.yaml:21: depot.spec.region"
    assert f"{where}: unresolved placeholder 'aws-region'" in result.stderr
    assert result.stderr.count("unresolved placeholder") == int(result.stderr.split(" ", 1)[0])


# -- graph --------------------------------------------------------------------------------------
def _graph(fmt: str) -> subprocess.CompletedProcess[str]:
    result = dataproduct("graph", *example_args(TRAFFIC), "--format", fmt)
    assert result.returncode == 0, result.stderr
    return result


def test_graph_formats_agree() -> None:
    data = json.loads(_graph("json").stdout)
    order = [f"{n['kind']}/{n['name']}" for n in data["order"]]
    edges = {(e["from"], e["to"]) for e in data["edges"]}
    assert order.index("depot/s3depot") < order.index("workflow/scan-depot")
    assert ("depot/s3depot", "instance-secret/s3depot-r") in edges
    assert data["external"] == {"product/traffic-source-analysis": ["lens:v1alpha:traffic-source:public"]}

    text = _graph("text").stdout
    assert text.startswith("Build order (dependencies first):")
    listed = [line.split(". ", 1)[1].split()[0] for line in text.splitlines()[1:] if ". " in line]
    assert listed == order

    dot = _graph("dot").stdout
    assert dot.startswith("digraph dataproduct {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == len(data["edges"])

    mermaid = _graph("mermaid").stdout
    assert mermaid.startswith("flowchart LR")
    assert mermaid.count("-->|") == len(data["edges"])


def test_graph_rejects_a_cycle_with_its_path() -> None:
    result = dataproduct("graph", CORPUS / "bundle-dependency-cycle.yaml")
    assert result.returncode == 1
    assert (
        "dependency cycle: instance-secret/icebase-r → depot/icebase → instance-secret/icebase-r"
        in result.stderr
    )


# -- schema -------------------------------------------------------------------------------------
def _documents(example: Path) -> list[tuple[str, Any]]:
    return [
        (f"{path.name}#{index}", document)
        for path in sorted((example / "manifests").rglob("*.yaml"))
        for index, document in enumerate(yaml.safe_load_all(path.read_text()))
    ]


def _schema(*args: str) -> dict[str, Any]:
    result = dataproduct("schema", *args)
    assert result.returncode == 0, result.stderr
    schema: dict[str, Any] = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_schema_accepts_every_example_document_as_written() -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    checked = 0
    for example in EXAMPLES:
        for where, document in _documents(example):
            errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]
            assert not errors, f"{example.name}/{where}: {errors}"
            checked += 1
    assert checked >= 20


def test_strict_schema_accepts_examples_with_placeholders_filled() -> None:
    validator = jsonschema.Draft202012Validator(_schema("--no-placeholders"))
    for example in EXAMPLES:
        values = example / "values.yaml"
        sources = ValueSources(files=[read_values_file(values)] if values.exists() else [], environment={})
        for where, document in _documents(example):
            filled = fill_placeholders(document, sources, lambda _path: True)
            assert not filled.unresolved
            errors = [
                f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(filled.data)
            ]
            assert not errors, f"{example.name}/{where}: {errors}"


@pytest.mark.parametrize(
    "case",
    [
        "unknown-field-top.yaml",
        "bad-acl.yaml",
        "wrong-type-replicas.yaml",
        "unknown-kind.yaml",
        "missing-mandatory-acl.yaml",
    ],
)
def test_schema_rejects_broken_manifests(case: str) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    document = yaml.safe_load((CORPUS / case).read_text())
    assert list(validator.iter_errors(document))


def test_schema_accepts_what_the_loader_accepts_in_lower_case(tmp_path: Path) -> None:
    """The loader takes `type: s3` and `format: iceberg`; the editor schema must not flag them."""
    text = """\
name: lake
version: v2alpha
type: depot
depot:
  type: s3
  s3:
    bucket: lake-bucket
    format: iceberg
"""
    (tmp_path / "depot.yaml").write_text(text)
    assert dataproduct("validate", tmp_path).returncode == 0
    for flags in ((), ("--no-placeholders",)):
        validator = jsonschema.Draft202012Validator(_schema(*flags))
        assert list(validator.iter_errors(yaml.safe_load(text))) == []
        wrong = yaml.safe_load(text.replace("type: s3", "type: s4"))
        assert list(validator.iter_errors(wrong))


def test_schema_for_one_kind() -> None:
    schema = _schema("--kind", "depot")
    assert schema["title"] == "Depot"
    assert "depot" in schema["properties"]


# -- top level ----------------------------------------------------------------------------------
def test_version() -> None:
    result = dataproduct("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"dataproduct {__version__}"


def test_help_lists_commands_and_examples() -> None:
    result = dataproduct("--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout
    for command in ("validate", "graph", "schema"):
        assert f"dataproduct {command}" in result.stdout
        sub = dataproduct(command, "--help")
        assert sub.returncode == 0 and "usage: dataproduct " + command in sub.stdout


def test_console_script_runs_the_tree_under_test(tmp_path: Path) -> None:
    """Whatever copy of the package comes first on the path, the tests' ``dataproduct`` is this
    checkout's (a decoy stands for an installed copy)."""
    decoy = tmp_path / "dataproduct_iac"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("__version__ = 'decoy'\n")
    (decoy / "cli.py").write_text("def main():\n    print('decoy')\n    return 0\n")
    result = run_dataproduct("--version", env={"PYTHONPATH": str(tmp_path)}, timeout=60)
    assert result.stdout.strip() == f"dataproduct {__version__}", result.stdout + result.stderr
    where = run_python(
        ["-c", "import dataproduct_iac; print(dataproduct_iac.__file__)"],
        cwd=ROOT / "docs",
        env={"PYTHONPATH": str(tmp_path)},
        timeout=60,
    )
    assert Path(where.stdout.strip()) == ROOT / "dataproduct_iac" / "__init__.py", where.stderr


HEAVY = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "boto3", "botocore", "trino", "pyarrow")


def test_cli_startup_imports_no_pulumi_or_cloud_sdk() -> None:
    """Importing the CLI and building every subcommand's parser stays free of heavy SDKs."""
    code = (
        "import sys, json\n"
        "import dataproduct_iac.cli as cli\n"
        "after_import = sorted({m.split('.')[0] for m in sys.modules})\n"
        "cli.build_parser()\n"
        "after_parser = sorted({m.split('.')[0] for m in sys.modules})\n"
        "print(json.dumps([after_import, after_parser]))\n"
    )
    result = run_python(["-c", code], cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    after_import, after_parser = json.loads(result.stdout)
    assert not [m for m in HEAVY if m in after_import]
    assert not [m for m in HEAVY if m in after_parser]
