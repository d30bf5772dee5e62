"""Kubernetes resources of a stack: namespace, workload, isolation, quota, per-tenant config.

Objects inside the stack's namespace have fixed names; the namespace (one per stack) scopes them.
The Deployment selector uses only labels that never change (a selector is immutable), the pod
template carries all the labels including `release`.

Pods pass the Pod Security Standards `restricted` profile their namespace enforces (isolation.py):
numeric non-root user and group, seccomp RuntimeDefault, every capability dropped, no privilege
escalation, a read-only root filesystem (a small memory-backed /tmp), and no service-account token
(the app needs none: its AWS credentials come from the EKS Pod Identity agent, which mounts its own).
Startup, readiness and liveness probes; replicas spread over zones and nodes. The service account
carries no annotation: Pod Identity binds the role to it from the AWS side (identity.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from tenantstack.isolation import meta, namespace, network_policies, resource_quota, surge
from tenantstack.naming import image_tag
from tenantstack.parameters import TierParameters
from tenantstack.providers import Providers
from tenantstack.spec import StackSpec
from tenantstack.tags import k8s_annotations, k8s_labels

APP = "app"
CONFIG_MAP = "tenant-config"
CONFIG_MOUNT = "/etc/tenantwave"
TMP = "tmp"
TMP_SIZE = "64Mi"
SERVICE_ACCOUNT = "app"
CONTAINER_PORT = 8080
PORT_NAME = "http"
SERVICE_PORT = 80
HEALTH_PATH = "/healthz"
RUN_AS = 10001  # the app's numeric user and group: the kubelet cannot check a named one is not root
ZONE_KEY = "topology.kubernetes.io/zone"
HOST_KEY = "kubernetes.io/hostname"


@dataclass(frozen=True)
class Workload:
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service
    autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler
    disruption_budget: k8s.policy.v1.PodDisruptionBudget


def selector_labels(spec: StackSpec) -> dict[str, str]:
    return {"app.kubernetes.io/name": APP, "tenantwave.io/unit": spec.unit}


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
    spec: StackSpec, ns: k8s.core.v1.Namespace, entries: Mapping[str, pulumi.Input[str]], providers: Providers
) -> k8s.core.v1.ConfigMap:
    """One entry per tenant served (key: tenant id), mounted into the pods at CONFIG_MOUNT."""
    return k8s.core.v1.ConfigMap(
        "tenant-config",
        metadata=meta(spec, CONFIG_MAP, ns.metadata.name),
        data=dict(sorted(entries.items())),
        opts=providers.for_kubernetes(),
    )


def service_account(spec: StackSpec, ns: k8s.core.v1.Namespace, providers: Providers) -> k8s.core.v1.ServiceAccount:
    """The pods' identity; no token is mounted from it (the Pod Identity agent needs none of it)."""
    return k8s.core.v1.ServiceAccount(
        "service-account",
        metadata=meta(spec, SERVICE_ACCOUNT, ns.metadata.name),
        automount_service_account_token=False,
        opts=providers.for_kubernetes(),
    )


def _probe(period: int, failures: int, timeout: int = 2) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=HEALTH_PATH, port=PORT_NAME),
        period_seconds=period,
        failure_threshold=failures,
        timeout_seconds=timeout,
    )


def _container(spec: StackSpec, image: str, env: Mapping[str, pulumi.Input[str]]) -> k8s.core.v1.ContainerArgs:
    resources = {"cpu": spec.parameters.resources.cpu, "memory": spec.parameters.resources.memory}
    return k8s.core.v1.ContainerArgs(
        name=APP,
        image=image,
        image_pull_policy="IfNotPresent",
        ports=[k8s.core.v1.ContainerPortArgs(name=PORT_NAME, container_port=CONTAINER_PORT, protocol="TCP")],
        env=[k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in sorted(env.items())],
        resources=k8s.core.v1.ResourceRequirementsArgs(requests=resources, limits=resources),
        volume_mounts=[
            k8s.core.v1.VolumeMountArgs(name=CONFIG_MAP, mount_path=CONFIG_MOUNT, read_only=True),
            k8s.core.v1.VolumeMountArgs(name=TMP, mount_path="/tmp"),
        ],
        startup_probe=_probe(period=5, failures=30),  # up to 150 s to start before liveness applies
        readiness_probe=_probe(period=10, failures=3),
        liveness_probe=_probe(period=20, failures=3),
        security_context=k8s.core.v1.SecurityContextArgs(
            allow_privilege_escalation=False,
            privileged=False,
            read_only_root_filesystem=True,
            run_as_non_root=True,
            run_as_user=RUN_AS,
            run_as_group=RUN_AS,
            capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
    )


def _spread(spec: StackSpec) -> list[k8s.core.v1.TopologySpreadConstraintArgs]:
    """Replicas spread over zones, then nodes (best effort: never blocks scheduling)."""
    return [
        k8s.core.v1.TopologySpreadConstraintArgs(
            max_skew=1,
            topology_key=key,
            when_unsatisfiable="ScheduleAnyway",
            label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector_labels(spec)),
            match_label_keys=["pod-template-hash"],
        )
        for key in (ZONE_KEY, HOST_KEY)
    ]


