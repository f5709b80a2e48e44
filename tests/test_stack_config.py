"""Stack configuration read the way ``pulumi up`` hands it to the program (``stack_config``)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.cli import run_dataproduct
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from dataproduct_iac import program
from dataproduct_iac.diagnostics import ManifestError
from dataproduct_iac.plan import Plan, run_program
from dataproduct_iac.settings import StackSettings
from dataproduct_iac.stack_config import (
    SETTINGS,
    engine_text,
    parse_setting,
    parse_settings,
    read_stack_file,
    stack_inputs,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "traffic-source-analysis"


def project(tmp_path: Path, stack_config: str, *, stack: str = "t", strip_region: bool = False) -> Path:
    """A Pulumi project in ``tmp_path``: our Pulumi.yaml, the example's manifests and values, one stack."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(EXAMPLE / "manifests", tmp_path / "manifests")
    shutil.copy(EXAMPLE / "values.yaml", tmp_path / "values.yaml")
    if strip_region:  # DataOS S3 depots often name no region: the stack's aws:region applies
        for path in (tmp_path / "manifests").glob("*.yaml"):
            text = path.read_text(encoding="utf-8")
            path.write_text(re.sub(r"\n\s*region: \$\{\{aws-region\}\}", "", text), encoding="utf-8")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(stack_config, encoding="utf-8")
    return tmp_path


BASE = """\
config:
  aws:region: eu-west-1
  dataproduct:manifests: [manifests]
  dataproduct:values: values.yaml
"""


def problems(exc: pytest.ExceptionInfo[ManifestError]) -> list[str]:
    return [str(d) for d in exc.value.diagnostics]


