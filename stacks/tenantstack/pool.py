"""A pool stack: one tier's shared workload serving its member tenants in one environment.

Shared (tagged `tenant: shared`): namespace and workload sized by the tier, the table keyed by
`tenant_id`, the queue, the workload role. Per member (tagged with the member's id): a role that
may only touch the member's own items (`dynamodb:LeadingKeys`), its entry in the tenant ConfigMap
(rate limit, features, role), and its own table when its storage is dedicated. Members come from
the stack config, so onboarding or offboarding a tenant is an update of the pool stack.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from tenantstack import data, identity, naming
from tenantstack.kubernetes import SERVICE_ACCOUNT, application, tenant_config_entry
from tenantstack.naming import spec_aws_name
from tenantstack.queue import stack_queues
from tenantstack.spec import Member, StackSpec
from tenantstack.tags import aws_tags


def _member_role(
    spec: StackSpec, member: Member, workload_role: aws.iam.Role, shared_table: aws.dynamodb.Table
) -> tuple[aws.iam.Role, aws.dynamodb.Table | None]:
    """The role of one member, limited to its own items (or its own dedicated table)."""
    tags = aws_tags(spec, member.id)
    trust = workload_role.arn.apply(lambda arn: identity.document_json(identity.role_trust(arn)))
    role = identity.role(f"role-{member.id}", spec_aws_name(spec, member.id, limit=naming.IAM_ROLE_MAX), trust, tags)
    own_table = None
    if member.parameters.storage.dedicated:
        own_table = data.dynamodb_table(
            f"table-{member.id}", spec_aws_name(spec, member.id, limit=naming.DYNAMODB_TABLE_MAX),
            member.parameters.storage, data.SILO_PARTITION_KEY, tags, spec.retain_data,
        )
        statement = own_table.arn.apply(identity.dedicated_table_statement)
    else:
        statement = shared_table.arn.apply(lambda arn: identity.leading_keys_statement(arn, member.id))
    identity.role_policy(f"role-policy-{member.id}", role, statement.apply(lambda s: identity.policy_json(s)))
    return role, own_table


def build_pool(spec: StackSpec) -> dict[str, Any]:
    params = spec.parameters
    tags = aws_tags(spec)
    table = data.dynamodb_table(
        "table", spec_aws_name(spec, limit=naming.DYNAMODB_TABLE_MAX), params.storage,
        data.POOL_PARTITION_KEY, tags, spec.retain_data,
    )
    work = stack_queues(spec, tags)
    workload_role = identity.role("role", spec_aws_name(spec, "workload", limit=naming.IAM_ROLE_MAX),
                                  identity.document_json(identity.pod_identity_trust()), tags)
    member_roles: dict[str, aws.iam.Role] = {}
    member_tables: dict[str, aws.dynamodb.Table] = {}
    for member in spec.members:
        role, own_table = _member_role(spec, member, workload_role, table)
        member_roles[member.id] = role
        if own_table is not None:
            member_tables[member.id] = own_table

    statements: list[pulumi.Input[Any]] = []
    if member_roles:
        statements.append(pulumi.Output.all(*(r.arn for r in member_roles.values())).apply(identity.assume_statement))
    if work is not None:
        statements.append(pulumi.Output.all(*work.arns).apply(identity.queue_statement))
    if statements:
        identity.role_policy("role-policy", workload_role,
                             pulumi.Output.all(*statements).apply(lambda s: identity.policy_json(*s)))

    entries: dict[str, pulumi.Input[str]] = {
        member.id: member_roles[member.id].arn.apply(
            lambda arn, params=member.parameters: tenant_config_entry(params, arn)
        )
        for member in spec.members
    }
    env: dict[str, pulumi.Input[str]] = {"TABLE_NAME": table.name}
    if work is not None:
        env["QUEUE_URL"] = work.queue.url
    namespace = naming.namespace_name(spec.environment, spec.kind, spec.unit)
    app = application(spec, namespace, workload_role.arn, entries, env)
    if spec.cluster_name is not None:
        identity.pod_identity("pod-identity", spec.cluster_name, app.namespace.metadata.name,
                              SERVICE_ACCOUNT, workload_role, tags)

    outputs: dict[str, Any] = {
        "kind": spec.kind,
        "endpoint": app.endpoint,
        "namespace": app.namespace.metadata.name,
        "table_name": table.name,
        "table_arn": table.arn,
        "workload_role_arn": workload_role.arn,
        "role_arns": {tenant: role.arn for tenant, role in member_roles.items()},
        "members": [member.id for member in spec.members],
    }
    if member_tables:
        outputs["member_table_names"] = {tenant: t.name for tenant, t in member_tables.items()}
    if work is not None:
        outputs["queue_url"] = work.queue.url
    return outputs
