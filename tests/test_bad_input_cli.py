"""Bad input everywhere: every `dataproduct` subcommand, run as users run it, fails cleanly.

The subcommands are discovered from ``dataproduct --help``. Each one that takes manifest paths is
run with a missing file, an empty file, binary garbage, a directory without manifests and globs
that match nothing or are malformed; each that takes ``--values`` with a missing and a garbage
values file; each that takes ``--stack`` with a stack that does not exist, a malformed stack name,
and broken stack configuration (unknown override target, override of a field that does not exist,
a missing secret placeholder, a bad manifest glob, an unknown key, a stack file that is garbage or
not a mapping). Every run must end with exit code 1 and a readable error — never a traceback.

All runs are started concurrently once per module; each case is then its own test.
"""

from __future__ import annotations

import json
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers.aws import fake_aws_env
from helpers.cli import run_dataproduct, run_python

GARBAGE = bytes(range(256)) * 4 + b"\x00\xff\xfe: [unclosed {\n\t- \x80\x81"

VALID = """\
name: lake-r
version: v1
type: instance-secret
layer: user
instance-secret:
  type: key-value
  acl: r
  data:
    secretkey: not-a-real-secret
---
name: lake
version: v2alpha
type: depot
layer: user
depot:
  type: S3
  external: false
  secrets:
    - name: lake-r
      allkeys: true
  s3:
    bucket: lake-data
    relativePath: raw
    region: us-east-1
---
version: v1
name: scan-lake
type: workflow
workflow:
  dag:
    - name: scan
      spec:
        stack: scanner:2.0
        compute: runnable-default
        stackSpec:
          depot: dataos://lake
"""

# What a command needs besides the bad input, so that the bad input is what it trips over.
EXTRA_ARGS = {
    "scan": ["--depot", "lake", "--endpoint-url", "http://127.0.0.1:9"],
    "query": ["--cluster", "mini", "SELECT 1"],
    "drift": ["--live"],
    "preview": ["--stack", "dev"],
}
# Commands that stop at "the Pulumi CLI is not installed" before reading their inputs (no CLI here):
# they must still fail cleanly, but cannot name the bad input.
ENGINE_COMMANDS = {"preview"}
# Known defects (routed to their owners): the test stays strict and turns green when they are fixed.
KNOWN_DEFECTS: dict[str, str] = {}
# Python exception names in the output mean an exception escaped unexplained.
RAW_EXCEPTION = re.compile(
    r"\b(KeyError|TypeError|AttributeError|IndexError|NameError|AssertionError|UnboundLocalError|"
    r"RecursionError|NotImplementedError|ZeroDivisionError)\b"
)


