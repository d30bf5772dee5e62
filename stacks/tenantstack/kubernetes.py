"""Kubernetes resources of a stack: namespace, workload, isolation, quota, per-tenant config.

Objects inside the stack's namespace have fixed names; the namespace (one per stack) scopes them.
The Deployment selector uses only labels that never change (a selector is immutable), the pod
template carries all the labels including `release`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from tenantstack.naming import image_tag
from tenantstack.parameters import TierParameters, cpu_millicores, memory_mib
from tenantstack.spec import StackSpec
from tenantstack.tags import k8s_annotations, k8s_labels

APP = "app"
CONFIG_MAP = "tenant-config"
CONFIG_MOUNT = "/etc/tenantwave"
SERVICE_ACCOUNT = "app"
CONTAINER_PORT = 8080
SERVICE_PORT = 80
SURGE = 1  # extra pods during a rolling update (maxUnavailable 0): the quota leaves room for them


@dataclass(frozen=True)
class Workload:
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service
    autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler
    disruption_budget: k8s.policy.v1.PodDisruptionBudget


def _meta(spec: StackSpec, name: str, namespace: pulumi.Input[str] | None = None,
          annotations: Mapping[str, pulumi.Input[str]] | None = None) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(
        name=name,
        namespace=namespace,
        labels=k8s_labels(spec),
        annotations={**k8s_annotations(spec), **(annotations or {})},
    )


def selector_labels(spec: StackSpec) -> dict[str, str]:
    return {"app.kubernetes.io/name": APP, "tenantwave.io/unit": spec.unit}


def namespace(spec: StackSpec, name: str) -> k8s.core.v1.Namespace:
    return k8s.core.v1.Namespace("namespace", metadata=_meta(spec, name))


def quota_hard(params: TierParameters) -> dict[str, str]:
    """Hard limits for the namespace: one replica's requests x (max replicas + rolling surge)."""
    pods = params.autoscaling.max_replicas + SURGE
    cpu = f"{cpu_millicores(params.resources.cpu) * pods}m"
    memory = f"{memory_mib(params.resources.memory) * pods}Mi"
    return {
        "pods": str(pods),
        "requests.cpu": cpu,
        "limits.cpu": cpu,
        "requests.memory": memory,
        "limits.memory": memory,
    }


def resource_quota(spec: StackSpec, ns: k8s.core.v1.Namespace) -> k8s.core.v1.ResourceQuota:
    return k8s.core.v1.ResourceQuota(
        "quota",
        metadata=_meta(spec, "tenant-quota", ns.metadata.name),
        spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota_hard(spec.parameters)),
    )


def network_policy(spec: StackSpec, ns: k8s.core.v1.Namespace) -> k8s.networking.v1.NetworkPolicy:
    """Pods of this namespace accept traffic only from pods of the same namespace."""
    return k8s.networking.v1.NetworkPolicy(
        "deny-cross-namespace",
        metadata=_meta(spec, "deny-cross-namespace", ns.metadata.name),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(),
            policy_types=["Ingress"],
            ingress=[
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs())]
                )
            ],
        ),
    )


def tenant_config_entry(params: TierParameters, role_arn: str | None = None) -> str:
    """What the app reads for one tenant: rate limit, feature flags (and in a pool, its role), JSON."""
    entry: dict[str, object] = {
        "rate_limit": params.rate_limit.model_dump(mode="json"),
        "features": dict(sorted(params.features.items())),
    }
    if role_arn is not None:
        entry["role_arn"] = role_arn
    return json.dumps(entry, sort_keys=True)


def tenant_config_map(
    spec: StackSpec, ns: k8s.core.v1.Namespace, entries: Mapping[str, pulumi.Input[str]]
) -> k8s.core.v1.ConfigMap:
    """One entry per tenant served (key: tenant id), mounted into the pods at CONFIG_MOUNT."""
    return k8s.core.v1.ConfigMap(
        "tenant-config",
        metadata=_meta(spec, CONFIG_MAP, ns.metadata.name),
        data=dict(sorted(entries.items())),
    )


def service_account(
    spec: StackSpec, ns: k8s.core.v1.Namespace, role_arn: pulumi.Input[str]
) -> k8s.core.v1.ServiceAccount:
    return k8s.core.v1.ServiceAccount(
        "service-account",
        metadata=_meta(spec, SERVICE_ACCOUNT, ns.metadata.name, {"tenantwave.io/role-arn": role_arn}),
    )


def _container(spec: StackSpec, image: str, env: Mapping[str, pulumi.Input[str]]) -> k8s.core.v1.ContainerArgs:
    resources = {"cpu": spec.parameters.resources.cpu, "memory": spec.parameters.resources.memory}
    return k8s.core.v1.ContainerArgs(
        name=APP,
        image=image,
        ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=CONTAINER_PORT)],
        env=[k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in sorted(env.items())],
        resources=k8s.core.v1.ResourceRequirementsArgs(requests=resources, limits=resources),
        volume_mounts=[k8s.core.v1.VolumeMountArgs(name=CONFIG_MAP, mount_path=CONFIG_MOUNT, read_only=True)],
        readiness_probe=k8s.core.v1.ProbeArgs(
            http_get=k8s.core.v1.HTTPGetActionArgs(path="/healthz", port="http"), period_seconds=10
        ),
        security_context=k8s.core.v1.SecurityContextArgs(
            allow_privilege_escalation=False, run_as_non_root=True, read_only_root_filesystem=True
        ),
    )


