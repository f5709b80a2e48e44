"""A data product built from the dataproduct-iac components alone: no YAML manifests, no StackSettings.

The components take plain values and Outputs alike, and compose with plain pulumi-aws resources:
the credentials come from stack config as secrets, the lake bucket's name is an Output, the depot
lives in a bundle, an IAM policy is made from the depot's read-only policy document, and the
product's descriptor is published to an exports bucket of the program's own.

Run it with `pulumi up` from this directory after
`pulumi config set --secret salesAccessKeyId ...` and `pulumi config set --secret salesSecretAccessKey ...`;
the test suite runs it on the mock engine (tests/test_program.py).
"""

import pulumi
import pulumi_aws as aws

from dataproduct_iac import (
    Bundle,
    BundleArgs,
    DataProduct,
    DataProductArgs,
    DatasetRef,
    Depot,
    DepotArgs,
    DepotRef,
    InstanceSecret,
    InstanceSecretArgs,
)

config = pulumi.Config()
stack = pulumi.get_stack()
credentials = {
    "awsaccesskeyid": config.require_secret("salesAccessKeyId"),
    "awssecretaccesskey": config.require_secret("salesSecretAccessKey"),
}
owner = {"dataproduct:owner": "sales-analytics"}

# The bundle groups the product's resources; a dev stack does not protect them. The secrets and the
# depot were created at the top level by an earlier version of this program: the alias keeps them.
bundle = Bundle("sales", BundleArgs(), pulumi.ResourceOptions(protect=stack != "dev"))
members = pulumi.ResourceOptions(parent=bundle, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])

read = InstanceSecret(
    "sales-r", InstanceSecretArgs(data=credentials, secret_name=f"sales-r-{stack}", tags=owner), members
)
write = InstanceSecret(
    "sales-rw",
    InstanceSecretArgs(data=credentials, acl="rw", secret_name=f"sales-rw-{stack}", tags=owner),
    members,
)

sales = Depot(
    "sales",
    DepotArgs(
        bucket=pulumi.Output.concat("sales-lake-", stack),  # an Output works as well as a string
        prefix="curated",
        collections=["orders"],
        glue_database_names={"orders": f"sales_orders_{stack}"},
        secret_arns={"r": read.arn, "rw": write.arn},
        tags=owner,
    ),
    members,
)

# Plain pulumi-aws resources next to the components.
exports = aws.s3.Bucket("exports", bucket=f"sales-exports-{stack}", force_destroy=True)
readers = aws.iam.Policy("sales-readers", policy=sales.read_policy.apply(lambda p: p or "{}"))

product = DataProduct(
    "sales-orders",
    DataProductArgs(
        inputs=[DatasetRef("dataset:sales:orders:raw_orders")],
        outputs=[DatasetRef("dataset:sales:orders:daily_orders")],
        depots={"sales": DepotRef.of(sales)},
        owner="sales-analytics",
        bundle="sales",
    ),
    pulumi.ResourceOptions(depends_on=[bundle]),
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
