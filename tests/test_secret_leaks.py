"""Secrets never leak: sentinel values seeded into every place a secret can enter, searched for everywhere.

Sources: instance-secret ``data``, instance-secret ``files``, secret placeholders (stack
``dataproduct:secrets`` → ``ValueSources.secrets``), depot v1 inline ``connectionSecret`` data, and
the credentials of depots a Trino cluster turns into catalogs. Outputs searched: ``validate`` and
``graph`` (every format), ``plan`` (text and JSON; Kubernetes objects in it included — Secret objects
must carry their data as secrets, so the sentinel does not appear there either), error messages,
``preview``/``drift`` reports, and logs at DEBUG level.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import run_dataproduct

from dataproduct_iac.diagnostics import ManifestError
from dataproduct_iac.graph import resolve
from dataproduct_iac.loader import load
from dataproduct_iac.placeholders import ValueSources

SENTINELS = {
    "instance-secret data": "LEAKdata5c1e9b7d",
    "instance-secret file": "LEAKfile83f02c4a",
    "secret placeholder": "LEAKplaceholder0d6e4f21",
    "depot v1 inline secret": "LEAKinline9b2c7a13",
    "trino catalog credential": "LEAKcatalog47d1f88e",
}

MANIFESTS = {
    "secrets.yaml": """\
name: lake-r
version: v1
type: instance-secret
layer: user
instance-secret:
  type: key-value-properties
  acl: r
  data:
    accesskeyid: AKIAEXAMPLEEXAMPLE00
    secretkey: {data}
    token: ${{{{leak-token}}}}
  files:
    cert: cert.pem
---
name: lake-rw
version: v1
type: instance-secret
layer: user
instance-secret:
  type: key-value-properties
  acl: rw
  data:
    accesskeyid: AKIAEXAMPLEEXAMPLE00
    secretkey: {data}
---
name: pg-r
version: v1
type: instance-secret
layer: user
instance-secret:
  type: key-value
  acl: r
  data:
    username: reader
    password: {catalog}
""",
    "depots.yaml": """\
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
    - name: lake-rw
      allkeys: true
  s3:
    bucket: lake-data
    relativePath: raw
    format: PARQUET
    region: us-east-1
---
name: warehouse
version: v1
type: depot
layer: user
depot:
  type: REDSHIFT
  external: true
  spec:
    host: warehouse.example.internal
    port: 5439
    database: marketing
  connectionSecret:
    - acl: r
      type: key-value-properties
      data:
        username: analyst
        password: {inline}
---
name: pg
version: v2alpha
type: depot
layer: user
depot:
  type: POSTGRES
  external: true
  secrets:
    - name: pg-r
      allkeys: true
  postgres:
    host: pg.example.internal
    port: 5432
    database: lens
""",
    "cluster.yaml": """\
version: v1
name: mini
type: cluster
cluster:
  compute: query-default
  minerva:
    replicas: 1
    resources:
      requests:
        cpu: 1000m
        memory: 4Gi
    depots:
      - address: dataos://lake:default
      - address: dataos://warehouse:public
      - address: dataos://pg:public
