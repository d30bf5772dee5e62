"""A silo stack: one tenant with its own namespace, workload, data, queue and role."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from tenantstack import data, identity, naming
from tenantstack.kubernetes import SERVICE_ACCOUNT, application, tenant_config_entry
from tenantstack.naming import spec_aws_name
from tenantstack.providers import Providers, cluster_arn
from tenantstack.queue import Queues, stack_queues
from tenantstack.spec import StackSpec
from tenantstack.tags import aws_tags


def _policy(
    spec: StackSpec, table: aws.dynamodb.Table | None, database: data.AuroraDatabase | None, work: Queues | None
) -> pulumi.Output[str]:
    """Exactly this tenant's table or database, its work queue (and the target's key through them)."""
    parts: list[pulumi.Output[Any]] = []
    if table is not None:
        parts.append(table.arn.apply(identity.dedicated_table_statements))
    if database is not None:
        parts.append(
            pulumi.Output.all(database.cluster.arn, database.cluster.cluster_resource_id).apply(
                lambda values: [identity.database_statement(values[0], values[1])]
            )
        )
    if work is not None:
        parts.append(work.queue.arn.apply(lambda arn: [identity.queue_statement(arn)]))
    kms = spec.target.aws.kms_key_arn
    extra = [identity.kms_statement(kms, spec.target.aws.region)] if kms is not None else []
    return pulumi.Output.all(*parts).apply(
        lambda groups: identity.policy_json(*(s for group in groups for s in group), *extra)
    )


def pod_binding(spec: StackSpec, namespace: str) -> identity.PodBinding:
    return identity.PodBinding(
        cluster_arn=cluster_arn(spec),
        cluster_name=spec.cluster_name,
        account=spec.target.aws.account,
        namespace=namespace,
        service_account=SERVICE_ACCOUNT,
    )


def build_silo(spec: StackSpec, providers: Providers) -> dict[str, Any]:
    assert spec.tenant is not None
    params = spec.parameters
    tags = aws_tags(spec)
    namespace = naming.namespace_name(spec.environment, spec.kind, spec.unit)
    binding = pod_binding(spec, namespace)
    table: aws.dynamodb.Table | None = None
    database: data.AuroraDatabase | None = None
    if params.storage.engine == "aurora-postgresql":
        identifier = naming.rds_identifier(spec.environment, spec.kind, spec.unit)
        database = data.aurora_database("database", identifier, params.storage, tags, spec, providers)
    else:
        table = data.dynamodb_table(
            "table", spec_aws_name(spec, limit=naming.DYNAMODB_TABLE_MAX), params.storage,
            data.SILO_PARTITION_KEY, tags, spec, providers,
        )
    work = stack_queues(spec, tags, providers)
    role = identity.role("role", spec_aws_name(spec, limit=naming.IAM_ROLE_MAX),
                         identity.document_json(identity.pod_identity_trust(binding)), tags, providers.for_aws())
    identity.role_policy("role-policy", role, _policy(spec, table, database, work), providers.for_aws())

    env: dict[str, pulumi.Input[str]] = {"TENANTWAVE_TENANT": spec.tenant}
    if table is not None:
        env["TABLE_NAME"] = table.name
    if database is not None:
        env["DATABASE_ENDPOINT"] = database.cluster.endpoint
    if work is not None:
        env["QUEUE_URL"] = work.queue.url
    app = application(spec, namespace, {spec.tenant: tenant_config_entry(params)}, env, providers,
                      database=database is not None)
    identity.pod_identity("pod-identity", binding, role, tags, providers.for_aws(),
                          depends_on=[app.service_account])

    outputs: dict[str, Any] = {
        "kind": spec.kind,
        "endpoint": app.endpoint,
        "namespace": app.namespace.metadata.name,
        "role_arns": {spec.tenant: role.arn},
        "region": spec.target.aws.region,
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