def _help(*args: str) -> str:
    done = run_dataproduct(*args, "--help", timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def discover_commands() -> dict[str, str]:
    """Subcommand name → its usage text, from `dataproduct --help`."""
    text = _help()
    block = text.split("positional arguments:", 1)[1].split("options:", 1)[0]
    names = [m.group(1) for m in re.finditer(r"^    ([a-z][a-z-]*)\b", block, re.MULTILINE)]
    return {name: _help(name) for name in names}


def reads_stack_manifests(help_text: str) -> bool:
    """Does the command take its manifests from the stack configuration when no PATH is given?"""
    flat = " ".join(help_text.split())
    return "Pulumi.<stack>.yaml" in flat or "stack's configured manifests" in flat


@dataclass
class Case:
    command: str
    scenario: str
    args: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    mentions: str | None = None
    """Text the error should contain (the offending file, key or name)."""


def _stack_files(root: Path) -> dict[str, tuple[str, str | None]]:
    """Scenario → (content of stacks/Pulumi.dev.yaml, text the error should mention)."""

    def config(**entries: object) -> str:
        base: dict[str, object] = {"dataproduct:manifests": ["manifests"]}
        base.update({f"dataproduct:{k}": v for k, v in entries.items()})
        return json.dumps({"config": base})

    return {
        "unknown override target": (
            config(overrides={"nosuchdepot": {"depot": {"external": True}}}),
            "nosuchdepot",
        ),
        "override of a missing field": (
            config(overrides={"lake": {"depot": {"nosuchfield": 1}}}),
            "nosuchfield",
        ),
        "missing secret placeholder": (
            json.dumps({"config": {"dataproduct:manifests": ["needs-secret"]}}),
            "missing-secret",
        ),
        "bad manifest glob": (
            json.dumps({"config": {"dataproduct:manifests": ["nomatch/*.yaml"]}}),
            "nomatch",
        ),
        "malformed glob": (json.dumps({"config": {"dataproduct:manifests": ["manifests/[*.yaml"]}}), None),
        "unknown config key": (config(manifestz=["x"]), "manifestz"),
        "secrets not a mapping": (config(secrets=["a", "b"]), "secrets"),
        "stack file garbage": (GARBAGE.decode("latin-1"), "Pulumi.dev.yaml"),
        "stack file not a mapping": ("- a\n- b\n", "Pulumi.dev.yaml"),
        "stack config not a mapping": ('config: "just text"\n', "Pulumi.dev.yaml"),
    }


def build_cases(base: Path) -> list[Case]:
    commands = discover_commands()
    inputs = base / "inputs"
    inputs.mkdir()
    (inputs / "empty.yaml").write_text("")
    (inputs / "garbage.yaml").write_bytes(GARBAGE)
    (inputs / "no-manifests").mkdir()
    (inputs / "no-manifests" / "README.txt").write_text("nothing here")
    (inputs / "valid").mkdir()
    (inputs / "valid" / "all.yaml").write_text(VALID)
    (inputs / "values-garbage.yaml").write_bytes(GARBAGE)
    empty_project = base / "empty-project"
    empty_project.mkdir()
    (empty_project / "Pulumi.yaml").write_text("name: badinput\nruntime: python\nstackConfigDir: stacks\n")
    env = {
        **fake_aws_env("http://127.0.0.1:9"),  # nothing listens there: no request leaves this machine
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",  # no pulumi CLI: engine commands say so
    }

    cases: list[Case] = []
    for command, help_text in commands.items():
        usage = help_text.split("\n\n", 1)[0]
        extra = EXTRA_ARGS.get(command, [])
        cases.append(
            Case(
                command,
                "unknown option",
                [command, "--no-such-option", *extra],
                base,
                env,
                "--no-such-option",
            )
        )
        if "PATH" in usage:
            for scenario, target, mentions in [
                ("missing file", str(inputs / "does-not-exist.yaml"), "does-not-exist.yaml"),
                ("empty file", str(inputs / "empty.yaml"), "empty.yaml"),
                ("binary garbage", str(inputs / "garbage.yaml"), "garbage.yaml"),
                ("directory without manifests", str(inputs / "no-manifests"), "no-manifests"),
                ("glob matching nothing", str(inputs / "*.nomatch.yaml"), "nomatch"),
                ("malformed glob", str(inputs / "[unclosed.yaml"), "unclosed"),
            ]:
                cases.append(Case(command, scenario, [command, target, *extra], empty_project, env, mentions))
        if "--values" in usage and "PATH" in usage:
            valid = str(inputs / "valid")
            cases.append(
                Case(
                    command,
                    "missing values file",
                    [command, valid, "--values", str(inputs / "nope-values.yaml"), *extra],
                    empty_project,
                    env,
                    "nope-values.yaml",
                )
            )
            cases.append(
                Case(
                    command,
                    "garbage values file",
                    [command, valid, "--values", str(inputs / "values-garbage.yaml"), *extra],
                    empty_project,
                    env,
                    "values-garbage.yaml",
                )
            )
            cases.append(
                Case(
                    command,
                    "malformed --set",
                    [command, valid, "--set", "novalue", *extra],
                    empty_project,
                    env,
                    "novalue",
                )
            )
        if "--stack" in usage:
            cases.append(
                Case(
                    command,
                    "stack that does not exist",
                    [command, "--stack", "nosuchstack", *extra],
                    empty_project,
                    env,
                    None,
                )
            )
            cases.append(
                Case(
                    command,
                    "malformed stack name",
                    [command, "--stack", "../../etc/passwd", *extra],
                    empty_project,
                    env,
                    None,
                )
            )
            scenarios = _stack_files(base)
            if "PATH" not in usage:  # reads no stack configuration (e.g. query reads stack outputs)
                scenarios = {}
            elif not reads_stack_manifests(help_text):  # only the stack file itself matters to it
                scenarios = {k: v for k, v in scenarios.items() if k.startswith("stack file")}
            for scenario, (content, mentions) in scenarios.items():
                project = base / "projects" / f"{command}-{re.sub(r'[^a-z]+', '-', scenario)}"
                (project / "stacks").mkdir(parents=True)
                (project / "manifests").mkdir()
                (project / "needs-secret").mkdir()
                (project / "Pulumi.yaml").write_text(
                    "name: badinput\nruntime: python\nstackConfigDir: stacks\n"
                )
                (project / "manifests" / "all.yaml").write_text(VALID)
                (project / "needs-secret" / "all.yaml").write_text(
                    VALID.replace("not-a-real-secret", "${{missing-secret}}")
                )
                (project / "stacks" / "Pulumi.dev.yaml").write_text(content, encoding="latin-1")
                cases.append(
                    Case(command, scenario, [command, "--stack", "dev", *extra], project, env, mentions)
                )
        if command == "query":
            for scenario, args, mentions in [
                ("unreachable server", ["--server", "http://127.0.0.1:9"], "127.0.0.1:9"),
                (
                    "missing CA certificate",
                    ["--server", "https://127.0.0.1:9", "--ca-cert", str(inputs / "no-ca.pem")],
                    "no-ca.pem",
                ),
                (
                    "garbage CA certificate",
                    ["--server", "https://127.0.0.1:9", "--ca-cert", str(inputs / "garbage.yaml")],
                    None,
                ),
            ]:
                cases.append(Case(command, scenario, [command, *args, "SELECT 1"], base, env, mentions))
    for case in cases:
        if case.command in ENGINE_COMMANDS:
            case.mentions = None
    return cases


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def _run(case: Case) -> Outcome:
    done = run_dataproduct(*case.args, cwd=case.cwd, env=case.env, timeout=300)
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Case, Outcome]]:
    cases = build_cases(tmp_path_factory.mktemp("bad-input"))
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        results = list(pool.map(_run, cases))
    return {f"{c.command}: {c.scenario}": (c, r) for c, r in zip(cases, results, strict=True)}


