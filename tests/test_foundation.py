"""Focused tests of the foundation: models, loader, placeholders and graph behaviour."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataproduct_iac import ManifestError, ValueSources, load, resolve
from dataproduct_iac.manifests import DataProduct, Depot, InstanceSecret, Workflow
from dataproduct_iac.manifests.connections import S3Connection
from dataproduct_iac.manifests.refs import DatasetAddress, ResourceRef, parse_address, parse_ref
from dataproduct_iac.manifests.values import check_cron, parse_quantity
from dataproduct_iac.placeholders import read_values_file

ROOT = Path(__file__).resolve().parent.parent
AFFINITY = ROOT / "examples" / "product-affinity-cross-sell"
V1ALPHA = Path(__file__).parent / "fixtures" / "v1alpha" / "product.yaml"


def affinity_sources() -> ValueSources:
    return ValueSources(files=[read_values_file(AFFINITY / "values.yaml")], environment={})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def errors_of(paths: list[Path], sources: ValueSources | None = None) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        resolve(load(paths, sources or ValueSources(environment={})))
    return [f"{d.line}: {d.field}: {d.message}" for d in caught.value.diagnostics]


# -- the product-affinity example and its v1alpha variant ------------------------------------------
def test_affinity_product_resolves_inputs_outputs_and_bundle() -> None:
    graph = resolve(load([AFFINITY / "manifests"], affinity_sources()))
    product = graph.nodes[("product", "product-affinity-cross-sell")]
    assert isinstance(product.manifest, DataProduct)
    assert graph.dependencies(product.key) == [("depot", "icebase"), ("bundle", "product-affinity-bundle")]
    assert [str(i.address) for i in product.manifest.inputs] == [
        "dataos://icebase:customer_relationship_management/customer",
        "dataos://icebase:customer_relationship_management/purchase",
        "dataos://icebase:customer_relationship_management/product",
    ]
    assert graph.bundle_members("product-affinity-bundle") == [
        ("instance-secret", "icebase-r"),
        ("instance-secret", "icebase-rw"),
        ("depot", "icebase"),
        ("workflow", "scan-crm"),
    ]
    assert [s.name for s in graph.depot_secrets("icebase")] == ["icebase-r", "icebase-rw"]
    assert graph.external_refs[product.key] == ["lens:v1alpha:cross-sell-affinity:public"]
    scanner = graph.nodes[("workflow", "scan-crm")].manifest
    assert isinstance(scanner, Workflow)
    config = scanner.scanner_jobs[0].scanner_config
    assert config.schema_filter_pattern.admits("customer_relationship_management")
    assert not config.schema_filter_pattern.admits("finance")


def test_v1alpha_product_is_supported() -> None:
    result = load([AFFINITY / "manifests", V1ALPHA], affinity_sources())
    graph = resolve(result)
    node = graph.nodes[("product", "product-affinity-legacy")]
    product = node.manifest
    assert isinstance(product, DataProduct)
    assert product.version == "v1alpha"
    assert product.bundle_name == "product-affinity-bundle"
    assert product.collaborator_names == ["iamgroot", "iamthor"]
    assert graph.dependencies(node.key) == [("depot", "icebase"), ("bundle", "product-affinity-bundle")]
    assert graph.external_refs[node.key] == ["service:v1:cross-sell-talos:public"]
    talos = [w for w in graph.warnings if "talos is deprecated" in w.message]
    assert len(talos) == 1 and talos[0].file.endswith("v1alpha/product.yaml")
    assert talos[0].severity == "warning"


def test_v1alpha_product_with_unknown_bundle(tmp_path: Path) -> None:
    text = V1ALPHA.read_text().replace("- name: product-affinity-bundle", "- name: product-affinity-bundel")
    broken = write(tmp_path, "product.yaml", text)
    problems = errors_of([AFFINITY / "manifests", broken], affinity_sources())
    assert problems == [
        "18: v1alpha.data.resources[0].name: product/product-affinity-legacy references bundle "
        "'product-affinity-bundel', which is not defined; did you mean 'product-affinity-bundle'?"
    ]


# -- YAML reading -------------------------------------------------------------------------------
def test_yaml_booleans_are_yaml_1_2(tmp_path: Path) -> None:
    """``on``/``no``/``yes`` stay text: a bundle dependency named ``on`` is not ``True``."""
    path = write(
        tmp_path,
        "bundle.yaml",
        """
        version: v1beta
        name: b
        type: bundle
        bundle:
          resources:
            - id: "on"
              spec: {name: "on", version: v1, type: instance-secret,
                     instance-secret: {type: key-value, acl: r}}
            - id: "no"
              dependencies: [on]
              spec: {name: "no", version: v1, type: instance-secret,
                     instance-secret: {type: key-value, acl: r}}
        """,
    )
    graph = resolve(load([path], ValueSources(environment={})))
    assert graph.order.index(("instance-secret", "on")) < graph.order.index(("instance-secret", "no"))


def test_numeric_secret_values_become_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: pin-r
        version: v1
        type: instance-secret
        instance-secret:
          type: key-value
          acl: r
          data:
            pin: 1234
            port: ${{port}}
        """,
    )
    [loaded] = load(
        [path], ValueSources(set_values={"port": "5432"}, files=[{"port": 1}], environment={})
    ).manifests
    secret = loaded.manifest
    assert isinstance(secret, InstanceSecret)
    assert secret.secret_json() == '{"pin": "1234", "port": "5432"}'
    assert "1234" not in repr(secret)


