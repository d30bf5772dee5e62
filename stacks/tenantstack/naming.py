"""Names of the resources, derived from validated ids, within each system's limits, never colliding.

Scheme (`<env>` environment, `<kind>` pool|silo, `<unit>` the silo tenant or the pool tier):

- base name             `tw-<env>-<kind>-<unit>`: the Kubernetes namespace (DNS-1123 label, at
                        most 63 characters), the stack's table, queue and role (the silo's role, the
                        pool's workload role), its Aurora cluster. Objects inside the namespace
                        have fixed names (`app`, `tenant-config`, ...): the namespace scopes them.
- sub-names (AWS)       `<base>_<part>`: a pool member's role and dedicated table `<base>_<tenant>`,
                        the dead-letter queue `<base>_dlq` (DynamoDB, SQS and IAM allow `_`).
- RDS (no `_` allowed)  the cluster is the base name; its writer instance `<base>-writer` and final
                        snapshot `<base>-final` live in their own RDS namespaces, one per cluster.

Why no two valid inputs share a name: ids are lowercase letters, digits and `-`, so `_` only ever
separates a sub-name from its base; an environment id never holds the word `pool` or `silo` (the
loader refuses it), so the first such word of a base name is the kind, what precedes it the
environment and what follows it the unit. A name that would reach its limit (or, for RDS, would hold
`--`) is replaced by a head of it plus a hash of the whole that fills it to EXACTLY the limit: whole
names are always shorter than the limit, so a hashed name never equals a whole one, and two hashed
names are equal only if a SHA-256 prefix of at least 10 hex digits collides.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenantstack.spec import StackSpec

PREFIX = "tw"
SUB = "_"  # separates a sub-name from its base; never in an id
DNS1123_LABEL_MAX = 63
K8S_LABEL_VALUE_MAX = 63
DYNAMODB_TABLE_MAX = 255
SQS_QUEUE_MAX = 80
IAM_ROLE_MAX = 64
RDS_IDENTIFIER_MAX = 63
MIN_HASH = 10
DEAD_LETTER = "dlq"

DNS1123_LABEL_RE = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
K8S_LABEL_VALUE_RE = re.compile(r"\A(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_NOT_LABEL_CHAR = re.compile(r"[^A-Za-z0-9._-]")
_LABEL_HASH = 6


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def bounded(name: str, limit: int) -> str:
    """`name` if shorter than `limit`; else exactly `limit` characters: a head of it, '-', and as
    many hex digits of its SHA-256 as fill the rest (at least MIN_HASH)."""
    if len(name) < limit:
        return name
    head = name[: limit - MIN_HASH - 1].rstrip("-_.")
    return f"{head}-{_digest(name)[: limit - len(head) - 1]}"


def is_dns1123_label(value: str) -> bool:
    return len(value) <= DNS1123_LABEL_MAX and DNS1123_LABEL_RE.match(value) is not None


def is_label_value(value: str) -> bool:
    return len(value) <= K8S_LABEL_VALUE_MAX and K8S_LABEL_VALUE_RE.match(value) is not None


def base_name(environment: str, kind: str, unit: str) -> str:
    """`tw-<env>-<kind>-<unit>`, whole (unbounded)."""
    return f"{PREFIX}-{environment}-{kind}-{unit}"


def namespace_name(environment: str, kind: str, unit: str) -> str:
    return bounded(base_name(environment, kind, unit), DNS1123_LABEL_MAX)


def label_value(value: str) -> str:
    """A Kubernetes label value for `value` (a release may hold '+', which labels do not allow)."""
    cleaned = _NOT_LABEL_CHAR.sub("_", value).strip("-_.")
    if len(cleaned) > K8S_LABEL_VALUE_MAX:
        head = cleaned[: K8S_LABEL_VALUE_MAX - _LABEL_HASH - 1].rstrip("-_.")
        cleaned = f"{head}-{_digest(value)[:_LABEL_HASH]}"
    return cleaned


def image_tag(release: str) -> str:
    """OCI tags allow [A-Za-z0-9_.-]: semver build metadata '1.4.0+b7' is tagged '1.4.0_b7'."""
    return release.replace("+", "_")


def aws_name(environment: str, kind: str, unit: str, *parts: str, limit: int) -> str:
    """The base name, or the sub-name `<base>_<part>...`, bounded to `limit`."""
    return bounded(SUB.join([base_name(environment, kind, unit), *parts]), limit)


def rds_identifier(environment: str, kind: str, unit: str) -> str:
    """RDS: letters, digits and single hyphens, starting with a letter, at most 63 characters. A base
    name holding `--` (ids may) is hashed, like one too long, so it never meets another's."""
    name = base_name(environment, kind, unit)
    return _rds_bounded(name)


def rds_child(identifier: str, suffix: str) -> str:
    """The writer instance or final snapshot of the cluster `identifier` (their own RDS namespaces)."""
    return _rds_bounded(f"{identifier}-{suffix}")


def _rds_bounded(name: str) -> str:
    if "--" not in name and len(name) < RDS_IDENTIFIER_MAX:
        return name
    head = re.sub(r"-{2,}", "-", name)[: RDS_IDENTIFIER_MAX - MIN_HASH - 1].rstrip("-")
    return f"{head}-{_digest(name)[: RDS_IDENTIFIER_MAX - len(head) - 1]}"


def spec_aws_name(spec: StackSpec, *parts: str, limit: int) -> str:
    """aws_name for the stack `spec` describes."""
    return aws_name(spec.environment, spec.kind, spec.unit, *parts, limit=limit)
