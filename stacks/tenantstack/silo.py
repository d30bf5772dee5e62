"""A silo stack: one tenant with its own namespace, workload, data, queue and role."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from tenantstack import data, identity, naming
from tenantstack.kubernetes import SERVICE_ACCOUNT, application, tenant_config_entry
from tenantstack.naming import spec_aws_name
from tenantstack.queue import Queues, stack_queues
from tenantstack.spec import StackSpec
from tenantstack.tags import aws_tags


def _policy(
    table: aws.dynamodb.Table | None, database: data.AuroraDatabase | None, work: Queues | None
) -> pulumi.Output[str]:
    """Exactly this tenant's table or database, and its queues: nothing else."""
    parts: list[pulumi.Output[Any]] = []
    if table is not None:
        parts.append(table.arn.apply(identity.dedicated_table_statement))
    if database is not None:
        parts.append(
            pulumi.Output.all(database.cluster.arn, database.cluster.cluster_resource_id).apply(
                lambda values: identity.database_statement(values[0], values[1])
            )
        )
    if work is not None:
        parts.append(pulumi.Output.all(*work.arns).apply(identity.queue_statement))
    return pulumi.Output.all(*parts).apply(lambda statements: identity.policy_json(*statements))


def build_silo(spec: StackSpec) -> dict[str, Any]:
    assert spec.tenant is not None
    params = spec.parameters
    tags = aws_tags(spec)
    table: aws.dynamodb.Table | None = None
    database: data.AuroraDatabase | None = None
    if params.storage.engine == "aurora-postgresql":
        identifier = naming.rds_identifier(spec.environment, spec.kind, spec.unit)
        database = data.aurora_database("database", identifier, params.storage, tags, spec.retain_data)
    else:
        table = data.dynamodb_table(
            "table", spec_aws_name(spec, limit=naming.DYNAMODB_TABLE_MAX), params.storage,
            data.SILO_PARTITION_KEY, tags, spec.retain_data,
        )
    work = stack_queues(spec, tags)
    role = identity.role("role", spec_aws_name(spec, limit=naming.IAM_ROLE_MAX),
                         identity.document_json(identity.pod_identity_trust()), tags)
    identity.role_policy("role-policy", role, _policy(table, database, work))

    env: dict[str, pulumi.Input[str]] = {"TENANTWAVE_TENANT": spec.tenant}
    if table is not None:
        env["TABLE_NAME"] = table.name
    if database is not None:
        env["DATABASE_ENDPOINT"] = database.cluster.endpoint
    if work is not None:
        env["QUEUE_URL"] = work.queue.url
    namespace = naming.namespace_name(spec.environment, spec.kind, spec.unit)
    app = application(spec, namespace, role.arn, {spec.tenant: tenant_config_entry(params)}, env)
    if spec.cluster_name is not None:
        identity.pod_identity("pod-identity", spec.cluster_name, app.namespace.metadata.name,
                              SERVICE_ACCOUNT, role, tags)

    outputs: dict[str, Any] = {
        "kind": spec.kind,
        "endpoint": app.endpoint,
        "namespace": app.namespace.metadata.name,
        "role_arns": {spec.tenant: role.arn},
    }
    if table is not None:
        outputs["table_name"] = table.name
        outputs["table_arn"] = table.arn
    if database is not None:
        outputs["database_endpoint"] = database.cluster.endpoint
        outputs["database_arn"] = database.cluster.arn
    if work is not None:
        outputs["queue_url"] = work.queue.url
    return outputs