# -- placeholders -------------------------------------------------------------------------------
def test_placeholder_forms_and_escapes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.yaml",
        """
        name: lensdb
        version: v2alpha
        type: depot
        description: "$$HOME stays, ${ENV:TRINO_PASSWORD} is Trino's, ${{ db name }} and $DB_SUFFIX fill"
        depot:
          type: POSTGRES
          external: true
          secrets: [{name: lensdb-r, allkeys: true}]
          postgres: {host: "${host name}", port: "${{5432}}", database: "${{db name}}$DB_SUFFIX"}
        ---
        name: lensdb-r
        version: v1
        type: instance-secret
        instance-secret: {type: key-value, acl: r}
        """,
    )
    sources = ValueSources(
        set_values={"host name": "db.internal"},
        files=[{"db name": "lens", "5432": 6543}],
        environment={"DB_SUFFIX": "_prod"},
    )
    depot = next(m.manifest for m in load([path], sources).manifests if isinstance(m.manifest, Depot))
    assert depot.description == "$HOME stays, ${ENV:TRINO_PASSWORD} is Trino's, lens and _prod fill"
    connection = depot.connection
    assert (connection.host, connection.port, connection.database) == ("db.internal", 6543, "lens_prod")  # type: ignore[union-attr]


def test_placeholders_written_with_yaml_escapes_are_filled(tmp_path: Path) -> None:
    """A '$' spelled as a YAML escape is a '$' once parsed; the file has no literal '$' at all."""
    path = write(
        tmp_path,
        "s.yaml",
        r"""
        name: db-r
        version: v1
        type: instance-secret
        description: "made by \x24{{who}} on \u0024{{day}}"
        instance-secret: {type: key-value, acl: r, data: {pin: "\U00000024{{pin}}"}}
        """,
    )
    assert "$" not in path.read_text()
    sources = ValueSources(set_values={"who": "alice", "day": "monday", "pin": "1234"}, environment={})
    [loaded] = load([path], sources).manifests
    secret = loaded.manifest
    assert isinstance(secret, InstanceSecret)
    assert secret.description == "made by alice on monday"
    assert secret.secret_json() == '{"pin": "1234"}'


