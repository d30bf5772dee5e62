"""Where tenant data lives: a DynamoDB table, or an Aurora PostgreSQL cluster when the tier asks.

Data-bearing resources (tables, databases, queues) are `retain_on_delete` unless the stack config
says `retain_data: false`, so destroying a stack (offboarding) leaves the data in place; the same
flag lifts the AWS-side deletion protection that the tier's `storage.deletion_protection` asks for
(only a deliberate `--delete-data` sets it). Everything is encrypted with the target's KMS key when
it names one. PROVISIONED tables scale their read and write capacity between the tier's figures and
AUTOSCALE_FACTOR times them (target tracking at TARGET_UTILIZATION percent); Pulumi then leaves the
capacity the scaler sets alone.

Aurora runs in the target's network (a subnet group of its subnets, its security groups: never the
default VPC), at AURORA_ENGINE_VERSION with minor upgrades on, keeps a final snapshot and its
automated backups, and has RDS manage its master password in Secrets Manager: no secret passes
through config.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from tenantstack.naming import rds_child
from tenantstack.parameters import Storage
from tenantstack.providers import Providers
from tenantstack.spec import StackSpec

SORT_KEY = "sk"
SILO_PARTITION_KEY = "pk"
POOL_PARTITION_KEY = "tenant_id"
AURORA_ENGINE_VERSION = "16.8"  # a supported Aurora PostgreSQL 16 minor; minor upgrades are automatic
AURORA_MIN_ACU = 0.5
AURORA_MAX_ACU = 16.0
MASTER_USERNAME = "tenantwave"
APP_DB_USER = "app"
MAX_CAPACITY = 40_000
AUTOSCALE_FACTOR = 4
TARGET_UTILIZATION = 70.0


class NetworkMissing(ValueError):
    """Aurora storage on a target without `network`."""


@dataclass(frozen=True)
class AuroraDatabase:
    cluster: aws.rds.Cluster
    instance: aws.rds.ClusterInstance
    subnet_group: aws.rds.SubnetGroup


def data_options(providers: Providers, retain: bool, **options: object) -> pulumi.ResourceOptions:
    return providers.for_aws(retain_on_delete=retain, **options)


def dynamodb_table(
    logical: str, name: str, storage: Storage, partition_key: str, tags: dict[str, str], spec: StackSpec,
    providers: Providers,
) -> aws.dynamodb.Table:
    provisioned = storage.billing_mode == "PROVISIONED"
    kms = spec.target.aws.kms_key_arn
    table = aws.dynamodb.Table(
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
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=kms),
        deletion_protection_enabled=storage.deletion_protection and spec.retain_data,
        tags=tags,
        opts=data_options(
            providers, spec.retain_data, ignore_changes=["readCapacity", "writeCapacity"] if provisioned else None
        ),
    )
    if provisioned:
        assert storage.read_capacity is not None and storage.write_capacity is not None
        for dimension, capacity in (("Read", storage.read_capacity), ("Write", storage.write_capacity)):
            _capacity_autoscaling(logical, table, dimension, capacity, tags, providers)
    return table


def _capacity_autoscaling(
    logical: str, table: aws.dynamodb.Table, dimension: str, capacity: int, tags: dict[str, str], providers: Providers
) -> None:
    scalable = f"dynamodb:table:{dimension}CapacityUnits"
    target = aws.appautoscaling.Target(
        f"{logical}-{dimension.lower()}-scaling",
        service_namespace="dynamodb",
        resource_id=table.name.apply(lambda name: f"table/{name}"),
        scalable_dimension=scalable,
        min_capacity=capacity,
        max_capacity=min(capacity * AUTOSCALE_FACTOR, MAX_CAPACITY),
        tags=tags,
        opts=providers.for_aws(parent=table),
    )
    aws.appautoscaling.Policy(
        f"{logical}-{dimension.lower()}-scaling-policy",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        resource_id=target.resource_id,
        scalable_dimension=target.scalable_dimension,
        target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
            target_value=TARGET_UTILIZATION,
            predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                predefined_metric_type=f"DynamoDB{dimension}CapacityUtilization"
            ),
        ),
        opts=providers.for_aws(parent=target),
    )


def aurora_database(
    logical: str, identifier: str, storage: Storage, tags: dict[str, str], spec: StackSpec, providers: Providers
) -> AuroraDatabase:
    network = spec.target.network
    if network is None:
        raise NetworkMissing(
            f"storage engine aurora-postgresql needs the target's network: set targets.{spec.environment}.network "
            "(subnet_ids, security_group_ids) in platform.yaml"
        )
    kms = spec.target.aws.kms_key_arn
    subnets = aws.rds.SubnetGroup(
        f"{logical}-subnets",
        name=identifier,
        subnet_ids=list(network.subnet_ids),
        tags=tags,
        opts=data_options(providers, spec.retain_data),  # a retained cluster still uses it
    )
    cluster = aws.rds.Cluster(
        logical,
        cluster_identifier=identifier,
        engine="aurora-postgresql",
        engine_mode="provisioned",
        engine_version=AURORA_ENGINE_VERSION,
        allow_major_version_upgrade=False,
        database_name="app",
        master_username=MASTER_USERNAME,
        manage_master_user_password=True,
        master_user_secret_kms_key_id=kms,
        iam_database_authentication_enabled=True,
        db_subnet_group_name=subnets.name,
        vpc_security_group_ids=list(network.security_group_ids),
        storage_encrypted=True,
        kms_key_id=kms,
        deletion_protection=storage.deletion_protection and spec.retain_data,
        backup_retention_period=35 if storage.point_in_time_recovery else 7,
        copy_tags_to_snapshot=True,
        delete_automated_backups=False,
        skip_final_snapshot=False,
        final_snapshot_identifier=rds_child(identifier, "final"),
        serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
            min_capacity=AURORA_MIN_ACU, max_capacity=AURORA_MAX_ACU
        ),
        tags=tags,
        opts=data_options(providers, spec.retain_data),
    )
    instance = aws.rds.ClusterInstance(
        f"{logical}-writer",
        identifier=rds_child(identifier, "writer"),
        cluster_identifier=cluster.id,
        engine=cluster.engine,
        engine_version=cluster.engine_version,
        instance_class="db.serverless",
        db_subnet_group_name=subnets.name,
        auto_minor_version_upgrade=True,
        publicly_accessible=False,
        tags=tags,
        opts=providers.for_aws(),
    )
    return AuroraDatabase(cluster=cluster, instance=instance, subnet_group=subnets)
