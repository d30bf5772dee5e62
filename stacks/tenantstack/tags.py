"""The tags (AWS) and labels (Kubernetes) that every resource of a stack carries.

`tenant` is the tenant a resource belongs to: the silo tenant, a pool member for its per-member
resources, or `shared` for the resources a pool shares among its members. `release` is the release
as given in AWS tags and its label-safe form in Kubernetes labels (the exact value is also in the
`tenantwave.io/release` annotation).
"""

from __future__ import annotations

from tenantstack.naming import label_value
from tenantstack.spec import StackSpec

SHARED = "shared"
MANAGED_BY = "tenantwave"
RELEASE_ANNOTATION = "tenantwave.io/release"
REQUIRED = ("tenant", "tier", "environment", "release")


def owner(spec: StackSpec, tenant: str | None = None) -> str:
    return tenant or spec.tenant or SHARED


def aws_tags(spec: StackSpec, tenant: str | None = None) -> dict[str, str]:
    return {
        "tenant": owner(spec, tenant),
        "tier": spec.tier,
        "environment": spec.environment,
        "release": spec.release,
        "stack": spec.stack,
        "managed-by": MANAGED_BY,
    }


def k8s_labels(spec: StackSpec, tenant: str | None = None) -> dict[str, str]:
    return {
        "tenant": label_value(owner(spec, tenant)),
        "tier": spec.tier,
        "environment": spec.environment,
        "release": label_value(spec.release),
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": label_value(spec.stack),
    }


def k8s_annotations(spec: StackSpec) -> dict[str, str]:
    return {RELEASE_ANNOTATION: spec.release}
