"""Where tenant data lives: a DynamoDB table, or an Aurora PostgreSQL cluster when the tier asks.

Data-bearing resources are `retain_on_delete` unless the stack config says `retain_data: false`,
so destroying a stack (offboarding) leaves the data in place. The AWS-side deletion protection
follows the tier's `storage.deletion_protection`. Aurora's master password is generated and kept
in AWS Secrets Manager by RDS (`manage_master_user_password`): no secret passes through config.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from tenantstack.naming import RDS_IDENTIFIER_MAX, bounded
from tenantstack.parameters import Storage

SORT_KEY = "sk"
SILO_PARTITION_KEY = "pk"
POOL_PARTITION_KEY = "tenant_id"
AURORA_ENGINE_VERSION = "16.4"
AURORA_MIN_ACU = 0.5
AURORA_MAX_ACU = 16.0
MASTER_USERNAME = "tenantwave"
APP_DB_USER = "app"


@dataclass(frozen=True)
class AuroraDatabase:
    cluster: aws.rds.Cluster
    instance: aws.rds.ClusterInstance


def data_options(retain: bool) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(retain_on_delete=retain)


def dynamodb_table(
    logical: str, name: str, storage: Storage, partition_key: str, tags: dict[str, str], retain: bool
) -> aws.dynamodb.Table:
    provisioned = storage.billing_mode == "PROVISIONED"
    return aws.dynamodb.Table(
        logical,
        name=name,
        billing_mode=storage.billing_mode,
        read_capacity=storage.read_capacity if provisioned else None,
        write_capacity=storage.write_capacity if provisioned else None,
        hash_key=partition_key,
        range_key=SORT_KEY,
        attributes=[
            aws.dynamodb.TableAttributeArgs(name=partition_key, type="S"),
            aws.dynamodb.TableAttributeArgs(name=SORT_KEY, type="S"),
        ],
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=storage.point_in_time_recovery),
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
        deletion_protection_enabled=storage.deletion_protection,
        tags=tags,
        opts=data_options(retain),
    )


def aurora_database(
    logical: str, identifier: str, storage: Storage, tags: dict[str, str], retain: bool
) -> AuroraDatabase:
    cluster = aws.rds.Cluster(
        logical,
        cluster_identifier=identifier,
        engine="aurora-postgresql",
        engine_mode="provisioned",
        engine_version=AURORA_ENGINE_VERSION,
        database_name="app",
        master_username=MASTER_USERNAME,
        manage_master_user_password=True,
        iam_database_authentication_enabled=True,
        storage_encrypted=True,
        deletion_protection=storage.deletion_protection,
        backup_retention_period=35 if storage.point_in_time_recovery else 1,
        copy_tags_to_snapshot=True,
        skip_final_snapshot=False,
        final_snapshot_identifier=bounded([identifier, "final"], RDS_IDENTIFIER_MAX),
        serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
            min_capacity=AURORA_MIN_ACU, max_capacity=AURORA_MAX_ACU
        ),
        tags=tags,
        opts=data_options(retain),
    )
    instance = aws.rds.ClusterInstance(
        f"{logical}-writer",
        identifier=bounded([identifier, "writer"], RDS_IDENTIFIER_MAX),
        cluster_identifier=cluster.id,
        engine=cluster.engine,
        engine_version=cluster.engine_version,
        instance_class="db.serverless",
        tags=tags,
    )
    return AuroraDatabase(cluster=cluster, instance=instance)
