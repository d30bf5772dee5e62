"""Deployment targets: where each environment deploys (platform.yaml `targets`).

A target names the AWS region and the account role the stack program's `aws.Provider` assumes, the
EKS cluster its `kubernetes.Provider` talks to (and where Pod Identity associations are made), and
optionally the network placement of databases, the namespaces allowed into tenant namespaces, a
customer-managed KMS key and default tags. The tool writes the target of a stack's environment into
its stack config (`tenantwave:target`, `tenantwave:cluster_name`); the program builds explicit
providers from it and never falls back to an ambient region or credentials.

Every field is checked here with a message that says what a valid value looks like; which
environments need a target is checked by the loader (`missing_targets`).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_REGION_RE = re.compile(r"\A[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[1-9][0-9]?\Z")
_ACCOUNT_RE = re.compile(r"\A[0-9]{12}\Z")
_ROLE_ARN_RE = re.compile(r"\Aarn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role/([\w+=,.@/-]{1,512})\Z")
_KMS_ARN_RE = re.compile(r"\Aarn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):([0-9]{12}):key/[0-9a-f-]{36}\Z")
_EXTERNAL_ID_RE = re.compile(r"\A[\w+=,.@:/-]{2,1224}\Z")
_CLUSTER_RE = re.compile(r"\A[0-9A-Za-z][A-Za-z0-9_-]{0,99}\Z")
_CONTEXT_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._:@/-]{0,252}\Z")
_SUBNET_RE = re.compile(r"\Asubnet-[0-9a-f]{8,17}\Z")
_SECURITY_GROUP_RE = re.compile(r"\Asg-[0-9a-f]{8,17}\Z")
_NAMESPACE_RE = re.compile(r"\A[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_TAG_KEY_RE = re.compile(r"\A[\w .:/=+@-]{1,128}\Z")
_TAG_VALUE_RE = re.compile(r"\A[\w .:/=+@-]{0,256}\Z")

# Tags the program sets on every resource itself (tenantstack/tags.py): a default tag of the same key
# would be silently overridden per resource, so it is refused.
PROGRAM_TAGS = frozenset({"tenant", "tier", "environment", "release", "stack", "managed-by"})
MAX_DEFAULT_TAGS = 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def role_account(role_arn: str) -> str:
    """The account id in an IAM role ARN (validated by `AwsTarget`)."""
    return role_arn.split(":")[4]


class AwsTarget(_Strict):
    """The AWS side of a target: the provider of every AWS resource of the environment's stacks."""

    region: str = Field(description="AWS region of every resource, e.g. eu-west-1")
    role_arn: str = Field(description="IAM role the provider assumes in the target account")
    external_id: str | None = Field(None, description="sts:ExternalId the role's trust policy asks for")
    account_id: str | None = Field(None, description="the only account the provider may act in (default: the role's)")
    kms_key_arn: str | None = Field(None, description="customer-managed KMS key for tables, queues and databases")
    default_tags: dict[str, str] = Field(default_factory=dict, description="tags on every AWS resource")

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _REGION_RE.match(value):
            raise ValueError(f"{value!r} is not an AWS region: write its code, e.g. us-east-1 or eu-west-1")
        return value

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str) -> str:
        if not _ROLE_ARN_RE.match(value):
            raise ValueError(
                f"{value!r} is not an IAM role ARN: write arn:aws:iam::<12-digit account>:role/<name>"
            )
        return value

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        if value is not None and not _EXTERNAL_ID_RE.match(value):
            raise ValueError("an external id is 2 to 1224 letters, digits or +=,.@:/-_ (no spaces)")
        return value

    @field_validator("account_id")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT_RE.match(value):
            raise ValueError(f"{value!r} is not an AWS account id: write its 12 digits, quoted")
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_ARN_RE.match(value):
            raise ValueError(
                f"{value!r} is not a KMS key ARN: write arn:aws:kms:<region>:<account>:key/<key id> (not an alias)"
            )
        return value

    @field_validator("default_tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > MAX_DEFAULT_TAGS:
            raise ValueError(f"{len(tags)} default tags: at most {MAX_DEFAULT_TAGS} (AWS allows 50 per resource)")
        for key, value in tags.items():
            if key in PROGRAM_TAGS:
                raise ValueError(f"tag {key!r} is set by the stack program on every resource: remove it here")
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag {key!r}: the aws: prefix is reserved by AWS")
            if not _TAG_KEY_RE.match(key) or not _TAG_VALUE_RE.match(value):
                raise ValueError(
                    f"tag {key!r}: keys up to 128 and values up to 256 letters, digits, spaces or _.:/=+-@"
                )
        return tags

    @model_validator(mode="after")
    def _consistent(self) -> AwsTarget:
        if self.account_id is not None and self.account_id != role_account(self.role_arn):
            raise ValueError(
                f"account_id {self.account_id} is not the account of role_arn ({role_account(self.role_arn)}): "
                "the provider assumes the role in its own account; fix one of them"
            )
        if self.kms_key_arn is not None:
            key_region = self.kms_key_arn.split(":")[3]
            if key_region != self.region:
                raise ValueError(
                    f"kms_key_arn is in {key_region} but the target is in {self.region}: "
                    "a KMS key encrypts only in its own region"
                )
        return self

    @property
    def account(self) -> str:
        """The only account the provider may act in."""
        return self.account_id or role_account(self.role_arn)


class ClusterTarget(_Strict):
    """The Kubernetes side: the EKS cluster of the environment."""

    name: str = Field(description="EKS cluster name (access and Pod Identity associations)")
    context: str | None = Field(None, description="kubeconfig context to reach it by instead of EKS credentials")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _CLUSTER_RE.match(value):
            raise ValueError(
                f"{value!r} is not an EKS cluster name: up to 100 letters, digits, '-' or '_', starting "
                "with a letter or digit"
            )
        return value

    @field_validator("context")
    @classmethod
    def _context(cls, value: str | None) -> str | None:
        if value is not None and not _CONTEXT_RE.match(value):
            raise ValueError(
                f"{value!r}: a kubeconfig context name here is letters, digits and ._:@/- (e.g. an EKS cluster ARN)"
            )
        return value


class NetworkTarget(_Strict):
    """Where databases are placed: their subnets (in at least two zones) and security groups."""

    subnet_ids: list[str] = Field(description="private subnets of the database subnet group, two or more")
    security_group_ids: list[str] = Field(description="security groups of the databases, one or more")

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, values: list[str]) -> list[str]:
        if len(values) < 2:
            raise ValueError("list at least two subnets (in different availability zones): RDS requires it")
        return _unique_matching(values, _SUBNET_RE, "a subnet id (subnet-0123abcd...)")

    @field_validator("security_group_ids")
    @classmethod
    def _groups(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError("list at least one security group: without one RDS uses the VPC's default group")
        return _unique_matching(values, _SECURITY_GROUP_RE, "a security group id (sg-0123abcd...)")


class CiTarget(_Strict):
    """How the generated rollout workflow reaches the environment (never part of stack config)."""

    role_arn: str | None = Field(
        None, description="role a job assumes through GitHub OIDC (default: its GitHub environment's AWS_ROLE_ARN)"
    )

    @field_validator("role_arn")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_ARN_RE.match(value):
            raise ValueError(
                f"{value!r} is not an IAM role ARN: write arn:aws:iam::<12-digit account>:role/<name>"
            )
        return value


class Target(_Strict):
    """Where one environment deploys."""

    aws: AwsTarget
    cluster: ClusterTarget
    network: NetworkTarget | None = Field(None, description="database placement (required by Aurora storage)")
    ci: CiTarget = Field(default_factory=CiTarget, description="the rollout workflow's access (not stack config)")
    ingress_namespaces: list[str] = Field(
        default_factory=list, description="namespaces allowed into tenant namespaces (ingress controller, monitoring)"
    )

    @field_validator("ingress_namespaces")
    @classmethod
    def _namespaces(cls, values: list[str]) -> list[str]:
        return _unique_matching(values, _NAMESPACE_RE, "a Kubernetes namespace name (lowercase DNS label)")


def _unique_matching(values: list[str], pattern: re.Pattern[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {what}")
        if value in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value)
    return values


Targets = Annotated[dict[str, Target], Field(description="environment -> where it deploys")]
NOT_STACK_CONFIG = frozenset({"ci"})  # target sections the stack program never receives


def stack_target(target: Target) -> dict[str, object]:
    """The target as the program receives it (`tenantwave:target`): JSON data, without `ci`."""
    return target.model_dump(mode="json", exclude=set(NOT_STACK_CONFIG))