def test_secret_files_that_are_not_text_are_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "key.bin").write_bytes(b"\x00\xff\xfe sentinel-4711 \x80")
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: tls-r
        version: v1
        type: instance-secret
        instance-secret:
          type: key-value
          acl: r
          files: {ca: ca.pem, key: key.bin}
        """,
    )
    messages = errors_of([path])
    assert messages == ["7: instance-secret.files.key: file 'key.bin' is not UTF-8 text"]
    assert not any("sentinel-4711" in m for m in messages)


def test_secret_sources_fill_secret_fields_only(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: db-r
        version: v1
        type: instance-secret
        description: ${{password}}
        instance-secret: {type: key-value, acl: r, data: {password: "${{password}}"}}
        """,
    )
    sentinel = "S3NT1NEL-config-secret"
    sources = ValueSources(secrets={"password": sentinel}, environment={})
    with pytest.raises(ManifestError) as caught:
        load([path], sources)
    [problem] = caught.value.diagnostics
    assert (problem.line, problem.field) == (4, "description")
    assert sentinel not in str(caught.value)
    fixed = path.read_text().replace("description: ${{password}}\n", "")
    path.write_text(fixed)
    [loaded] = load([path], sources).manifests
    assert isinstance(loaded.manifest, InstanceSecret)
    assert loaded.manifest.instance_secret.data["password"].get_secret_value() == sentinel


def test_all_errors_of_a_run_are_collected(tmp_path: Path) -> None:
    a = write(
        tmp_path,
        "a.yaml",
        "name: a-r\nversion: v1\ntype: instance-secret\ninstance-secret: {type: kv, acl: r}\n",
    )
    b = write(
        tmp_path,
        "b.yaml",
        "name: B\nversion: v1\ntype: instance-secret\ninstance-secret: {type: key-value, acl: x}\n",
    )
    problems = errors_of([a, b])
    assert len(problems) == 3
    assert problems[0].startswith("4: instance-secret.type: ")
    assert problems[1].startswith("1: name: ")
    assert problems[2].startswith("4: instance-secret.acl: ")


# -- bundle files and the project directory -------------------------------------------------------
def test_bundle_files_may_use_dotdot_inside_the_project(tmp_path: Path) -> None:
    write(
        tmp_path,
        "manifests/secrets/read.yaml",
        "name: x-r\nversion: v1\ntype: instance-secret\ninstance-secret: {type: key-value, acl: r}\n",
    )
    write(
        tmp_path,
        "manifests/bundles/bundle.yaml",
        "version: v1beta\nname: b\ntype: bundle\nbundle:\n  resources:\n"
        "    - id: read\n      file: ../secrets/read.yaml\n",
    )
    graph = resolve(load([tmp_path / "manifests"], ValueSources(environment={})))
    assert graph.bundle_members("b") == [("instance-secret", "x-r")]
    assert graph.nodes[("instance-secret", "x-r")].source.bundle_id == "read"
    # given alone, the bundle file's own directory is the project: the same reference escapes it
    problems = errors_of([tmp_path / "manifests" / "bundles" / "bundle.yaml"])
    assert len(problems) == 1 and "points outside the project directory" in problems[0]
    # unless the caller names the project root
    graph = resolve(
        load([tmp_path / "manifests" / "bundles"], ValueSources(environment={}), project_root=tmp_path)
    )
    assert ("instance-secret", "x-r") in graph.nodes


def test_symlink_out_of_the_project_is_rejected(tmp_path: Path) -> None:
    outside = write(
        tmp_path,
        "outside/secret.yaml",
        "name: x-r\nversion: v1\ntype: instance-secret\ninstance-secret: {type: key-value, acl: r}\n",
    )
    write(
        tmp_path,
        "project/bundle.yaml",
        "version: v1beta\nname: b\ntype: bundle\nbundle:\n  resources:\n    - id: s\n      file: link.yaml\n",
    )
    (tmp_path / "project" / "link.yaml").symlink_to(outside)
    problems = errors_of([tmp_path / "project" / "bundle.yaml"])
    assert any("points outside the project directory" in p for p in problems)


