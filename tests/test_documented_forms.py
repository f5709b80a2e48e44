"""Documented forms of secrets references, bundles and data products (issue 12 item 3)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from dataproduct_iac import ValueSources, load, resolve
from dataproduct_iac.manifests import Bundle, DataProduct
from dataproduct_iac.manifests.depot import SecretRef
from dataproduct_iac.manifests.product import V1AlphaData


def test_secret_references_take_allkeys_with_keys_the_allkeys_spelling_and_one_key() -> None:
    both = SecretRef.model_validate({"name": "s", "allkeys": True, "keys": ["username", "password"]})
    assert both.allkeys and both.wanted_keys is None
    assert SecretRef.model_validate({"name": "s", "allKeys": True}).allkeys
    one = SecretRef.model_validate(
        {"name": "s", "key": "token", "workspace": "w", "consumptionType": "envVars"}
    )
    assert one.wanted_keys == ["token"]
    with pytest.raises(ValidationError, match="give 'allkeys: true' or a list of 'keys'"):
        SecretRef.model_validate({"name": "s"})


BUNDLE = """
name: dataosresourcebundle
version: v1alpha
type: bundle
bundle:
  schedule:
    initialState: create
    timezone: Asia/Kolkata
    create:
      - cron: '31 0 * * *'
      - cron: '0 1 * * *'
    delete:
      cron: '0 8 * * *'
  manageAsUser: iamgroot
  resources:
    - id: ingestion_dag
      spec:
        name: secret-a
        version: v1
        type: instance-secret
        instance-secret: {type: key-value, acl: r, data: {k: v}}
    - id: quality_dag
      dependencies: [ingestion_dag]
      dependencyConditions:
        - resourceId: ingestion_dag
          status: {is: [active]}
          runtime: {contains: [succeed]}
      spec:
        name: secret-b
        version: v1
        type: instance-secret
        instance-secret: {type: key-value, acl: r, data: {k: v}}
"""


def test_a_v1alpha_bundle_with_underscore_ids_and_the_list_schedule(tmp_path: Path) -> None:
    (tmp_path / "bundle.yaml").write_text(textwrap.dedent(BUNDLE))
    graph = resolve(load([tmp_path], ValueSources()))
    node = graph.get("bundle", "dataosresourcebundle")
    assert node is not None and isinstance(node.manifest, Bundle)
    schedule = node.manifest.bundle.schedule
    assert schedule is not None
    assert [c.cron for c in schedule.create] == ["31 0 * * *", "0 1 * * *"]
    assert [c.cron for c in schedule.delete] == ["0 8 * * *"]
    condition = node.manifest.bundle.resources[1].dependency_conditions[0]
    assert condition.status is not None and condition.status.is_ == ["active"]
    assert ("instance-secret", "secret-a") in graph.dependencies(("instance-secret", "secret-b"))


def bundle_of(*ids: str) -> Bundle:
    resources = [{"id": i, "file": "x.yaml", "dependencies": list(ids[:n])} for n, i in enumerate(ids)]
    return Bundle.model_validate(
        {"name": "b", "version": "v1beta", "type": "bundle", "bundle": {"resources": resources}}
    )


def test_a_bundle_resource_id_is_any_text_on_one_line_as_the_bundle_reference_asks() -> None:
    # The bundle reference: 'id' is a "valid string"; its how-to guide names a resource 'soda checks'.
    assert [r.id for r in bundle_of("flare-job", "soda checks", "Quality_DAG").bundle.resources] == [
        "flare-job",
        "soda checks",
        "Quality_DAG",
    ]
    for bad in ("", " soda", "soda ", "soda\nchecks", "soda\n"):
        with pytest.raises(ValidationError, match="an id is text on one line that does not start or end"):
            bundle_of(bad)


def test_a_v1alpha_product_with_use_cases_domain_lens_list_and_depot_refs() -> None:
    product = DataProduct.model_validate(
        {
            "name": "sales360-dp",
            "version": "v1alpha",
            "type": "data",
            "entity": "product",
            "v1alpha": {
                "data": {
                    "useCases": ["Sales Intelligence"],
                    "domain": "financial-services",
                    "inputs": [{"refType": "depot", "ref": "dataos://bigquery:sales_360/customer"}],
                    "ports": {"lens": [{"ref": "lens:v1alpha:sales360:public", "refType": "dataos"}]},
                }
            },
        }
    )
    data = product.data
    assert isinstance(data, V1AlphaData)
    assert data.use_cases == ["Sales Intelligence"] and data.domain == "financial-services"
    assert product.inputs[0].ref_type == "depot" and product.inputs[0].address.depot == "bigquery"
    assert [(kind, port.ref) for kind, port in product.ports.all()] == [
        ("lens", "lens:v1alpha:sales360:public")
    ]
