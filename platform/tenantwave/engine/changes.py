"""What an operation changed, as `pulumi up` summarises it: created, updated, deleted, replaced.

`Result.changes` holds the engine's counts by operation ("create", "update", "delete", "replace",
"same", ...); `ChangeCounts` reads them the same way for every engine and adds runs up. Deletes and
replaces of *data-bearing* resources (tables, databases, queues, buckets, volumes: losing one loses
data) are listed one by one in `Result.resource_changes` and called out on the console.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Resource types whose deletion or replacement loses data (Pulumi type tokens, matched by prefix).
DATA_BEARING = (
    "aws:dynamodb/table:",
    "aws:rds/cluster:",
    "aws:rds/clusterInstance:",
    "aws:rds/instance:",
    "aws:sqs/queue:",
    "aws:s3/bucket",
    "aws:efs/fileSystem:",
    "aws:elasticache/",
    "aws:docdb/cluster:",
    "kubernetes:core/v1:PersistentVolume",
)

_CREATED = ("create", "import")
_UPDATED = ("update",)
_DELETED = ("delete", "discard")
_REPLACED = ("replace",)


def data_bearing(type_token: str) -> bool:
    return type_token.startswith(DATA_BEARING)


@dataclass(frozen=True)
class ResourceChange:
    """One resource an operation deletes or replaces."""

    op: str  # "delete" | "replace"
    type: str  # Pulumi type token, e.g. aws:dynamodb/table:Table
    name: str
    retained: bool = False  # deleted from the stack but kept in the cloud (retain_on_delete)

    @property
    def data_bearing(self) -> bool:
        return data_bearing(self.type)

    def describe(self) -> str:
        what = "deletes" if self.op == "delete" else "replaces"
        kept = " (kept in the cloud: retain_data)" if self.retained else ""
        return f"{what} {self.type} {self.name}{kept}"


@dataclass(frozen=True)
class ChangeCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    replaced: int = 0
    unchanged: int = 0

    @classmethod
    def of(cls, changes: Mapping[str, int]) -> ChangeCounts:
        def total(ops: tuple[str, ...]) -> int:
            return sum(int(changes.get(op, 0)) for op in ops)

        return cls(total(_CREATED), total(_UPDATED), total(_DELETED), total(_REPLACED), int(changes.get("same", 0)))

    @classmethod
    def total(cls, counts: Iterable[ChangeCounts]) -> ChangeCounts:
        items = list(counts)
        return cls(
            sum(c.created for c in items),
            sum(c.updated for c in items),
            sum(c.deleted for c in items),
            sum(c.replaced for c in items),
            sum(c.unchanged for c in items),
        )

    def short(self) -> str:
        """`+2 ~1 -0 +-0`: created, updated, deleted, replaced."""
        return f"+{self.created} ~{self.updated} -{self.deleted} +-{self.replaced}"

    def long(self) -> str:
        """`+2 created, ~1 updated, -0 deleted, +-0 replaced, 12 unchanged`."""
        return (
            f"+{self.created} created, ~{self.updated} updated, -{self.deleted} deleted, "
            f"+-{self.replaced} replaced, {self.unchanged} unchanged"
        )
