"""Workflow manifests as DataOS documents them: jobs of every stack, the job fields every stack
shares, scanner source options, scanners that read no depot, jobs given by file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dataproduct_iac import ManifestError, ValueSources, load, resolve
from dataproduct_iac.graph import Graph
from dataproduct_iac.manifests import Workflow
from dataproduct_iac.manifests.workflow import ScannerJobSpec, StackJobSpec

DEPOT = """
name: lake
version: v2alpha
type: depot
depot:
  type: S3
  external: true
  s3:
    bucket: lake-data
    region: us-east-1
"""


def graph_of(tmp_path: Path, *documents: str) -> Graph:
    (tmp_path / "m.yaml").write_text("\n---\n".join(textwrap.dedent(d).strip() for d in documents) + "\n")
    return resolve(load([tmp_path], ValueSources()))


def errors_of(tmp_path: Path, *documents: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        graph_of(tmp_path, *documents)
    return [str(d) for d in caught.value.diagnostics]


def workflow(tmp_path: Path, body: str) -> Workflow:
    graph = graph_of(tmp_path, body, DEPOT)
    (node,) = graph.of_kind("workflow")
    assert isinstance(node.manifest, Workflow)
    return node.manifest


def test_jobs_of_other_stacks_validate_with_their_envelope(tmp_path: Path) -> None:
    manifest = workflow(
        tmp_path,
        """
        name: ingest
        version: v1
        type: workflow
        workflow:
          schedule:
            cron: '*/10 * * * *'
            concurrencyPolicy: Forbid
            endOn: 2024-11-01T23:40:45Z
          dag:
            - name: load
              description: The job ingests city data
              spec:
                stack: flare:7.0
                compute: runnable-default
                tags: [Connect, City]
                runAsUser: iamgroot
                envs:
                  HTTP_CONNECT_TIMEOUT_MS: 60000
                stackSpec:
                  job:
                    inputs: [{name: city, dataset: 'dataos://lake:retail/city'}]
            - name: check
              dependencies: [load]
              spec:
                stack: soda+python:1.0
                stackSpec: {inputs: []}
            - name: legacy
              dependencies: [check]
              spec:
                stack: flare:3.0
                tier: connect
                flare: {job: {explain: true}}
            - name: copy
              dependencies: [legacy]
              spec:
                stack: container
                container: {image: 'busybox:1.36', command: [sh], arguments: ['-c', 'true']}
            - name: from-file
              file: flows/ingest.yaml
              retry: {count: 2, strategy: OnFailure}
              dependencies: [copy]
        """,
    )
    jobs = {job.name: job for job in manifest.workflow.dag}
    assert isinstance(jobs["load"].spec, StackJobSpec) and jobs["load"].spec.stack_name == "flare"
    assert jobs["load"].spec.envs == {"HTTP_CONNECT_TIMEOUT_MS": "60000"}
    assert jobs["load"].spec.run_as_user == "iamgroot"
    assert isinstance(jobs["copy"].spec, StackJobSpec)
    container = jobs["copy"].spec.container_spec
    assert container is not None and container.image == "busybox:1.36"
    assert jobs["from-file"].spec is None and jobs["from-file"].file == "flows/ingest.yaml"
    assert manifest.workflow.schedule is not None
    assert manifest.workflow.schedule.end_on == "2024-11-01T23:40:45Z"
    assert manifest.scanner_jobs == [] and len(manifest.stack_jobs) == 5


def test_a_job_needs_its_spec_or_a_file_and_a_well_formed_stack(tmp_path: Path) -> None:
    shown = errors_of(
        tmp_path,
        """
        name: broken
        version: v1
        type: workflow
        workflow:
          dag:
            - name: both
              file: x.yaml
              spec: {stack: container, stackSpec: {image: busybox}}
            - name: empty
              spec:
            - name: bad-stack
              spec: {stack: 'Flare 7'}
            - name: bad-image
              spec: {stack: container, stackSpec: {image: [busybox]}}
        """,
    )
    assert any("dag[0].spec: each job needs exactly one of 'spec'" in s for s in shown), shown
    assert any("dag[1].spec: 'spec' is empty" in s for s in shown), shown
    assert any("dag[2].spec.stack: stack 'Flare 7' is not 'name' or 'name:version'" in s for s in shown), (
        shown
    )
    assert any("dag[3].spec.stackSpec.image" in s for s in shown), shown


def test_scanner_source_options_as_documented_per_source(tmp_path: Path) -> None:
    manifest = workflow(
        tmp_path,
        """
        name: scan
        version: v1
        type: workflow
        workflow:
          dag:
            - name: scan-lake
              spec:
                stack: scanner:2.0
                runAsUser: metis
                tags: [scanner]
                stackSpec:
                  depot: dataos://lake
                  sourceConfig:
                    config:
                      type: DatabaseMetadata
                      markDeletedTables: true
                      markDeletedTablesfromFilterOnly: true
                      includeTables: true
                      includeViews: true
                      includeTags: true
                      includeCollections: true
                      ingestSampleData: false
                      markDeletedTopics: false
                      enableDebugLog: true
                      schemaFilterPattern: {includes: ['^sales']}
                      tableFilterPattern: {excludes: ['^tmp_']}
                      collectionFilterPattern: {includes: [orders]}
                      topicFilterPattern: {includes: ['^t']}
        """,
    )
    (job,) = manifest.scanner_jobs
    assert isinstance(job.spec, ScannerJobSpec)
    config = job.scanner_config
    assert config.mark_deleted_tables_from_filter_only and config.enable_debug_log
    assert config.narrowing_but_not_applied() == ["collectionFilterPattern", "topicFilterPattern"]


def test_filters_an_s3_scan_cannot_apply_draw_a_warning(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        """
        name: scan
        version: v1
        type: workflow
        workflow:
          dag:
            - name: scan-lake
              spec:
                stack: scanner:2.0
                stackSpec:
                  depot: lake
                  sourceConfig:
                    config:
                      databaseFilterPattern: {includes: [sales]}
        """,
        DEPOT,
    )
    warnings = [str(w) for w in graph.warnings if w.severity == "warning"]
    assert any(
        "sourceConfig.config.databaseFilterPattern" in w and "do not apply to the S3 depot 'lake'" in w
        for w in warnings
    ), warnings


def test_scanners_that_read_no_depot_validate_and_reference_none(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        """
        name: dp-scanner
        version: v1
        type: workflow
        workflow:
          dag:
            - name: products
              spec:
                stack: scanner:2.0
                stackSpec:
                  type: data-product
                  sourceConfig:
                    config:
                      type: DataProduct
                      markDeletedDataProducts: true
                      dataProductFilterPattern: {includes: ['^customer-360$']}
            - name: users
              spec:
                stack: scanner:2.0
                runAsApiKey: abc
                stackSpec: {type: users}
        """,
    )
    (node,) = graph.of_kind("workflow")
    assert graph.dependencies(node.key) == []
    shown = errors_of(
        tmp_path,
        """
        name: nothing
        version: v1
        type: workflow
        workflow:
          dag:
            - name: scan
              spec: {stack: 'scanner:2.0', stackSpec: {sourceConfig: {config: {}}}}
        """,
    )
    assert any("stackSpec.depot: a scanner job reads a depot" in s for s in shown), shown


def test_a_bundle_orders_jobs_of_other_stacks_after_what_they_depend_on(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        """
        name: pipeline
        version: v1beta
        type: bundle
        bundle:
          resources:
            - id: quality
              dependencies: [ingest]
              spec:
                name: quality
                version: v1
                type: workflow
                workflow:
                  dag:
                    - name: checks
                      spec: {stack: 'soda+python:1.0', stackSpec: {}}
            - id: ingest
              spec:
                name: ingest
                version: v1
                type: workflow
                workflow:
                  dag:
                    - name: load
                      spec: {stack: 'flare:7.0', stackSpec: {job: {}}}
        """,
    )
    order = [key for key in graph.order if key[0] == "workflow"]
    assert order == [("workflow", "ingest"), ("workflow", "quality")]
    assert ("workflow", "ingest") in graph.dependencies(("workflow", "quality"))


def test_a_soda_list_of_datasets_is_refused_pointing_at_stackspec_inputs(tmp_path: Path) -> None:
    shown = errors_of(
        tmp_path,
        """
        name: profile
        version: v1
        type: workflow
        workflow:
          dag:
            - name: profile
              spec:
                stack: soda+python:1.0
                soda:
                  - dataset: dataos://lake:retail/customer
                    profile: {columns: ['*']}
        """,
    )
    assert len(shown) == 1 and shown[0].endswith(
        ":9: workflow.dag[0].spec.soda: the soda stack reads its datasets from stackSpec.inputs (a list of "
        "{dataset, checks, profile, ...}, as the soda stack's reference documents it): move this list there"
    ), shown


@pytest.mark.parametrize("block", ["{inputs: [{dataset: 'dataos://lake:retail/customer'}]}", "{}", "''"])
def test_a_soda_block_of_any_form_is_refused_pointing_at_stackspec(tmp_path: Path, block: str) -> None:
    # The soda stack's reference (soda/configurations.md) documents stackSpec.inputs; no page writes
    # a soda: mapping, and its one list is classified broken in tests/dataos_docs.
    shown = errors_of(
        tmp_path,
        f"""
        name: profile
        version: v1
        type: workflow
        workflow:
          dag:
            - name: profile
              spec:
                stack: soda+python:1.0
                soda: {block}
        """,
    )
    assert len(shown) == 1 and shown[0].endswith(
        ":9: workflow.dag[0].spec.soda: the soda stack reads its datasets from stackSpec.inputs (a list of "
        "{dataset, checks, profile, ...}, as the soda stack's reference documents it); DataOS documents no "
        "soda: block: put what it holds under stackSpec"
    ), shown


@pytest.mark.parametrize("written", ["INFO", "info", "Info", "iNfO"])
def test_a_job_log_level_is_read_in_any_case_and_kept_in_upper_case(tmp_path: Path, written: str) -> None:
    manifest = workflow(
        tmp_path,
        f"""
        name: ingest
        version: v1
        type: workflow
        workflow:
          dag:
            - name: load
              spec: {{stack: 'flare:7.0', logLevel: {written}, stackSpec: {{}}}}
        """,
    )
    assert manifest.workflow.dag[0].inline_spec.log_level == "INFO"


def test_a_job_log_level_outside_the_documented_ones_is_refused_naming_them(tmp_path: Path) -> None:
    shown = errors_of(
        tmp_path,
        """
        name: ingest
        version: v1
        type: workflow
        workflow:
          dag:
            - name: load
              spec: {stack: 'flare:7.0', logLevel: Verbose, stackSpec: {}}
        """,
    )
    assert len(shown) == 1 and shown[0].endswith(
        ":7: workflow.dag[0].spec.logLevel: Input should be 'DEBUG', 'INFO', 'WARN', 'WARNING' or 'ERROR' "
        "(got 'Verbose')"
    ), shown


def test_an_alpha_jobs_block_is_checked_as_the_container_block_is(tmp_path: Path) -> None:
    shown = errors_of(
        tmp_path,
        """
        name: alerts
        version: v1
        type: workflow
        workflow:
          dag:
            - name: old
              spec:
                stack: alpha
                alpha: {image: 'x/alert:1', imagePullSecret: Docker_Image, comand: [python]}
            - name: new
              spec:
                stack: alpha
                stackSpec: {image: 'x/alert:1', arguments: run.py}
        """,
    )
    text = "\n".join(shown)
    assert "m.yaml:9: workflow.dag[0].spec.alpha.imagePullSecret:" in text
    assert "m.yaml:9: workflow.dag[0].spec.alpha.comand:" in text and "command" in text
    assert "m.yaml:13: workflow.dag[1].spec.stackSpec.arguments:" in text
    assert len(shown) == 3, shown


def test_a_container_or_alpha_job_writes_its_image_in_one_block_of_its_own_stack(tmp_path: Path) -> None:
    shown = errors_of(
        tmp_path,
        """
        name: images
        version: v1
        type: workflow
        workflow:
          dag:
            - name: both
              spec:
                stack: container
                stackSpec: {image: 'x/new:1'}
                container: {image: 'x/old:1'}
            - name: other-stacks-block
              spec:
                stack: container
                alpha: {image: 'x/alpha:1'}
            - name: alpha-with-container-block
              spec:
                stack: alpha
                container: {image: 'x/container:1'}
        """,
    )
    assert len(shown) == 3, shown
    both = "m.yaml:10: workflow.dag[0].spec.container: a stack: container job writes its image in one place"
    assert both in shown[0], shown
    assert "stackSpec, or the older container: block" in shown[0]
    assert "m.yaml:14: workflow.dag[1].spec.alpha: alpha: is the alpha stack's block" in shown[1], shown
    assert (
        "m.yaml:18: workflow.dag[2].spec.container: container: is the container stack's block" in (shown[2])
    ), shown
    assert "stack: alpha job writes its image in stackSpec or alpha:" in shown[2], shown
