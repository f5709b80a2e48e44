"""Live drift: compare the manifests' desired state with AWS (and Trino) directly, without Pulumi
state (:mod:`.live`), and render the findings (:mod:`.report`). A stack's refresh preview
(``drift --stack``) is :mod:`dataproduct_iac.engine`.
"""
