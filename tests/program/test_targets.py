"""Where each stack deploys, and as whom (issue 13, items 1-4): explicit providers built from the
environment's target, Pod Identity scoped to the stack's own service account, hardened workloads."""

from __future__ import annotations

import json

import pytest
from program_helpers import every, one, policy

from tenantwave.config.models import Project
from tenantwave.engine.simulate import ResourceGraph

pytestmark = pytest.mark.unit

POOL = "production-us.pool.basic"
SILO = "production-eu.silo.helios-bank"


def _provider_inputs(graph: ResourceGraph, package: str) -> dict:  # type: ignore[type-arg]
    return dict(one(graph, f"pulumi:providers:{package}").inputs)


def test_every_resource_of_every_stack_names_an_explicit_provider(simulate, stacks) -> None:
    for name in stacks:
        graph = simulate(name)
        providers = {r.urn: r for r in graph.resources if r.type.startswith("pulumi:providers:")}
        assert sorted(r.type for r in providers.values()) == ["pulumi:providers:aws", "pulumi:providers:kubernetes"]
        for resource in graph.resources:
            if resource.urn in providers:
                continue
            assert resource.provider in providers, (name, resource.urn)
            package = resource.type.split(":")[0]
            assert providers[resource.provider].type == f"pulumi:providers:{package}", (name, resource.urn)


def test_each_environment_deploys_in_its_own_region_and_account(simulate, stacks, project: Project) -> None:
    for name, stack in stacks.items():
        target = project.target(stack.environment).aws
        graph = simulate(name)
        provider = _provider_inputs(graph, "aws")
        assert provider["region"] == target.region
        assert json.loads(provider["allowedAccountIds"]) == [target.account]
        arns = [v for r in graph.resources for v in json.dumps(r.inputs).split('"') if v.startswith("arn:aws:")]
        arns += [str(v) for v in graph.outputs.values() if str(v).startswith("arn:")]
        for arn in arns:
            region, account = arn.split(":")[3:5]
            assert region in ("", target.region), (name, arn)
            assert account in ("", target.account), (name, arn)
        assert graph.outputs["region"] == target.region


def test_production_eu_data_stays_in_the_eu(simulate, stacks) -> None:
    eu = [name for name in stacks if name.startswith("production-eu.")]
    assert eu
    for name in eu:
        graph = simulate(name)
        assert _provider_inputs(graph, "aws")["region"].startswith("eu-")
        for resource in every(graph, ":Table") + every(graph, ":Queue"):
            assert resource.provider == one(graph, "pulumi:providers:aws").urn
        assert graph.outputs["table_arn"].startswith("arn:aws:dynamodb:eu-")
        assert ".eu-" in graph.outputs["queue_url"]
    us = simulate("production-us.silo.helios-bank")
    assert _provider_inputs(us, "aws")["region"] == "us-east-1"


def test_the_aws_provider_assumes_the_target_role(simulate, project: Project) -> None:
    target = project.target("production-eu").aws
    provider = _provider_inputs(simulate(SILO), "aws")
    assert json.loads(provider["assumeRoles"]) == [
        {"roleArn": target.role_arn, "externalId": target.external_id, "sessionName": f"tenantwave-{SILO}"}
    ]
    assert json.loads(provider["defaultTags"]) == {"tags": {"cost-center": "saas-prod", "data-residency": "eu"}}
    assert provider["skipMetadataApiCheck"] == "true"
    assert "profile" not in provider and "accessKey" not in provider


