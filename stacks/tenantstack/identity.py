"""IAM: who may touch which tenant's data, and how pods get that identity (EKS Pod Identity).

- Silo: one role for the tenant's pods, allowed exactly its own table (or database user) and work
  queue (not the dead-letter queue: operators redrive it, the app never reads it).
- Pool: one workload role for the pool's pods, allowed the shared work queue and to assume the
  member roles; one role per member tenant, assumable only by the workload role, allowed the shared
  table only for items whose partition key is the tenant's id (`dynamodb:LeadingKeys`, required to be
  present: a request without leading keys, such as a Scan, is denied), or its own dedicated table.
- The pods' role is bound to the stack's service account by a `PodIdentityAssociation` in the
  target's cluster; its trust policy admits the EKS Pod Identity service only from the target's
  account (`aws:SourceAccount`) and for that cluster, namespace and service account (the session tags
  EKS Pod Identity sets: `aws:RequestTag/eks-cluster-arn`, `.../kubernetes-namespace`,
  `.../kubernetes-service-account`), as the EKS user guide shows: no other association in the
  account, another tenant's namespace included, can use it.
- With a customer-managed KMS key, the roles may use it only through SQS and DynamoDB of the region.

The policy documents are pure functions of ARNs and names, testable without Pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

PolicyDocument = dict[str, Any]

ITEM_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
QUERY_ACTIONS = ("dynamodb:Query",)  # the only ones that also apply to an index
DEDICATED_QUERY_ACTIONS = ("dynamodb:Query", "dynamodb:Scan")
DESCRIBE_ACTIONS = ("dynamodb:DescribeTable",)
QUEUE_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
)
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
ASSUME_ACTIONS = ["sts:AssumeRole", "sts:TagSession"]


@dataclass(frozen=True)
class PodBinding:
    """The only pods a role trusts: a service account of a namespace in one cluster of one account."""

    cluster_arn: str
    cluster_name: str
    account: str
    namespace: str
    service_account: str


def _document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def pod_identity_trust(binding: PodBinding) -> PolicyDocument:
    return _document(
        {
            "Sid": "PodIdentityOfOneServiceAccount",
            "Effect": "Allow",
            "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
            "Action": ASSUME_ACTIONS,
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": binding.account,
                    "aws:RequestTag/eks-cluster-arn": binding.cluster_arn,
                    "aws:RequestTag/kubernetes-namespace": binding.namespace,
                    "aws:RequestTag/kubernetes-service-account": binding.service_account,
                },
            },
        }
    )


def role_trust(role_arn: str) -> PolicyDocument:
    """Assumable by exactly one role (a pool's workload role), nothing else."""
    return _document(
        {"Sid": "WorkloadRoleOnly", "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": ASSUME_ACTIONS}
    )


def queue_statement(queue_arn: str) -> dict[str, Any]:
    return {"Sid": "WorkQueue", "Effect": "Allow", "Action": list(QUEUE_ACTIONS), "Resource": [queue_arn]}


def dedicated_table_statements(table_arn: str) -> list[dict[str, Any]]:
    return [
        {"Sid": "OwnTableItems", "Effect": "Allow", "Action": list(ITEM_ACTIONS), "Resource": [table_arn]},
        {
            "Sid": "OwnTableQueries",
            "Effect": "Allow",
            "Action": list(DEDICATED_QUERY_ACTIONS),
            "Resource": [table_arn, f"{table_arn}/index/*"],
        },
        {"Sid": "OwnTableDescribe", "Effect": "Allow", "Action": list(DESCRIBE_ACTIONS), "Resource": [table_arn]},
    ]


def leading_keys_statements(table_arn: str, tenant: str) -> list[dict[str, Any]]:
    """The tenant's own items of a shared table: every item request must carry leading keys, all
    equal to the tenant's id (`Null: false` makes an absent key a denial, not a pass)."""
    condition = {
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [tenant]},
        "Null": {"dynamodb:LeadingKeys": "false"},
    }
    return [
        {
            "Sid": "OwnItemsInSharedTable",
            "Effect": "Allow",
            "Action": list(ITEM_ACTIONS),
            "Resource": [table_arn],
            "Condition": condition,
        },
        {
            "Sid": "OwnQueriesInSharedTable",
            "Effect": "Allow",
            "Action": list(QUERY_ACTIONS),
            "Resource": [table_arn, f"{table_arn}/index/*"],
            "Condition": condition,
        },
        {"Sid": "SharedTableDescribe", "Effect": "Allow", "Action": list(DESCRIBE_ACTIONS), "Resource": [table_arn]},
    ]


def database_statement(cluster_arn: str, cluster_resource_id: str) -> dict[str, Any]:
    """IAM authentication as the app user of exactly this cluster."""
    _, partition, _, region, account, *_ = cluster_arn.split(":")
    return {
        "Sid": "OwnDatabase",
        "Effect": "Allow",
        "Action": ["rds-db:connect"],
        "Resource": [f"arn:{partition}:rds-db:{region}:{account}:dbuser:{cluster_resource_id}/app"],
    }


def kms_statement(key_arn: str, region: str) -> dict[str, Any]:
    """The target's key, only as SQS or DynamoDB use it on the role's behalf."""
    return {
        "Sid": "TargetKeyThroughServices",
        "Effect": "Allow",
        "Action": list(KMS_ACTIONS),
        "Resource": [key_arn],
        "Condition": {"StringEquals": {"kms:ViaService": [f"sqs.{region}.amazonaws.com",
                                                          f"dynamodb.{region}.amazonaws.com"]}},
    }


def assume_statement(role_arns: Sequence[str]) -> dict[str, Any]:
    return {"Sid": "AssumeMemberRoles", "Effect": "Allow", "Action": ASSUME_ACTIONS, "Resource": sorted(role_arns)}


def policy_json(*statements: dict[str, Any]) -> str:
    return document_json(_document(*statements))


def document_json(document: PolicyDocument) -> str:
    return json.dumps(document, sort_keys=True)


def role(logical: str, name: str, trust: pulumi.Input[str], tags: dict[str, str],
         opts: pulumi.ResourceOptions) -> aws.iam.Role:
    return aws.iam.Role(logical, name=name, assume_role_policy=trust, max_session_duration=3600, tags=tags, opts=opts)


def role_policy(logical: str, owner: aws.iam.Role, document: pulumi.Input[str],
                opts: pulumi.ResourceOptions) -> aws.iam.RolePolicy:
    """An inline policy (RolePolicy takes no tags: it is part of its role, which carries them)."""
    return aws.iam.RolePolicy(logical, name="access", role=owner.id, policy=document,
                              opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=owner)))


def pod_identity(
    logical: str, binding: PodBinding, owner: aws.iam.Role, tags: dict[str, str],
    opts: pulumi.ResourceOptions, depends_on: Sequence[pulumi.Resource] = (),
) -> aws.eks.PodIdentityAssociation:
    """Pods of `binding`'s service account get `owner`'s credentials (through the EKS Pod Identity agent)."""
    return aws.eks.PodIdentityAssociation(
        logical, cluster_name=binding.cluster_name, namespace=binding.namespace,
        service_account=binding.service_account, role_arn=owner.arn, tags=tags,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(depends_on))),
    )
