"""The explicit providers of a stack, built from its target: every resource names one of them.

- AWS: `aws.Provider` in the target's region, assuming the target's role (with its external id when
  set, a session name naming the stack), allowed to act only in the target's account, with the
  target's default tags. No ambient region, profile or account.
- Kubernetes: the target's EKS cluster: its endpoint and certificate authority read through the AWS
  provider (`aws.eks.getCluster`), a token from `aws eks get-token` for the cluster in the target's
  region (as the target's role when it has no external id: `get-token` cannot pass one, so with an
  external id the caller's own identity needs a cluster access entry); or, when the target names a
  kubeconfig `context`, that context. `cluster_identifier` is the cluster's ARN, so new credentials
  never look like a new cluster.

The tool also sets `pulumi:disable-default-providers: ["*"]` in stack config: a resource declared
without its provider fails instead of deploying with ambient settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from tenantstack.spec import StackSpec

SESSION_NAME_MAX = 64


@dataclass(frozen=True)
class Providers:
    aws: aws.Provider
    kubernetes: k8s.Provider

    def for_aws(self, **options: Any) -> pulumi.ResourceOptions:
        """Resource options of an AWS resource: its provider, and `options`."""
        return pulumi.ResourceOptions(provider=self.aws, **options)

    def for_kubernetes(self, **options: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(provider=self.kubernetes, **options)


def session_name(spec: StackSpec) -> str:
    """`tenantwave-<stack>`, within STS's 64 characters and its character set."""
    return f"tenantwave-{spec.stack}"[:SESSION_NAME_MAX]


def cluster_arn(spec: StackSpec) -> str:
    target = spec.target
    partition = target.aws.role_arn.split(":")[1]
    return f"arn:{partition}:eks:{target.aws.region}:{target.aws.account}:cluster/{target.cluster.name}"


def aws_provider(spec: StackSpec) -> aws.Provider:
    target = spec.target.aws
    return aws.Provider(
        "aws",
        region=target.region,
        assume_roles=[
            aws.ProviderAssumeRoleArgs(
                role_arn=target.role_arn, external_id=target.external_id, session_name=session_name(spec)
            )
        ],
        allowed_account_ids=[target.account],
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(target.default_tags)) if target.default_tags else None,
        skip_metadata_api_check=True,  # never the instance's own identity through IMDS
    )


def kubeconfig(spec: StackSpec, endpoint: str, certificate: str) -> str:
    """A kubeconfig for the target's EKS cluster whose credentials come from `aws eks get-token`."""
    target = spec.target
    args = ["eks", "get-token", "--cluster-name", target.cluster.name, "--region", target.aws.region,
            "--output", "json"]
    if target.aws.external_id is None:
        args += ["--role-arn", target.aws.role_arn]
    name = target.cluster.name
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": certificate}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": args,
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def kubernetes_provider(spec: StackSpec, through: aws.Provider) -> k8s.Provider:
    cluster = spec.target.cluster
    identifier = cluster_arn(spec)
    if cluster.context is not None:
        return k8s.Provider("kubernetes", context=cluster.context, cluster_identifier=identifier,
                            enable_server_side_apply=True)
    eks = aws.eks.get_cluster_output(name=cluster.name, opts=pulumi.InvokeOutputOptions(provider=through))
    config = pulumi.Output.all(eks.endpoint, eks.certificate_authorities).apply(
        lambda values: kubeconfig(spec, values[0], values[1][0]["data"])
    )
    return k8s.Provider("kubernetes", kubeconfig=config, cluster_identifier=identifier, enable_server_side_apply=True)


def build_providers(spec: StackSpec) -> Providers:
    provider = aws_provider(spec)
    return Providers(aws=provider, kubernetes=kubernetes_provider(spec, provider))
