"""IAM: who may touch which tenant's data.

- Silo: one role for the tenant's pods (EKS Pod Identity), allowed exactly its own table (or
  database user), queue and dead-letter queue.
- Pool: one workload role for the pool's pods, allowed the shared queue and to assume the member
  roles; one role per member tenant, allowed the shared table only for items whose partition key
  is the tenant's id (`dynamodb:LeadingKeys`). The app assumes the member role of the tenant it
  serves for each request, so a bug in one tenant's request path cannot read another's items.

The policy documents are pure functions of ARNs, testable without Pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

PolicyDocument = dict[str, Any]

TABLE_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
DEDICATED_TABLE_ACTIONS = (*TABLE_ACTIONS, "dynamodb:Scan")
QUEUE_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
)
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


def _document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def table_resources(table_arn: str) -> list[str]:
    return [table_arn, f"{table_arn}/index/*"]


def pod_identity_trust() -> PolicyDocument:
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    )


def role_trust(role_arn: str) -> PolicyDocument:
    return _document(
        {"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
    )


def queue_statement(queue_arns: Sequence[str]) -> dict[str, Any]:
    return {"Sid": "Queue", "Effect": "Allow", "Action": list(QUEUE_ACTIONS), "Resource": sorted(queue_arns)}


def dedicated_table_statement(table_arn: str) -> dict[str, Any]:
    return {
        "Sid": "OwnTable",
        "Effect": "Allow",
        "Action": list(DEDICATED_TABLE_ACTIONS),
        "Resource": table_resources(table_arn),
    }


def database_statement(cluster_arn: str, cluster_resource_id: str) -> dict[str, Any]:
    """IAM authentication as the app user of exactly this cluster."""
    _, _, _, region, account, *_ = cluster_arn.split(":")
    return {
        "Sid": "OwnDatabase",
        "Effect": "Allow",
        "Action": ["rds-db:connect"],
        "Resource": [f"arn:aws:rds-db:{region}:{account}:dbuser:{cluster_resource_id}/app"],
    }


def leading_keys_statement(table_arn: str, tenant: str) -> dict[str, Any]:
    return {
        "Sid": "OwnItemsInSharedTable",
        "Effect": "Allow",
        "Action": list(TABLE_ACTIONS),
        "Resource": table_resources(table_arn),
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [tenant]}},
    }


def assume_statement(role_arns: Sequence[str]) -> dict[str, Any]:
    return {"Sid": "AssumeMemberRoles", "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": sorted(role_arns)}


def policy_json(*statements: dict[str, Any]) -> str:
    return document_json(_document(*statements))


def document_json(document: PolicyDocument) -> str:
    return json.dumps(document, sort_keys=True)


def role(logical: str, name: str, trust: pulumi.Input[str], tags: dict[str, str]) -> aws.iam.Role:
    return aws.iam.Role(logical, name=name, assume_role_policy=trust, tags=tags)


def role_policy(logical: str, owner: aws.iam.Role, document: pulumi.Input[str]) -> aws.iam.RolePolicy:
    """An inline policy (RolePolicy takes no tags: it is part of its role, which carries them)."""
    return aws.iam.RolePolicy(logical, name="access", role=owner.id, policy=document,
                              opts=pulumi.ResourceOptions(parent=owner))


def pod_identity(
    logical: str, cluster_name: str, namespace: pulumi.Input[str], service_account: pulumi.Input[str],
    owner: aws.iam.Role, tags: dict[str, str],
) -> aws.eks.PodIdentityAssociation:
    return aws.eks.PodIdentityAssociation(
        logical, cluster_name=cluster_name, namespace=namespace, service_account=service_account,
        role_arn=owner.arn, tags=tags,
    )