def _pod_spec(spec: StackSpec, image: str, env: Mapping[str, pulumi.Input[str]],
              account: k8s.core.v1.ServiceAccount, config: k8s.core.v1.ConfigMap) -> k8s.core.v1.PodSpecArgs:
    return k8s.core.v1.PodSpecArgs(
        service_account_name=account.metadata.name,
        automount_service_account_token=False,
        enable_service_links=False,
        security_context=k8s.core.v1.PodSecurityContextArgs(
            run_as_non_root=True,
            run_as_user=RUN_AS,
            run_as_group=RUN_AS,
            fs_group=RUN_AS,
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        containers=[_container(spec, image, env)],
        topology_spread_constraints=_spread(spec),
        volumes=[
            k8s.core.v1.VolumeArgs(
                name=CONFIG_MAP, config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config.metadata.name)
            ),
            k8s.core.v1.VolumeArgs(
                name=TMP, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(medium="Memory", size_limit=TMP_SIZE)
            ),
        ],
    )


def deployment(
    spec: StackSpec,
    ns: k8s.core.v1.Namespace,
    image: str,
    env: Mapping[str, pulumi.Input[str]],
    account: k8s.core.v1.ServiceAccount,
    config: k8s.core.v1.ConfigMap,
    providers: Providers,
) -> k8s.apps.v1.Deployment:
    pod_labels = {**k8s_labels(spec), **selector_labels(spec)}
    return k8s.apps.v1.Deployment(
        "deployment",
        metadata=meta(spec, APP, ns.metadata.name),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=spec.parameters.replicas,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector_labels(spec)),
            strategy=k8s.apps.v1.DeploymentStrategyArgs(
                type="RollingUpdate",
                rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(
                    max_surge=surge(spec.parameters), max_unavailable=0
                ),
            ),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=pod_labels, annotations=k8s_annotations(spec)),
                spec=_pod_spec(spec, image, env, account, config),
            ),
        ),
        # The HPA owns spec.replicas once the workload runs; replicas here is the initial size.
        opts=providers.for_kubernetes(ignore_changes=["spec.replicas"]),
    )


def service(spec: StackSpec, ns: k8s.core.v1.Namespace, providers: Providers) -> k8s.core.v1.Service:
    return k8s.core.v1.Service(
        "service",
        metadata=meta(spec, APP, ns.metadata.name),
        spec=k8s.core.v1.ServiceSpecArgs(
            selector=selector_labels(spec),
            ports=[k8s.core.v1.ServicePortArgs(name=PORT_NAME, port=SERVICE_PORT, target_port=PORT_NAME)],
        ),
        opts=providers.for_kubernetes(),
    )


def autoscaler(
    spec: StackSpec, ns: k8s.core.v1.Namespace, target: k8s.apps.v1.Deployment, providers: Providers
) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
    scaling = spec.parameters.autoscaling
    return k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "autoscaler",
        metadata=meta(spec, APP, ns.metadata.name),
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
        opts=providers.for_kubernetes(),
    )


def disruption_budget(
    spec: StackSpec, ns: k8s.core.v1.Namespace, providers: Providers
) -> k8s.policy.v1.PodDisruptionBudget:
    return k8s.policy.v1.PodDisruptionBudget(
        "disruption-budget",
        metadata=meta(spec, APP, ns.metadata.name),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector_labels(spec))
        ),
        opts=providers.for_kubernetes(),
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
    network_policies: tuple[k8s.networking.v1.NetworkPolicy, k8s.networking.v1.NetworkPolicy]
    quota: k8s.core.v1.ResourceQuota

    @property
    def endpoint(self) -> pulumi.Output[str]:
        return endpoint(self.namespace)


def application(
    spec: StackSpec,
    namespace_name: str,
    config_entries: Mapping[str, pulumi.Input[str]],
    env: Mapping[str, pulumi.Input[str]],
    providers: Providers,
    *,
    database: bool = False,
) -> Application:
    """The namespace of a stack and everything in it (`database`: the pods reach an Aurora cluster)."""
    ns = namespace(spec, namespace_name, providers)
    account = service_account(spec, ns, providers)
    config = tenant_config_map(spec, ns, config_entries, providers)
    image = f"{spec.parameters.image}:{image_tag(spec.release)}"
    base_env = {
        "TENANTWAVE_ENVIRONMENT": spec.environment,
        "TENANTWAVE_TIER": spec.tier,
        "TENANTWAVE_RELEASE": spec.release,
        "TENANTWAVE_TENANT_CONFIG": CONFIG_MOUNT,
        "AWS_REGION": spec.target.aws.region,
    }
    deploy = deployment(spec, ns, image, {**base_env, **env}, account, config, providers)
    workload = Workload(
        deployment=deploy,
        service=service(spec, ns, providers),
        autoscaler=autoscaler(spec, ns, deploy, providers),
        disruption_budget=disruption_budget(spec, ns, providers),
    )
    return Application(
        namespace=ns,
        service_account=account,
        config=config,
        workload=workload,
        network_policies=network_policies(spec, ns, providers, PORT_NAME, database),
        quota=resource_quota(spec, ns, providers),
    )
