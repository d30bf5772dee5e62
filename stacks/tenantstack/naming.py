"""Names of the resources, derived from validated ids and always within each system's limits.

Scheme (`<env>` environment, `<kind>` pool|silo, `<unit>` the silo tenant or the pool tier):

- Kubernetes namespace  `tw-<env>-<kind>-<unit>` (DNS-1123 label, at most 63 characters);
  objects inside it have fixed names (`app`, `tenant-config`, ...), the namespace scopes them.
- AWS                   `tw-<env>-<kind>-<unit>[-<tenant>][-<suffix>]`, per service limit
  (DynamoDB table 255, SQS queue 80, IAM role 64, RDS cluster 63).

A name that would be too long keeps its head and ends with `-` and 6 hex digits of a hash of the
full name, so it stays unique and stable across runs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenantstack.spec import StackSpec

PREFIX = "tw"
DNS1123_LABEL_MAX = 63
K8S_LABEL_VALUE_MAX = 63
DYNAMODB_TABLE_MAX = 255
SQS_QUEUE_MAX = 80
IAM_ROLE_MAX = 64
RDS_IDENTIFIER_MAX = 63

DNS1123_LABEL_RE = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
K8S_LABEL_VALUE_RE = re.compile(r"\A(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_NOT_LABEL_CHAR = re.compile(r"[^A-Za-z0-9._-]")
_HASH_LENGTH = 6


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_HASH_LENGTH]


def bounded(parts: Sequence[str], limit: int, separator: str = "-") -> str:
    """`parts` joined; if longer than `limit`, its head plus a hash of the whole (stable, unique)."""
    name = separator.join(parts)
    if len(name) <= limit:
        return name
    head = name[: limit - _HASH_LENGTH - 1].rstrip("-_.")
    return f"{head}-{_digest(name)}"


def is_dns1123_label(value: str) -> bool:
    return len(value) <= DNS1123_LABEL_MAX and DNS1123_LABEL_RE.match(value) is not None


def is_label_value(value: str) -> bool:
    return len(value) <= K8S_LABEL_VALUE_MAX and K8S_LABEL_VALUE_RE.match(value) is not None


def namespace_name(environment: str, kind: str, unit: str) -> str:
    return bounded([PREFIX, environment, kind, unit], DNS1123_LABEL_MAX)


def label_value(value: str) -> str:
    """A Kubernetes label value for `value` (a release may hold '+', which labels do not allow)."""
    cleaned = _NOT_LABEL_CHAR.sub("_", value).strip("-_.")
    if len(cleaned) > K8S_LABEL_VALUE_MAX:
        cleaned = f"{cleaned[: K8S_LABEL_VALUE_MAX - _HASH_LENGTH - 1].rstrip('-_.')}-{_digest(value)}"
    return cleaned


def image_tag(release: str) -> str:
    """OCI tags allow [A-Za-z0-9_.-]: semver build metadata '1.4.0+b7' is tagged '1.4.0_b7'."""
    return release.replace("+", "_")


def aws_name(environment: str, kind: str, unit: str, *rest: str, limit: int) -> str:
    return bounded([PREFIX, environment, kind, unit, *rest], limit)


def rds_identifier(environment: str, kind: str, unit: str, *rest: str) -> str:
    """RDS: letters, digits and single hyphens, starting with a letter, at most 63 characters."""
    collapsed = [re.sub(r"-{2,}", "-", part) for part in (environment, kind, unit, *rest)]
    return bounded([PREFIX, *collapsed], RDS_IDENTIFIER_MAX)


def spec_aws_name(spec: StackSpec, *rest: str, limit: int) -> str:
    """aws_name for the stack `spec` describes."""
    return aws_name(spec.environment, spec.kind, spec.unit, *rest, limit=limit)
