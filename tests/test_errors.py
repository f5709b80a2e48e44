"""One base class for what the user can fix; the command line exits 1 for it and lets any other
exception surface as the bug it is."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import dataproduct_iac
from dataproduct_iac import cli, program
from dataproduct_iac.diagnostics import Diagnostic, ManifestError
from dataproduct_iac.errors import DataproductError, UsageError

# Exceptions that never reach a user as such: each is caught where it is raised and turned into a
# report entry or a diagnostic.
INTERNAL = {
    "dataproduct_iac.aws_clients.IncompleteReply": "an AWS reply not received whole: a failed dataset "
    "or listing of the scan report, an unknown drift finding",
    "dataproduct_iac.yaml_source.LimitExceeded": "YAML input over a limit: becomes a file:line diagnostic",
    "dataproduct_iac.yaml_source._ComposedTooMany": "raised through the YAML composer: becomes a diagnostic",
    "dataproduct_iac.drift.live._ApiError": "an AWS call that failed: becomes a finding of the check",
    "dataproduct_iac.policy.iam.UnsupportedCondition": "the IAM evaluator met a condition it cannot judge",
    "dataproduct_iac.scanner.core.DatasetError": "one dataset failed: a line of the scan report",
    "dataproduct_iac.scanner.readers.CorruptFile": "one file unreadable: a line of the scan report",
    "dataproduct_iac.scanner.types.SchemaConflict": "files of a dataset disagree: a line of the scan report",
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(dataproduct_iac.__path__, "dataproduct_iac."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and not issubclass(value, Warning)
                and value.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_exception_of_the_package_is_a_dataproduct_error_or_stays_internal() -> None:
    classes = _exception_classes()
    assert "dataproduct_iac.errors.UsageError" in classes
    outside = sorted(
        name
        for name, cls in classes.items()
        if not issubclass(cls, DataproductError) and name not in INTERNAL
    )
    assert outside == [], "user-facing errors must derive from DataproductError"
    assert set(INTERNAL) <= set(classes), "INTERNAL names a class that no longer exists"


def test_an_error_names_its_file_line_and_field() -> None:
    error = DataproductError("must be text", file="stacks/Pulumi.dev.yaml", line=4, field="dataproduct:stack")
    assert str(error) == "stacks/Pulumi.dev.yaml:4: dataproduct:stack: must be text"
    assert str(DataproductError("no such stack")) == "no such stack"
    single = ManifestError([Diagnostic("a.yaml", 3, "depot.s3.bucket", "required")])
    assert (single.file, single.line, single.field) == ("a.yaml", 3, "depot.s3.bucket")
    assert isinstance(single, DataproductError)


def test_cli_exits_1_for_what_the_user_can_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(_prepared: object) -> None:
        raise DataproductError("the depot's bucket is taken", file="m.yaml", line=7, field="depot.s3.bucket")

    monkeypatch.setattr(program, "deploy", refuse)
    code = cli.main(["plan", str(_one_manifest(tmp_path))])
    assert code == 1
    assert (
        "dataproduct plan: error: m.yaml:7: depot.s3.bucket: the depot's bucket is taken"
        in capsys.readouterr().err
    )


def test_cli_lets_a_bug_surface(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ValueError from our own code is a bug: no 'exit 1' that hides it behind a one-line message."""

    def broken(_prepared: object) -> None:
        raise ValueError("a bug in the program")

    monkeypatch.setattr(program, "deploy", broken)
    with pytest.raises(ValueError, match="a bug in the program"):
        cli.main(["plan", str(_one_manifest(tmp_path))])


def test_usage_error_lives_where_commands_can_import_it() -> None:
    assert UsageError.__module__ == "dataproduct_iac.errors"
    assert not hasattr(cli, "UsageError")


def _one_manifest(root: Path) -> Path:
    path = root / "secret.yaml"
    path.write_text(
        "name: lake-r\nversion: v1\ntype: instance-secret\nlayer: user\n"
        "instance-secret:\n  type: key-value-properties\n  acl: r\n  data:\n    token: t\n"
    )
    return path