# -- values as the engine passes them -------------------------------------------------------------
def test_protect_given_as_text_is_a_boolean(tmp_path: Path) -> None:
    root = project(tmp_path, BASE + '  dataproduct:protect: "false"\n')
    result = run_dataproduct("plan", "--stack", "t", "--json", "-", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    buckets = [r for r in json.loads(result.stdout)["resources"] if r["type"] == "aws:s3/bucket:Bucket"]
    assert buckets and not any(b["protect"] for b in buckets)


def test_recovery_window_given_as_text_is_a_number(tmp_path: Path) -> None:
    root = project(tmp_path, BASE + '  dataproduct:secretRecoveryWindowDays: "7"\n')
    _, inputs = stack_inputs("t", start=root)
    assert inputs.settings.secret_recovery_window_days == 7


def test_an_s3_depot_without_region_takes_the_stacks_aws_region(tmp_path: Path) -> None:
    root = project(tmp_path, BASE, strip_region=True)
    assert "region:" not in (root / "manifests" / "depot.yaml").read_text(encoding="utf-8")
    result = run_dataproduct("plan", "--stack", "t", "--json", "-", cwd=root)
    assert result.returncode == 0, result.stderr
    rendered = result.stdout
    assert "s3.region=eu-west-1" in rendered
    assert "hive.metastore.glue.region=eu-west-1" in rendered


def test_without_aws_region_a_regionless_depot_is_refused_at_its_file(tmp_path: Path) -> None:
    root = project(tmp_path, BASE.replace("  aws:region: eu-west-1\n", ""), strip_region=True)
    result = run_dataproduct("plan", "--stack", "t", cwd=root)
    assert result.returncode == 1
    assert "has no region" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "  dataproduct:protectt: false\n",
            "dataproduct:protectt: unknown configuration key; did you mean dataproduct:protect?",
        ),
        ("  dataproduct:name_prefix: acme-\n", "config keys are camelCase: dataproduct:namePrefix"),
        ("  dataproduct:protect: yes\n", "dataproduct:protect: must be of type 'boolean'"),
        ("  dataproduct:protect: True\n", "dataproduct:protect: must be of type 'boolean'"),
        ("  dataproduct:secretRecoveryWindowDays: seven\n", "must be of type 'integer'"),
        ("  dataproduct:secretRecoveryWindowDays: 3\n", "Secrets Manager takes 0 (delete at once) or 7-30"),
        ("  dataproduct:tags: [a, b]\n", "dataproduct:tags: expected a mapping of names to text values"),
        ("  dataproduct:environment: Not Valid\n", "dataproduct:environment: 'Not Valid' must match"),
        ("  dataproduct:manifests: [1, 2]\n", "dataproduct:manifests: must be of type 'array<string>'"),
        ("  dataproduct:overrides: [a]\n", "dataproduct:overrides: expected a mapping of resource name"),
    ],
)
def test_a_bad_config_value_names_file_line_and_key(tmp_path: Path, line: str, expected: str) -> None:
    text = BASE.replace("  dataproduct:manifests: [manifests]\n", "") if "manifests" in line else BASE
    root = project(tmp_path, text + line)
    line_number = (text + line).splitlines().index(line.rstrip("\n")) + 1
    with pytest.raises(ManifestError) as info:
        stack_inputs("t", start=root)
    found = problems(info)
    assert any(expected in p for p in found), found
    assert all(p.startswith(f"stacks/Pulumi.t.yaml:{line_number}: ") or "stacks" in p for p in found), found
    result = run_dataproduct("plan", "--stack", "t", cwd=root)
    assert result.returncode == 1 and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_esc_environments_are_named_as_not_read_offline(tmp_path: Path) -> None:
    root = project(tmp_path, "environment:\n  - shared/aws-dev\n" + BASE)
    result = run_dataproduct("plan", "--stack", "t", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "Pulumi ESC environment(s) shared/aws-dev: their values are not read offline" in result.stderr


def test_plan_json_into_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    root = project(tmp_path, BASE)
    result = run_dataproduct(
        "plan", "--stack", "t", "--json", str(tmp_path / "nowhere" / "plan.json"), cwd=root
    )
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_pulumi_yaml_defaults_are_applied_like_the_engine(tmp_path: Path) -> None:
    root = project(tmp_path, BASE)
    stack_file = read_stack_file(root, "t", {})
    declared = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8"))["config"]
    for key, declaration in declared.items():
        if "default" in declaration:
            assert stack_file.config[f"dataproduct:{key}"] == engine_text(declaration["default"])


# -- the engine's reading, computed independently ------------------------------------------------
def engine_config(stack_file: Path, declarations: dict[str, Any]) -> dict[str, str]:
    """What ``pulumi up`` passes the program (PULUMI_CONFIG): every value text; top-level scalars as
    written in the stack file (the engine keeps their text), mappings and lists as JSON; keys the
    stack does not set take Pulumi.yaml's declared default."""
    literal = yaml.load(stack_file.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["config"]
    typed = yaml.safe_load(stack_file.read_text(encoding="utf-8"))["config"]
    out: dict[str, str] = {}
    for key, value in typed.items():
        out[key] = json.dumps(value) if isinstance(value, dict | list) else literal[key]
    for key, declaration in declarations.items():
        default = declaration.get("default")
        if f"dataproduct:{key}" not in out and default is not None:
            out[f"dataproduct:{key}"] = str(default).lower() if isinstance(default, bool) else str(default)
    return out


def registrations(plan: Plan) -> list[tuple[str, str, bool, str]]:
    return sorted(
        (r.type, r.name, bool(r.protect), json.dumps(r.inputs, sort_keys=True, default=str))
        for r in plan.registrations
    )


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_the_offline_plan_and_the_engine_read_the_same_config(tmp_path: Path, preview: bool) -> None:
    text = (
        BASE
        + '  dataproduct:protect: "false"\n'
        + "  dataproduct:secretRecoveryWindowDays: 7\n"
        + "  dataproduct:namePrefix: 007\n"
        + "  dataproduct:tags: {team: growth, cost-center: 42}\n"
    )
    root = project(tmp_path, text, strip_region=True)
    declarations = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8"))["config"]
    config = engine_config(root / "stacks" / "Pulumi.t.yaml", declarations)
    engine = run_program(
        lambda: program.main(root=root), project="dataproduct", stack="t", preview=preview, config=config
    )
    _, inputs = stack_inputs("t", start=root)
    assert inputs.settings.name_prefix == "007"  # text as written, as the engine passes it
    assert inputs.settings.tags == {"team": "growth", "cost-center": "42"}
    offline = run_program(
        lambda: program.deploy(program.prepare(inputs)), project="dataproduct", stack="t", preview=preview
    )
    assert registrations(engine) == registrations(offline)
    assert any(r.type == "aws:s3/bucket:Bucket" and not r.protect for r in engine.registrations)


# -- every value, any text -----------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(sorted(SETTINGS)),
    text=st.one_of(
        st.text(max_size=20),
        st.sampled_from(["true", "false", "True", "0", "7", "-1", "1e3", "{}", "[]", '{"a":"b"}', "nan", ""]),
    ),
)
def test_any_text_for_any_setting_parses_or_is_a_clear_error(key: str, text: str) -> None:
    try:
        parse_settings({key: text}, project="p", stack="s")
    except ManifestError as exc:
        assert all(d.field == f"dataproduct:{key}" for d in exc.diagnostics)


def test_declared_defaults_mean_the_settings_defaults() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))["config"]
    defaults = StackSettings()
    for key, declaration in declared.items():
        if key == "manifests":
            assert "default" not in declaration  # Pulumi requires every stack to set it
            continue
        value = parse_setting(SETTINGS[key], engine_text(declaration["default"]))
        if value is None:  # "" means not set: the field's default, or the stack name for environment
            continue
        assert value == getattr(defaults, SETTINGS[key].attribute), key


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location(
        "pulumi_project_config", ROOT / "tools" / "pulumi_project_config.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pulumi_yaml_and_requirements_are_generated_from_the_sources() -> None:
    tool = _tool()
    assert tool.render_pulumi_yaml((ROOT / "Pulumi.yaml").read_text(encoding="utf-8")) == (
        ROOT / "Pulumi.yaml"
    ).read_text(encoding="utf-8"), "Pulumi.yaml is stale: run python tools/pulumi_project_config.py"
    assert tool.render_requirements() == (ROOT / "requirements.txt").read_text(encoding="utf-8")


def test_what_pulumi_installs_is_what_the_project_declares() -> None:
    """Pulumi's pip toolchain runs ``pip install -r requirements.txt`` beside Pulumi.yaml."""
    pulumi_yaml = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert pulumi_yaml["runtime"]["options"]["toolchain"] == "pip"
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    requirements = [Requirement(line) for line in lines if not line.startswith("-")]
    assert {(r.name, str(r.specifier)) for r in requirements} == {
        (Requirement(d).name, str(Requirement(d).specifier)) for d in declared
    }
    assert [line for line in lines if line.startswith("-")] == ["-e ."]  # the program's own package


def test_every_typed_declaration_is_one_pulumi_accepts() -> None:
    """The checks ``pulumi`` applies to a project's config block (a typed key is in the project's
    namespace, an array names its items, a default has the declared type)."""
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))["config"]
    for key, declaration in declared.items():
        assert ":" not in key
        assert declaration["type"] in ("string", "integer", "boolean", "array")
        if declaration["type"] == "array":
            assert declaration["items"] == {"type": "string"}
        if "default" in declaration:
            default = declaration["default"]
            expected = {"string": str, "integer": int, "boolean": bool}[declaration["type"]]
            assert type(default) is expected, key


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9_.-]{1,40}", fullmatch=True))
def test_every_pulumi_stack_name_has_a_default_environment(stack: str) -> None:
    """A stack that sets no dataproduct:environment gets one from its name, whatever name Pulumi allows
    (letters, digits, '-', '_', '.'): 'qa.1' was refused with an error about a setting nobody wrote. A
    name the old rule ('-' as '_', lower case) already turned into a valid environment keeps it."""
    environment = parse_settings({}, project="p", stack=stack).environment
    assert re.fullmatch(r"[a-z0-9][a-z0-9_]*", environment)
    old = stack.replace("-", "_").lower()
    if re.fullmatch(r"[a-z0-9][a-z0-9_]*", old):
        assert environment == old


def test_a_stack_name_with_a_dot_gets_an_environment() -> None:
    assert parse_settings({}, project="p", stack="qa.1").environment == "qa_1"
