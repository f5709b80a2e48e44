"""A Pulumi program that uses the dataproduct-iac components directly, without YAML manifests, and
composes them with plain pulumi-aws resources: an exports bucket of its own, an IAM policy from the
depot's read-only policy document, and the product descriptor copied into the exports bucket.

Run it with `pulumi up` from this directory, or offline: the test suite runs it on the mock engine.
"""

import os

import pulumi
import pulumi_aws as aws

from dataproduct_iac.components import (
    DataProduct,
    DataProductArgs,
    Depot,
    DepotArgs,
    InstanceSecret,
    InstanceSecretArgs,
)
from dataproduct_iac.manifests import Acl
from dataproduct_iac.manifests import DataProduct as DataProductManifest
from dataproduct_iac.manifests import Depot as DepotManifest
from dataproduct_iac.manifests import InstanceSecret as InstanceSecretManifest
from dataproduct_iac.settings import StackSettings

settings = StackSettings(
    project=pulumi.get_project(), stack=pulumi.get_stack(), environment="dev", protect=False
)


def credentials(name: str, acl: str) -> InstanceSecretManifest:
    """An instance secret; the key comes from the environment (never from source code)."""
    return InstanceSecretManifest.model_validate(
        {
            "name": name,
            "version": "v1",
            "type": "instance-secret",
            "instance-secret": {
                "type": "key-value-properties",
                "acl": acl,
                "data": {
                    "awsaccesskeyid": os.environ.get("SALES_ACCESS_KEY_ID", "AKIAEXAMPLE"),
                    "awssecretaccesskey": os.environ.get("SALES_SECRET_ACCESS_KEY", "example-only"),
                },
            },
        }
    )


read = InstanceSecret("sales-r", InstanceSecretArgs(credentials("sales-r", "r"), settings))
write = InstanceSecret("sales-rw", InstanceSecretArgs(credentials("sales-rw", "rw"), settings))

sales = Depot(
    "sales",
    DepotArgs(
        DepotManifest.model_validate(
            {
                "name": "sales",
                "version": "v2alpha",
                "type": "depot",
                "depot": {
                    "type": "S3",
                    "external": False,
                    "secrets": [{"name": "sales-r", "allkeys": True}, {"name": "sales-rw", "allkeys": True}],
                    "s3": {"bucket": "sales-lake", "relativePath": "curated", "format": "PARQUET"},
                },
            }
        ),
        settings,
        collections=["orders"],
        secret_arns={Acl.READ: read.arn, Acl.READ_WRITE: write.arn},
    ),
    pulumi.ResourceOptions(depends_on=[read, write]),
)

# Plain pulumi-aws resources next to the components.
exports = aws.s3.Bucket("exports", bucket=settings.physical_name("sales-exports"), force_destroy=True)
readers = aws.iam.Policy("sales-readers", policy=sales.read_policy)

product = DataProduct(
    "sales-orders",
    DataProductArgs(
        DataProductManifest.model_validate(
            {
                "name": "sales-orders",
                "version": "v1alpha",
                "type": "data",
                "entity": "product",
                "owner": "sales-analytics",
                "v1alpha": {
                    "data": {
                        "inputs": [{"ref": "dataset:sales:orders:raw_orders"}],
                        "outputs": [{"ref": "dataset:sales:orders:daily_orders"}],
                    }
                },
            }
        ),
        settings,
        depots={"sales": sales},
    ),
    pulumi.ResourceOptions(depends_on=[sales]),
)

aws.s3.BucketObjectv2(
    "sales-orders-descriptor",
    bucket=exports.id,
    key="descriptors/sales-orders.json",
    content=product.descriptor_json,
    content_type="application/json",
)

pulumi.export("salesBucket", sales.bucket_name)
pulumi.export("exportsBucket", exports.bucket)
pulumi.export("descriptor", product.descriptor)
