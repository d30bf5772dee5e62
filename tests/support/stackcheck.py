"""Independent validation of what the stack program declares (issue 13, item 7).

Every stack of a project is rendered under Pulumi's mocks (tenantwave.engine.simulate), then checked
by tools that know nothing of this project:

- every Kubernetes object against the Kubernetes JSON schemas of two versions (kubernetes-validate,
  strict: an unknown field is an error), the oldest and the newest this check supports;
- every IAM policy with parliament (AWS's own action and resource catalogue; community auditors on),
  failing on any finding except the ACCEPTED ones below, each with its reason;
- every role trust policy by rules parliament does not cover (it reads identity policies): a named
  principal (never `*` or a whole account), and a service principal only under an
  `aws:SourceAccount` condition and one naming the source resource (`aws:SourceArn`, or the cluster
  ARN EKS Pod Identity sets as a session tag).

`python .ci/check-stacks` runs it on the example fleet and prints one line per problem; the tests in
tests/program/test_independent_validation.py run it too, and check that it catches what it must.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
RELEASE = "1.4.0"
IAM_POLICY_KEYS = {"aws:iam/rolePolicy:RolePolicy": "policy", "aws:iam/role:Role": "assumeRolePolicy"}
# what names the one resource a service principal may act for: its ARN, or the cluster EKS Pod Identity tags
SOURCE_KEYS = frozenset({"aws:SourceArn", "aws:RequestTag/eks-cluster-arn"})
# (parliament issue, statement Sid) -> why the design needs it
ACCEPTED = {
    ("CREDENTIALS_EXPOSURE", "AssumeMemberRoles"): (
        "a pool's workload role assumes exactly its members' roles (listed ARNs) to act as one tenant per request"
    ),
}


@dataclass(frozen=True)
class Problem:
    stack: str
    resource: str
    what: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.resource}: {self.what}"


def kubernetes_problems(stack: str, resource: str, manifest: dict[str, Any]) -> list[Problem]:
    import kubernetes_validate

    problems = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(part) for part in exc.path) or "(object)"
            problems.append(Problem(stack, resource, f"Kubernetes {version}: {where}: {exc.message}"))
    return problems


def _statement_sid(document: dict[str, Any], location: Any) -> str | None:
    """The Sid of the statement a parliament finding points at (by the actions it names), if one."""
    statements = document.get("Statement", [])
    actions = {str(a).lower() for a in (location or {}).get("actions", [])} if isinstance(location, dict) else set()
    for statement in statements if isinstance(statements, list) else [statements]:
        named = statement.get("Action", [])
        named = {str(a).lower() for a in ([named] if isinstance(named, str) else named)}
        if actions and actions <= named:
            return statement.get("Sid")
    return None


def iam_problems(stack: str, resource: str, text: str) -> list[Problem]:
    from parliament import analyze_policy_string

    document = json.loads(text)
    policy = analyze_policy_string(text, include_community_auditors=True)
    problems = []
    for finding in policy.findings:
        sid = _statement_sid(document, finding.location)
        if (finding.issue, sid) in ACCEPTED:
            continue
        problems.append(Problem(stack, resource, f"IAM {finding.issue} ({sid or 'policy'}): {finding.detail}"))
    return problems


def trust_problems(stack: str, resource: str, text: str) -> list[Problem]:
    problems = []
    for statement in json.loads(text).get("Statement", []):
        principal = statement.get("Principal")
        sid = statement.get("Sid", "statement")
        if principal == "*" or not isinstance(principal, dict):
            problems.append(Problem(stack, resource, f"trust {sid}: principal {principal!r} is anyone"))
            continue
        for arn in _listed(principal.get("AWS")):
            if arn == "*" or arn.endswith(":root") or ":" not in arn:
                problems.append(Problem(stack, resource, f"trust {sid}: principal {arn!r} is a whole account"))
        if principal.get("Service"):
            condition = statement.get("Condition", {})
            keys = {key for block in condition.values() for key in block}
            if "aws:SourceAccount" not in keys:
                problems.append(Problem(stack, resource, f"trust {sid}: a service principal without aws:SourceAccount"))
            if not keys & SOURCE_KEYS:
                problems.append(Problem(stack, resource, f"trust {sid}: a service principal for any source resource "
                                                         f"(no {' or '.join(sorted(SOURCE_KEYS))})"))
    return problems


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def graph_problems(stack: str, graph: Any) -> Iterator[Problem]:
    """Every problem in one declared resource graph (a tenantwave.engine.simulate.ResourceGraph)."""
    for resource in graph.resources:
        if resource.type.startswith("kubernetes:"):
            yield from kubernetes_problems(stack, resource.name, dict(resource.inputs))
        key = IAM_POLICY_KEYS.get(resource.type)
        if key is None:
            continue
        text = resource.inputs[key]
        if key == "assumeRolePolicy":
            yield from trust_problems(stack, resource.name, text)
        else:
            yield from iam_problems(stack, resource.name, text)


def check_project(root: Path, release: str = RELEASE) -> tuple[dict[str, int], list[Problem]]:
    """Render and check every stack of the project at `root`: counts and problems."""
    from tenantwave.config.loader import load_project
    from tenantwave.engine.simulate import declared_resources
    from tenantwave.planning.inventory import build_inventory
    from tenantwave.planning.stackconfig import stack_config

    project = load_project(root)
    counts = {"stacks": 0, "kubernetes": 0, "iam": 0}
    problems: list[Problem] = []
    for stack in build_inventory(project):
        graph = declared_resources(root, stack_config(project, stack, release))
        counts["stacks"] += 1
        counts["kubernetes"] += sum(1 for r in graph.resources if r.type.startswith("kubernetes:"))
        counts["iam"] += sum(1 for r in graph.resources if r.type in IAM_POLICY_KEYS)
        problems.extend(graph_problems(stack.name, graph))
    return counts, problems


def main(argv: Iterable[str] = ()) -> int:
    args = list(argv)
    root = Path(args[0]) if args else Path.cwd()
    counts, problems = check_project(root)
    for problem in problems:
        print(problem)
    versions = " and ".join(KUBERNETES_VERSIONS)
    print(
        f"{counts['stacks']} stacks: {counts['kubernetes']} Kubernetes objects checked against {versions} (strict), "
        f"{counts['iam']} IAM policies with parliament and the trust rules: {len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