# -- graph ----------------------------------------------------------------------------------------
def test_order_is_stable_across_file_orderings(tmp_path: Path) -> None:
    files = sorted((AFFINITY / "manifests").glob("*.yaml"))
    forward = resolve(load(files, affinity_sources())).order
    backward = resolve(load(list(reversed(files)), affinity_sources())).order
    assert forward == backward


def test_implicit_inline_secrets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rs.yaml",
        """
        name: redshift
        version: v1
        type: depot
        depot:
          type: REDSHIFT
          spec: {host: h, database: d}
          connectionSecret:
            - {acl: r, data: {password: S3NT1NEL-r}}
            - {acl: rw, data: {password: S3NT1NEL-rw}}
        """,
    )
    graph = resolve(load([path], ValueSources(environment={})))
    assert graph.order == (
        ("instance-secret", "redshift-r"),
        ("instance-secret", "redshift-rw"),
        ("depot", "redshift"),
    )
    assert all(graph.nodes[k].implicit for k in graph.order[:2])
    assert [s.acl.value for s in graph.depot_secrets("redshift")] == ["r", "rw"]
    assert "S3NT1NEL" not in repr(graph.nodes)


@pytest.fixture
def secret_file_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the secret files read from now on, in order."""
    import dataproduct_iac.manifests.instance_secret as instance_secret

    reads: list[str] = []
    real = instance_secret.read_secret_text
    monkeypatch.setattr(instance_secret, "read_secret_text", lambda p: reads.append(p) or real(p))
    return reads


def test_inline_secret_files_are_resolved_checked_and_read_from_the_depot_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_file_reads: list[str]
) -> None:
    (tmp_path / "depots").mkdir()
    (tmp_path / "depots" / "r.pem").write_text("S3NT1NEL-pem")
    (tmp_path / "depots" / "rw.bin").write_bytes(b"\xff\xfe")
    manifest = """
        name: redshift
        version: v1
        type: depot
        depot:
          type: REDSHIFT
          spec: {host: h, database: d}
          connectionSecret:
            - {acl: r, files: {cert: r.pem}}
            - {acl: rw, files: {cert: RW_FILE}}
        """
    bad = write(tmp_path, "depots/bad.yaml", manifest.replace("RW_FILE", "rw.bin"))
    outside = write(tmp_path, "depots/outside.yaml", manifest.replace("RW_FILE", "../../x.pem"))
    assert errors_of([bad], ValueSources(environment={})) == [
        "9: depot.connectionSecret[1].files.cert: file 'rw.bin' is not UTF-8 text"
    ]
    assert [e.split(";")[0] for e in errors_of([outside], ValueSources(environment={}))] == [
        "9: depot.connectionSecret[1].files.cert: '../../x.pem' points outside the project directory "
        f"{str(tmp_path / 'depots')!r}"
    ]
    good = write(tmp_path, "depots/good.yaml", manifest.replace("RW_FILE", "r.pem"))
    monkeypatch.chdir("/")  # paths are the manifest's, not the working directory's
    reads = secret_file_reads
    reads.clear()  # the refused loads above read files too
    graph = resolve(load([good], ValueSources(environment={}), project_root=tmp_path))
    assert reads == [str(tmp_path / "depots" / "r.pem")] * 2  # once per entry, at load
    for acl in ("r", "rw"):
        secret = graph.nodes[("instance-secret", f"redshift-{acl}")].manifest
        assert isinstance(secret, InstanceSecret)
        assert secret.instance_secret.file_text("cert") == "S3NT1NEL-pem"
    assert len(reads) == 2  # the implicit secrets took the texts over: not read again
    assert "S3NT1NEL" not in repr(graph.nodes)


def test_an_instance_secret_file_is_read_once_from_load_to_build(
    tmp_path: Path, secret_file_reads: list[str]
) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: tls-r
        version: v1
        type: instance-secret
        instance-secret: {type: certificates, acl: r, files: {ca: ca.pem}}
        """,
    )
    [loaded] = load([path], ValueSources(environment={})).manifests
    secret = loaded.manifest
    assert isinstance(secret, InstanceSecret)
    for _ in range(3):
        assert secret.instance_secret.file_text("ca") == "-----BEGIN CERTIFICATE-----\n"
    assert secret_file_reads == [str(tmp_path / "ca.pem")]


