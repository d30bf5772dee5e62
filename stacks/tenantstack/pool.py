"""A pool stack: one tier's shared workload serving its member tenants in one environment.

Shared (tagged `tenant: shared`): namespace and workload sized by the tier, the table keyed by
`tenant_id`, the queue, the workload role (the pods' role, through Pod Identity). Per member
(tagged with the member's id): a role only the workload role may assume, allowed only the member's
own items (`dynamodb:LeadingKeys`), its entry in the tenant ConfigMap (rate limit, features, role),
and its own table when its storage is dedicated. Members come from the stack config, so onboarding
or offboarding a tenant is an update of the pool stack.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from tenantstack import data, identity, naming
from tenantstack.kubernetes import application, tenant_config_entry
from tenantstack.naming import spec_aws_name
from tenantstack.providers import Providers
from tenantstack.queue import stack_queues
from tenantstack.silo import pod_binding
from tenantstack.spec import Member, StackSpec
from tenantstack.tags import aws_tags


def _kms(spec: StackSpec) -> list[dict[str, Any]]:
    kms = spec.target.aws.kms_key_arn
    return [identity.kms_statement(kms, spec.target.aws.region)] if kms is not None else []


def _member_role(
    spec: StackSpec, member: Member, workload_role: aws.iam.Role, shared_table: aws.dynamodb.Table,
    providers: Providers,
) -> tuple[aws.iam.Role, aws.dynamodb.Table | None]:
    """The role of one member, limited to its own items (or its own dedicated table)."""
    tags = aws_tags(spec, member.id)
    trust = workload_role.arn.apply(lambda arn: identity.document_json(identity.role_trust(arn)))
    role = identity.role(f"role-{member.id}", spec_aws_name(spec, member.id, limit=naming.IAM_ROLE_MAX), trust,
                         tags, providers.for_aws())
    own_table = None
    if member.parameters.storage.dedicated:
        own_table = data.dynamodb_table(
            f"table-{member.id}", spec_aws_name(spec, member.id, limit=naming.DYNAMODB_TABLE_MAX),
            member.parameters.storage, data.SILO_PARTITION_KEY, tags, spec, providers,
        )
        statements = own_table.arn.apply(identity.dedicated_table_statements)
    else:
        statements = shared_table.arn.apply(lambda arn: identity.leading_keys_statements(arn, member.id))
    extra = _kms(spec)
    identity.role_policy(f"role-policy-{member.id}", role,
                         statements.apply(lambda found: identity.policy_json(*found, *extra)), providers.for_aws())
    return role, own_table


def build_pool(spec: StackSpec, providers: Providers) -> dict[str, Any]:
    params = spec.parameters
    tags = aws_tags(spec)
    namespace = naming.namespace_name(spec.environment, spec.kind, spec.unit)
    binding = pod_binding(spec, namespace)
    table = data.dynamodb_table(
        "table", spec_aws_name(spec, limit=naming.DYNAMODB_TABLE_MAX), params.storage,
        data.POOL_PARTITION_KEY, tags, spec, providers,
    )
    work = stack_queues(spec, tags, providers)
    workload_role = identity.role("role", spec_aws_name(spec, limit=naming.IAM_ROLE_MAX),
                                  identity.document_json(identity.pod_identity_trust(binding)), tags,
                                  providers.for_aws())
    member_roles: dict[str, aws.iam.Role] = {}
    member_tables: dict[str, aws.dynamodb.Table] = {}
    for member in spec.members:
        role, own_table = _member_role(spec, member, workload_role, table, providers)
        member_roles[member.id] = role
        if own_table is not None:
            member_tables[member.id] = own_table

    statements: list[pulumi.Input[Any]] = []
    if member_roles:
        statements.append(pulumi.Output.all(*(r.arn for r in member_roles.values())).apply(identity.assume_statement))
    if work is not None:
        statements.append(work.queue.arn.apply(identity.queue_statement))
    if statements:
        extra = _kms(spec) if work is not None else []
        identity.role_policy("role-policy", workload_role,
                             pulumi.Output.all(*statements).apply(lambda s: identity.policy_json(*s, *extra)),
                             providers.for_aws())

    entries: dict[str, pulumi.Input[str]] = {
        member.id: member_roles[member.id].arn.apply(
            lambda arn, params=member.parameters: tenant_config_entry(params, arn)
        )
        for member in spec.members
    }
    env: dict[str, pulumi.Input[str]] = {"TABLE_NAME": table.name}
    if work is not None:
        env["QUEUE_URL"] = work.queue.url
    app = application(spec, namespace, entries, env, providers)
    identity.pod_identity("pod-identity", binding, workload_role, tags, providers.for_aws(),
                          depends_on=[app.service_account])

    outputs: dict[str, Any] = {
        "kind": spec.kind,
        "endpoint": app.endpoint,
        "namespace": app.namespace.metadata.name,
        "table_name": table.name,
        "table_arn": table.arn,
        "workload_role_arn": workload_role.arn,
        "role_arns": {tenant: role.arn for tenant, role in member_roles.items()},
        "members": [member.id for member in spec.members],
        "region": spec.target.aws.region,
    }
    if member_tables:
        outputs["member_table_names"] = {tenant: t.name for tenant, t in member_tables.items()}
    if work is not None:
        outputs["queue_url"] = work.queue.url
    return outputs