def deployment(
    spec: StackSpec,
    ns: k8s.core.v1.Namespace,
    image: str,
    env: Mapping[str, pulumi.Input[str]],
    account: k8s.core.v1.ServiceAccount,
    config: k8s.core.v1.ConfigMap,
) -> k8s.apps.v1.Deployment:
    pod_labels = {**k8s_labels(spec), **selector_labels(spec)}
    return k8s.apps.v1.Deployment(
        "deployment",
        metadata=_meta(spec, APP, ns.metadata.name),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=spec.parameters.replicas,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector_labels(spec)),
            strategy=k8s.apps.v1.DeploymentStrategyArgs(
                type="RollingUpdate",
                rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_surge=SURGE, max_unavailable=0),
            ),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=pod_labels, annotations=k8s_annotations(spec)),
                spec=k8s.core.v1.PodSpecArgs(
                    service_account_name=account.metadata.name,
                    containers=[_container(spec, image, env)],
                    volumes=[
                        k8s.core.v1.VolumeArgs(
                            name=CONFIG_MAP,
                            config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config.metadata.name),
                        )
                    ],
                ),
            ),
        ),
        # The HPA owns spec.replicas once the workload runs; replicas here is the initial size.
        opts=pulumi.ResourceOptions(ignore_changes=["spec.replicas"]),
    )


def service(spec: StackSpec, ns: k8s.core.v1.Namespace) -> k8s.core.v1.Service:
    return k8s.core.v1.Service(
        "service",
        metadata=_meta(spec, APP, ns.metadata.name),
        spec=k8s.core.v1.ServiceSpecArgs(
            selector=selector_labels(spec),
            ports=[k8s.core.v1.ServicePortArgs(name="http", port=SERVICE_PORT, target_port="http")],
        ),
    )


def autoscaler(
    spec: StackSpec, ns: k8s.core.v1.Namespace, target: k8s.apps.v1.Deployment
) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
    scaling = spec.parameters.autoscaling
    return k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "autoscaler",
        metadata=_meta(spec, APP, ns.metadata.name),
        spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
            scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                api_version="apps/v1", kind="Deployment", name=target.metadata.name
            ),
            min_replicas=scaling.min_replicas,
            max_replicas=scaling.max_replicas,
            metrics=[
                k8s.autoscaling.v2.MetricSpecArgs(
                    type="Resource",
                    resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                        name="cpu",
                        target=k8s.autoscaling.v2.MetricTargetArgs(
                            type="Utilization", average_utilization=scaling.target_cpu_percent
                        ),
                    ),
                )
            ],
        ),
    )


def disruption_budget(spec: StackSpec, ns: k8s.core.v1.Namespace) -> k8s.policy.v1.PodDisruptionBudget:
    return k8s.policy.v1.PodDisruptionBudget(
        "disruption-budget",
        metadata=_meta(spec, APP, ns.metadata.name),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector_labels(spec))
        ),
    )


def workload(
    spec: StackSpec,
    ns: k8s.core.v1.Namespace,
    image: str,
    env: Mapping[str, pulumi.Input[str]],
    account: k8s.core.v1.ServiceAccount,
    config: k8s.core.v1.ConfigMap,
) -> Workload:
    deploy = deployment(spec, ns, image, env, account, config)
    return Workload(
        deployment=deploy,
        service=service(spec, ns),
        autoscaler=autoscaler(spec, ns, deploy),
        disruption_budget=disruption_budget(spec, ns),
    )


def endpoint(ns: k8s.core.v1.Namespace) -> pulumi.Output[str]:
    """The in-cluster address of the stack's service."""
    return pulumi.Output.concat("http://", APP, ".", ns.metadata.name, ".svc.cluster.local:", str(SERVICE_PORT))


@dataclass(frozen=True)
class Application:
    namespace: k8s.core.v1.Namespace
    service_account: k8s.core.v1.ServiceAccount
    config: k8s.core.v1.ConfigMap
    workload: Workload
    network_policy: k8s.networking.v1.NetworkPolicy
    quota: k8s.core.v1.ResourceQuota

    @property
    def endpoint(self) -> pulumi.Output[str]:
        return endpoint(self.namespace)


def application(
    spec: StackSpec,
    namespace_name: str,
    role_arn: pulumi.Input[str],
    config_entries: Mapping[str, pulumi.Input[str]],
    env: Mapping[str, pulumi.Input[str]],
) -> Application:
    """The namespace of a stack and everything in it."""
    ns = namespace(spec, namespace_name)
    account = service_account(spec, ns, role_arn)
    config = tenant_config_map(spec, ns, config_entries)
    image = f"{spec.parameters.image}:{image_tag(spec.release)}"
    base_env = {
        "TENANTWAVE_ENVIRONMENT": spec.environment,
        "TENANTWAVE_TIER": spec.tier,
        "TENANTWAVE_RELEASE": spec.release,
        "TENANTWAVE_TENANT_CONFIG": CONFIG_MOUNT,
    }
    return Application(
        namespace=ns,
        service_account=account,
        config=config,
        workload=workload(spec, ns, image, {**base_env, **env}, account, config),
        network_policy=network_policy(spec, ns),
        quota=resource_quota(spec, ns),
    )