# -- value types ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("14000m", "14"),
        ("52Gi", str(52 * 2**30)),
        ("1.5", "1.5"),
        ("1G", "1000000000"),
        ("2e3", "2000"),
        (3, "3"),
    ],
)
def test_quantities(text: str | int, value: str) -> None:
    assert parse_quantity(text) == __import__("decimal").Decimal(value)


@pytest.mark.parametrize("text", ["52GiB", "", "1..5", "m", "Gi1"])
def test_bad_quantities(text: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(text)


@pytest.mark.parametrize(
    "text",
    [
        "13 1 */2 * *",
        "0 0 * * MON-FRI",
        "@daily",
        "*/5 * * JAN,DEC 0",
        "0 0 * * sun-sat",
        "? * * * ?",
        "5/10 * * * *",
        "0 0 1,,15 * *",
        "@every 1h30m",
        "@every 90s",
    ],
)
def test_good_cron(text: str) -> None:
    """What Kubernetes' parser (robfig/cron v3 ParseStandard) accepts."""
    assert check_cron(text)


@pytest.mark.parametrize(
    "text",
    [
        "* * * *",
        "60 * * * *",
        "0 24 * * *",
        "0 0 0 * *",
        "0 0 * 13 *",
        "0 0 * * 8",
        "*/0 * * * *",
        "5-1 * * * *",
        "0 3 * * 7",
        "0 3 * * 5-7",
        "0 0 MON * *",
        "TZ=UTC 0 0 * *",
        "@every soon",
        "@reboot",
        "*/5/2 * * * *",
    ],
)
def test_bad_cron(text: str) -> None:
    with pytest.raises(ValueError):
        check_cron(text)


_CRON_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


@st.composite
def _cron_item(draw: st.DrawFn, low: int, high: int) -> str:
    kind = draw(st.sampled_from(["*", "n", "range", "step"]))
    a = draw(st.integers(low, high))
    b = draw(st.integers(a, high))
    if kind == "*":
        return draw(st.sampled_from(["*", "?"]))
    if kind == "n":
        return str(a)
    if kind == "range":
        return f"{a}-{b}"
    return f"{draw(st.sampled_from(['*', str(a), f'{a}-{b}']))}/{draw(st.integers(1, 60))}"


@st.composite
def _cron(draw: st.DrawFn) -> str:
    fields = [
        ",".join(draw(st.lists(_cron_item(low, high), min_size=1, max_size=3))) for low, high in _CRON_BOUNDS
    ]
    return " ".join(fields)


@settings(max_examples=300, deadline=None)
@given(_cron())
def test_every_expression_of_the_kubernetes_grammar_is_accepted(text: str) -> None:
    assert check_cron(text) == text


@settings(max_examples=100, deadline=None)
@given(_cron(), st.sampled_from(["7", "0-7", "7/2", "3,7"]))
def test_day_of_week_seven_is_refused_wherever_it_appears(text: str, day_of_week: str) -> None:
    expression = " ".join([*text.split(" ")[:4], day_of_week])
    with pytest.raises(ValueError, match="day of week field: 7 is outside 0-6"):
        check_cron(expression)


def test_references() -> None:
    assert parse_address("dataos://icebase:crm/customer") == parse_address("dataset:icebase:crm:customer")
    assert parse_address("dataos://icebase") == DatasetAddress("icebase")
    assert parse_ref("lens:v1alpha:x:public") == ResourceRef("lens", "v1alpha", "x", "public")
    assert str(parse_ref("bundle:v1beta:b")) == "bundle:v1beta:b"
    with pytest.raises(ValueError):
        parse_ref("icebase")


def test_s3_prefix() -> None:
    assert S3Connection(bucket="abc", relative_path="/raw/ga/").prefix == "raw/ga"
