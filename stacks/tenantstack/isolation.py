"""What keeps a tenant namespace apart: Pod Security labels, network policies and a resource quota.

- The namespace enforces (and audits, and warns on) the Pod Security Standards `restricted` profile.
- Network: `default-deny` selects every pod for ingress and egress with no rule, so only what the
  `allow` policies list gets through:
  ingress from pods of the same namespace, and from the target's `ingress_namespaces` (ingress
  controller, monitoring) to the app port; egress to the cluster DNS (kube-dns in kube-system, port
  53), to pods of the same namespace, to the EKS Pod Identity agent (169.254.170.23:80: the pods'
  AWS credentials), and HTTPS (443; and PostgreSQL 5432 when the stack has an Aurora database) to
  any address except the instance metadata service 169.254.169.254/32, which nothing here allows.
- Quota: room for a rolling update at maximum scale, with the pods it replaces still terminating
  (terminating pods count until they are gone): `pods = max_replicas + 2 x surge`, where
  `surge = max(1, ceil(max_replicas / 4))` is the Deployment's maxSurge; CPU and memory (requests
  and limits) = pods x one replica's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tenantstack.parameters import TierParameters, cpu_millicores, memory_mib
from tenantstack.providers import Providers
from tenantstack.spec import StackSpec
from tenantstack.tags import k8s_annotations, k8s_labels

POD_SECURITY_LEVEL = "restricted"
POD_SECURITY_MODES = ("enforce", "audit", "warn")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace
DNS_NAMESPACE = "kube-system"
DNS_POD_LABELS = {"k8s-app": "kube-dns"}
POD_IDENTITY_AGENT = "169.254.170.23/32"
POD_IDENTITY_PORT = 80
METADATA_SERVICE = "169.254.169.254/32"
ANYWHERE = "0.0.0.0/0"
HTTPS_PORT = 443
POSTGRES_PORT = 5432


def surge(params: TierParameters) -> int:
    """The Deployment's maxSurge: a quarter of the maximum scale, at least one pod."""
    return max(1, math.ceil(params.autoscaling.max_replicas / 4))


def pod_security_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for mode in POD_SECURITY_MODES:
        labels[f"pod-security.kubernetes.io/{mode}"] = POD_SECURITY_LEVEL
        labels[f"pod-security.kubernetes.io/{mode}-version"] = "latest"
    return labels


def meta(spec: StackSpec, name: str, namespace: pulumi.Input[str] | None = None,
         annotations: Mapping[str, pulumi.Input[str]] | None = None,
         labels: Mapping[str, str] | None = None) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(
        name=name,
        namespace=namespace,
        labels={**k8s_labels(spec), **(labels or {})},
        annotations={**k8s_annotations(spec), **(annotations or {})},
    )


def namespace(spec: StackSpec, name: str, providers: Providers) -> k8s.core.v1.Namespace:
    return k8s.core.v1.Namespace(
        "namespace", metadata=meta(spec, name, labels=pod_security_labels()), opts=providers.for_kubernetes()
    )


def quota_hard(params: TierParameters) -> dict[str, str]:
    """Hard limits for the namespace (the formula is in the module docstring)."""
    pods = params.autoscaling.max_replicas + 2 * surge(params)
    cpu = f"{cpu_millicores(params.resources.cpu) * pods}m"
    memory = f"{memory_mib(params.resources.memory) * pods}Mi"
    return {
        "pods": str(pods),
        "requests.cpu": cpu,
        "limits.cpu": cpu,
        "requests.memory": memory,
        "limits.memory": memory,
    }


def resource_quota(spec: StackSpec, ns: k8s.core.v1.Namespace, providers: Providers) -> k8s.core.v1.ResourceQuota:
    return k8s.core.v1.ResourceQuota(
        "quota",
        metadata=meta(spec, "tenant-quota", ns.metadata.name),
        spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota_hard(spec.parameters)),
        opts=providers.for_kubernetes(),
    )


def _namespaces(names: Sequence[str]) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(
            match_expressions=[
                k8s.meta.v1.LabelSelectorRequirementArgs(key=NAMESPACE_NAME_LABEL, operator="In", values=sorted(names))
            ]
        )
    )


def _same_namespace() -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs())


def _ports(*ports: tuple[str, int | str]) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(protocol=protocol, port=port) for protocol, port in ports]


def _anywhere_but_metadata() -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        ip_block=k8s.networking.v1.IPBlockArgs(cidr=ANYWHERE, except_=[METADATA_SERVICE])
    )


def ingress_rules(spec: StackSpec, app_port: str) -> list[k8s.networking.v1.NetworkPolicyIngressRuleArgs]:
    rules = [k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[_same_namespace()])]
    if spec.target.ingress_namespaces:
        rules.append(
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                from_=[_namespaces(spec.target.ingress_namespaces)], ports=_ports(("TCP", app_port))
            )
        )
    return rules


def egress_rules(database: bool) -> list[k8s.networking.v1.NetworkPolicyEgressRuleArgs]:
    dns = k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: DNS_NAMESPACE}),
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=DNS_POD_LABELS),
    )
    agent = k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=POD_IDENTITY_AGENT))
    outside = [("TCP", HTTPS_PORT), *((("TCP", POSTGRES_PORT),) if database else ())]
    return [
        k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[dns], ports=_ports(("UDP", 53), ("TCP", 53))),
        k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[_same_namespace()]),
        k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[agent], ports=_ports(("TCP", POD_IDENTITY_PORT))),
        k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[_anywhere_but_metadata()], ports=_ports(*outside)),
    ]


def network_policies(
    spec: StackSpec, ns: k8s.core.v1.Namespace, providers: Providers, app_port: str, database: bool
) -> tuple[k8s.networking.v1.NetworkPolicy, k8s.networking.v1.NetworkPolicy]:
    """`default-deny` (everything, both ways) and `allow` (what the app needs), in the namespace."""
    every_pod = k8s.meta.v1.LabelSelectorArgs()
    deny = k8s.networking.v1.NetworkPolicy(
        "default-deny",
        metadata=meta(spec, "default-deny", ns.metadata.name),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=every_pod, policy_types=["Ingress", "Egress"]),
        opts=providers.for_kubernetes(),
    )
    allow = k8s.networking.v1.NetworkPolicy(
        "allow",
        metadata=meta(spec, "allow", ns.metadata.name),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=every_pod,
            policy_types=["Ingress", "Egress"],
            ingress=ingress_rules(spec, app_port),
            egress=egress_rules(database),
        ),
        opts=providers.for_kubernetes(),
    )
    return deny, allow