""",
    "scanner.yaml": """\
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
""",
}


def _write_project(root: Path, *, secret_config: bool) -> Path:
    manifests = root / "manifests"
    manifests.mkdir(parents=True)
    for name, text in MANIFESTS.items():
        (manifests / name).write_text(
            text.format(
                data=SENTINELS["instance-secret data"],
                inline=SENTINELS["depot v1 inline secret"],
                catalog=SENTINELS["trino catalog credential"],
            )
        )
    (manifests / "cert.pem").write_text(f"-----BEGIN CERT-----\n{SENTINELS['instance-secret file']}\n")
    (root / "Pulumi.yaml").write_text("name: leaktest\nruntime: python\nstackConfigDir: stacks\n")
    (root / "stacks").mkdir()
    config = {"dataproduct:manifests": ["manifests"]}
    if secret_config:
        config["dataproduct:secrets"] = {"leak-token": SENTINELS["secret placeholder"]}  # type: ignore[assignment]
    (root / "stacks" / "Pulumi.dev.yaml").write_text(json.dumps({"config": config}))
    # the same placeholder given as a plain value, for commands without stack config
    (root / "values.yaml").write_text(f"leak-token: {SENTINELS['secret placeholder']}\n")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _write_project(tmp_path / "project", secret_config=True)


def assert_no_sentinel(text: str, where: str) -> None:
    found = [source for source, value in SENTINELS.items() if value in text]
    assert not found, f"{where} shows the secret value(s) of: {', '.join(found)}"


def test_sentinels_are_really_loaded(project: Path) -> None:
    """Guard against a test that passes because nothing was read: the values are in the models."""
    sources = ValueSources(secrets={"leak-token": SENTINELS["secret placeholder"]}, environment={})
    graph = resolve(load([project / "manifests"], sources))
    lake_r = graph.nodes[("instance-secret", "lake-r")].manifest
    data = {k: v.get_secret_value() for k, v in lake_r.instance_secret.data.items()}  # type: ignore[attr-defined]
    assert data["secretkey"] == SENTINELS["instance-secret data"]
    assert data["token"] == SENTINELS["secret placeholder"]
    assert (
        Path(lake_r.instance_secret.files["cert"]).read_text().count(SENTINELS["instance-secret file"]) == 1
    )  # type: ignore[attr-defined]
    implicit = graph.nodes[("instance-secret", "warehouse-r")].manifest
    assert implicit.instance_secret.data["password"].get_secret_value() == SENTINELS["depot v1 inline secret"]  # type: ignore[attr-defined]


def test_models_never_show_secret_values(project: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sources = ValueSources(secrets={"leak-token": SENTINELS["secret placeholder"]}, environment={})
    result = load([project / "manifests"], sources)
    graph = resolve(result)
    shown = [repr(item.manifest) for item in result.manifests] + [
        str(item.manifest) for item in result.manifests
    ]
    shown += [item.manifest.model_dump_json() for item in result.manifests]
    shown += [repr(edge) for edge in graph.edges]
    assert_no_sentinel("\n".join(shown), "repr/str/JSON dump of the models")
    assert_no_sentinel(caplog.text, "DEBUG logs of load/resolve")


def test_graph_nodes_never_show_secret_values(project: Path) -> None:
    sources = ValueSources(secrets={"leak-token": SENTINELS["secret placeholder"]}, environment={})
    graph = resolve(load([project / "manifests"], sources))
    assert_no_sentinel("\n".join(repr(node) for node in graph.nodes.values()), "repr of graph nodes")


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "--format", "json"],
        ["graph"],
        ["graph", "--format", "mermaid"],
        ["graph", "--format", "dot"],
        ["graph", "--format", "json"],
    ],
)
def test_validate_and_graph(project: Path, args: list[str]) -> None:
    done = run_dataproduct(*args, "manifests", "--values", "values.yaml", cwd=project)
    assert done.returncode == 0, done.stderr
    assert_no_sentinel(done.stdout + done.stderr, f"dataproduct {' '.join(args)}")


def _bad_project(tmp_path: Path, replace: tuple[str, str, str]) -> Path:
    root = _write_project(tmp_path / "bad", secret_config=True)
    file, old, new = replace
    path = root / "manifests" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return root


BAD = {
    # a secret placeholder used outside a secret field must be refused without echoing it
    "secret placeholder in a plain field": ("depots.yaml", "bucket: lake-data", "bucket: ${{leak-token}}"),
    # an invalid secret key next to secret values
    "bad secret key": ("secrets.yaml", "secretkey:", "secret key!:"),
    "bad instance-secret type": ("secrets.yaml", "type: key-value\n", "type: key-valu\n"),
    "inline secret with unknown acl": ("depots.yaml", "    - acl: r\n", "    - acl: x\n"),
    "secret value as a list": ("secrets.yaml", "password: LEAK", "password:\n      - LEAK"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_errors_never_echo_secret_values(tmp_path: Path, case: str) -> None:
    root = _bad_project(tmp_path, BAD[case])
    with pytest.raises(ManifestError) as caught:
        sources = ValueSources(secrets={"leak-token": SENTINELS["secret placeholder"]}, environment={})
        resolve(load([root / "manifests"], sources))
    assert_no_sentinel(str(caught.value) + caught.value.summary(), f"error for {case}")
    done = run_dataproduct("validate", "manifests", "--values", "values.yaml", cwd=root)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert_no_sentinel(done.stdout + done.stderr, f"dataproduct validate with {case}")
    done = run_dataproduct("validate", "manifests", "--values", "values.yaml", "--format", "json", cwd=root)
    assert done.returncode == 1
    assert_no_sentinel(done.stdout + done.stderr, f"dataproduct validate --format json with {case}")


# --- plan ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], str]:
    """``plan --json FILE`` (tree on stdout, JSON in FILE) and ``plan --json -``: all output, the JSON."""
    project = _write_project(tmp_path_factory.mktemp("leaks") / "project", secret_config=True)
    target = project / "plan.json"
    tree = run_dataproduct("plan", "--stack", "dev", "--json", str(target), cwd=project)
    assert tree.returncode == 0, tree.stderr
    assert "Resources:" in tree.stdout
    piped = run_dataproduct("plan", "--stack", "dev", "--json", "-", cwd=project)
    assert piped.returncode == 0, piped.stderr
    everything = tree.stdout + tree.stderr + target.read_text() + piped.stdout + piped.stderr
    return everything, json.loads(target.read_text()), piped.stdout


def test_plan_text_and_json(planned: tuple[str, dict[str, Any], str]) -> None:
    everything, plan, piped = planned
    assert_no_sentinel(everything, "dataproduct plan (text, --json FILE, --json -)")
    assert json.loads(piped)["resources"] == plan["resources"]
    resources: list[dict[str, Any]] = plan["resources"]
    # the secrets were registered, so the sentinels did reach the engine — marked secret
    versions = [r for r in resources if r["type"] == "aws:secretsmanager/secretVersion:SecretVersion"]
    assert len(versions) >= 4 and all(v["inputs"]["secretString"] == "[secret]" for v in versions)
    kubernetes = [r for r in resources if r["type"].startswith("kubernetes:")]
    for resource in kubernetes:
        assert_no_sentinel(json.dumps(resource), f"Kubernetes object {resource['name']} ({resource['type']})")
    for secret in (r for r in kubernetes if r["type"] == "kubernetes:core/v1:Secret"):
        for field in ("data", "stringData"):
            values = secret["inputs"].get(field)
            assert values in (None, "[secret]") or all(v == "[secret]" for v in values.values()), (
                f"Kubernetes Secret {secret['name']}.{field} is not marked secret"
            )


def test_trino_catalogs_reference_credentials_without_values(
    planned: tuple[str, dict[str, Any], str],
) -> None:
    config_maps = [r for r in planned[1]["resources"] if r["type"] == "kubernetes:core/v1:ConfigMap"]
    catalogs = "\n".join(json.dumps(r["inputs"]) for r in config_maps)
    assert "warehouse" in catalogs and "pg" in catalogs, "the cluster's catalogs were not rendered"
    assert "${ENV:" in catalogs, "catalog credentials should be ${ENV:VAR} references"
    assert_no_sentinel(catalogs, "Trino ConfigMaps")


def test_plan_logs_at_debug_level(
    project: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dataproduct_iac.cli import main

    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(project)
    code = main(["plan", "--stack", "dev", "--json", "-"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert_no_sentinel(captured.out + captured.err, "in-process plan output")
    assert_no_sentinel(caplog.text, "DEBUG logs of plan")


def test_plan_errors_never_echo_secret_values(tmp_path: Path) -> None:
    root = _bad_project(tmp_path, BAD["secret placeholder in a plain field"])
    done = run_dataproduct("plan", "--stack", "dev", cwd=root)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert_no_sentinel(done.stdout + done.stderr, "dataproduct plan with a misplaced secret")


# --- preview and drift ---------------------------------------------------------------------------------


def test_preview_and_drift_without_pulumi_cli(project: Path) -> None:
    for command in (["preview", "--stack", "dev"], ["drift", "--stack", "dev"]):
        done = run_dataproduct(
            *command, cwd=project, env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
        )
        assert "Traceback" not in done.stderr
        assert_no_sentinel(done.stdout + done.stderr, f"dataproduct {' '.join(command)}")


LIVE_SENTINEL = "LEAKliveb3f9a0c5"


@pytest.mark.integration
@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_live_drift_reports(project: Path, empty_moto_endpoint: str, fmt: str) -> None:
    """A live secret that differs from the manifests is reported as drift without either value."""
    import boto3

    from dataproduct_iac.settings import StackSettings

    client = boto3.client("secretsmanager")  # at the moto server, with dummy credentials
    name = StackSettings(project="leaktest", stack="dev").secret_name("lake-r")
    client.create_secret(
        Name=name,
        SecretString=json.dumps(
            {"accesskeyid": "AKIAEXAMPLEEXAMPLE00", "secretkey": LIVE_SENTINEL, "token": "x", "cert": "y"}
        ),
    )
    done = run_dataproduct(
        "drift", "--live", "--stack", "dev", "--region", "us-east-1", "--format", fmt, cwd=project
    )
    assert done.returncode in (1, 2), done.stderr
    assert "Traceback" not in done.stderr
    text = done.stdout + done.stderr
    assert name in text or "lake-r" in text, "the drifted secret should be named in the report"
    assert_no_sentinel(text, f"dataproduct drift --live --format {fmt}")
    assert LIVE_SENTINEL not in text, "the live secret value was shown"