def test_the_kubernetes_provider_talks_to_the_target_cluster(simulate, project: Project) -> None:
    cluster = project.target("production-eu").cluster.name
    provider = _provider_inputs(simulate(SILO), "kubernetes")
    assert provider["clusterIdentifier"] == f"arn:aws:eks:eu-central-1:410987654321:cluster/{cluster}"
    kubeconfig = json.loads(provider["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"].endswith(".eu-central-1.eks.amazonaws.com")
    command = kubeconfig["users"][0]["user"]["exec"]
    assert command["command"] == "aws"
    assert command["args"] == ["eks", "get-token", "--cluster-name", cluster, "--region", "eu-central-1",
                               "--output", "json"]  # the target has an external id: get-token cannot pass it
    testing = json.loads(_provider_inputs(simulate("testing.pool.basic"), "kubernetes")["kubeconfig"])
    assert testing["users"][0]["user"]["exec"]["args"][-2:] == [
        "--role-arn", project.target("testing").aws.role_arn
    ]


def test_a_kubeconfig_context_is_used_when_the_target_names_one(simulate, config_of) -> None:
    config = config_of(SILO)
    target = json.loads(config["tenantwave:target"])
    target["cluster"]["context"] = "prod-eu-admin"
    provider = _provider_inputs(simulate(config={**config, "tenantwave:target": json.dumps(target)}), "kubernetes")
    assert provider["context"] == "prod-eu-admin" and "kubeconfig" not in provider


def test_pods_get_their_role_through_pod_identity_scoped_to_their_service_account(simulate, stacks) -> None:
    for name in stacks:
        graph = simulate(name)
        namespace = graph.outputs["namespace"]
        association = one(graph, ":PodIdentityAssociation").inputs
        role = one(graph, ":Role", "role")
        assert (association["namespace"], association["serviceAccount"]) == (namespace, "app")
        assert association["roleArn"].endswith(f":role/{role.inputs['name']}")
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert len(trust) == 1 and trust[0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
        account = association["roleArn"].split(":")[4]
        cluster = f"arn:aws:eks:{graph.outputs['region']}:{account}:cluster/{association['clusterName']}"
        assert trust[0]["Condition"] == {  # the session tags EKS Pod Identity sets, and the account
            "StringEquals": {
                "aws:SourceAccount": account,
                "aws:RequestTag/eks-cluster-arn": cluster,
                "aws:RequestTag/kubernetes-namespace": namespace,
                "aws:RequestTag/kubernetes-service-account": "app",
            },
        }
        account_sa = one(graph, ":ServiceAccount").inputs
        assert "tenantwave.io/role-arn" not in account_sa["metadata"].get("annotations", {})  # not IRSA-looking
        assert account_sa["automountServiceAccountToken"] is False


def test_the_tool_writes_the_cluster_name_and_disables_default_providers(config_of, project: Project) -> None:
    config = config_of(SILO)
    assert config["tenantwave:cluster_name"] == project.target("production-eu").cluster.name
    assert config["pulumi:disable-default-providers"] == '["*"]'
    expected = project.target("production-eu").model_dump(mode="json", exclude={"ci"})
    assert json.loads(config["tenantwave:target"]) == expected


def test_a_stack_config_without_a_target_is_refused(config_of) -> None:
    from program_helpers import ROOT

    from tenantwave.engine.simulate import SimulationError, declared_resources

    config = {k: v for k, v in config_of(SILO).items() if k != "tenantwave:target"}
    with pytest.raises(SimulationError, match="tenantwave:target: Field required"):
        declared_resources(ROOT, config)


def test_namespaces_enforce_the_restricted_pod_security_standard(simulate, stacks) -> None:
    for name in stacks:
        labels = one(simulate(name), ":Namespace").inputs["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_pods_pass_the_restricted_profile_and_are_probed_and_spread(simulate) -> None:
    pod = one(simulate(POOL), ":Deployment").inputs["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    container = pod["containers"][0]
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False and context["privileged"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert context["readOnlyRootFilesystem"] is True
    assert (context["runAsNonRoot"], context["runAsUser"], context["runAsGroup"]) == (True, 10001, 10001)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/etc/tenantwave", "/tmp"}
    spread = pod["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in spread] == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    assert all(c["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "app", "tenantwave.io/unit": "basic"}}
               for c in spread)


def test_queues_are_kept_on_destroy_and_the_dlq_takes_redrives_from_its_queue_only(simulate, config_of) -> None:
    graph = simulate(POOL)
    queues = every(graph, "sqs/queue:Queue")
    assert len(queues) == 2 and all(q.retain_on_delete for q in queues)
    assert all(q.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:") for q in queues)
    allow = one(graph, ":RedriveAllowPolicy")
    dead_letter = one(graph, "sqs/queue:Queue", "queue-dlq")
    assert allow.parent == dead_letter.urn
    assert json.loads(allow.inputs["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": ["arn:aws:sqs:us-east-1:310987654321:tw-production-us-pool-basic"],
    }
    lifted = simulate(config={**config_of(POOL), "tenantwave:retain_data": "false"})
    assert not any(q.retain_on_delete for q in every(lifted, "sqs/queue:Queue"))
    assert one(lifted, ":Table").inputs["deletionProtectionEnabled"] is False  # lifted only for --delete-data
    assert one(graph, ":Table").inputs["deletionProtectionEnabled"] is True


def test_the_app_cannot_touch_the_dead_letter_queue(simulate) -> None:
    for name in (POOL, SILO):
        graph = simulate(name)
        dead_letter = one(graph, "sqs/queue:Queue", "queue-dlq").inputs["name"]
        for resource in every(graph, ":RolePolicy"):
            assert dead_letter not in json.dumps(policy(resource)), (name, resource.name)


def test_provisioned_tables_scale_their_capacity(simulate) -> None:
    graph = simulate("production-us.silo.ironclad")  # premium: PROVISIONED 200 read, 100 write
    table = one(graph, ":Table")
    targets = {t.inputs["scalableDimension"]: t.inputs for t in every(graph, "appautoscaling/target:Target")}
    assert targets["dynamodb:table:ReadCapacityUnits"]["minCapacity"] == 200
    assert targets["dynamodb:table:ReadCapacityUnits"]["maxCapacity"] == 800
    assert targets["dynamodb:table:WriteCapacityUnits"]["minCapacity"] == 100
    assert all(t["resourceId"] == f"table/{table.inputs['name']}" for t in targets.values())
    policies = every(graph, "appautoscaling/policy:Policy")
    metrics = sorted(p.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]
                     ["predefinedMetricType"] for p in policies)
    assert metrics == ["DynamoDBReadCapacityUtilization", "DynamoDBWriteCapacityUtilization"]
    assert not every(simulate(POOL), "appautoscaling/target:Target")  # PAY_PER_REQUEST scales by itself