def _case_ids() -> list[str]:
    """The ids, computed without running anything (the same generator, into a throwaway directory)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        return [f"{c.command}: {c.scenario}" for c in build_cases(Path(scratch))]


CASE_IDS = _case_ids()


def test_every_subcommand_is_exercised() -> None:
    commands = {case.split(":", 1)[0] for case in CASE_IDS}
    assert set(discover_commands()) == commands
    assert {"validate", "graph", "plan"} <= commands


@pytest.mark.parametrize(
    "case_id",
    [
        pytest.param(i, marks=pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[i]))
        if i in KNOWN_DEFECTS
        else i
        for i in CASE_IDS
    ],
)
def test_bad_input_fails_cleanly(outcomes: dict[str, tuple[Case, Outcome]], case_id: str) -> None:
    case, outcome = outcomes[case_id]
    output = outcome.stdout + outcome.stderr
    assert "Traceback" not in output, f"{case_id}: traceback\n{output[-3000:]}"
    assert outcome.returncode == 1, f"{case_id}: exit {outcome.returncode}\n{output[-2000:]}"
    assert outcome.stderr.strip(), f"{case_id}: exit 1 without saying why"
    assert not RAW_EXCEPTION.search(output), f"{case_id}: a raw Python exception name\n{output[-2000:]}"
    if case.mentions:
        assert case.mentions in output, (
            f"{case_id}: the error does not name {case.mentions!r}\n{output[-2000:]}"
        )


def test_python_dash_m_entry_point_reports_usage_errors(tmp_path: Path) -> None:
    done = run_python(
        ["-m", "dataproduct_iac.cli", "plan", "--stack", "nosuchstack"], cwd=tmp_path, timeout=300
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


def test_plan_with_paths_outside_a_project(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "all.yaml").write_text(VALID)
    done = run_dataproduct("plan", str(manifests), "--json", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    plan = json.loads(done.stdout)
    assert (plan["project"], plan["stack"]) == ("dataproduct", "dev")
    buckets = [r for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket"]
    assert [b["inputs"]["bucket"] for b in buckets] == ["lake-data-dev"]


def test_drift_live_with_paths_outside_a_project(tmp_path: Path) -> None:
    """Outside a Pulumi project drift --live checks the manifests with the default settings (stack dev)."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "all.yaml").write_text(VALID)
    done = run_dataproduct(
        "drift",
        "--live",
        str(manifests),
        "--stack",
        "dev",
        "--format",
        "json",
        cwd=tmp_path,
        env=fake_aws_env("http://127.0.0.1:9"),  # nothing listens: every check unknown
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "Pulumi.yaml" not in output, output[-2000:]
    assert done.returncode == 1, output[-2000:]  # checks could not be completed (not a usage error)
    assert "lake-data-dev" in done.stdout and "lake-r-dev" in done.stdout
