"""What a Pulumi operation's outcome becomes in a `Result`: change counts, outputs, one-line errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_GONE = frozenset({"delete", "discard", "delete-replaced", "remove-pending-replace"})
_GENERIC_ERRORS = frozenset({"update failed", "preview failed", "destroy failed", "refresh failed"})


def masked(outputs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: "[secret]" if getattr(out, "secret", False) else getattr(out, "value", out)
        for key, out in outputs.items()
    }


def changes_of(raw: Mapping[Any, int] | None) -> dict[str, int]:
    """Pulumi's OpMap (keys are OpType, a str Enum, or plain strings from JSON) as {"create": 3, ...}."""
    return {str(getattr(op, "value", op)): int(count) for op, count in (raw or {}).items()}


def resource_count(changes: Mapping[str, int]) -> int:
    return sum(count for op, count in changes.items() if op not in _GONE)


def format_changes(changes: Mapping[str, int]) -> str:
    return ", ".join(f"{op} {count}" for op, count in sorted(changes.items())) or "no changes"


def summarise(text: str, diagnostics: Sequence[str], fallback: str) -> str:
    """One or two lines from a failed command: the first error diagnostic, else the CLI's error lines."""
    candidates = [d for d in diagnostics if d]
    if not candidates:
        for raw in text.splitlines():
            line = raw.strip()
            for prefix in ("stdout:", "stderr:"):  # CommandError's text: " stdout: <first line>" ...
                if line.startswith(prefix):
                    line = line[len(prefix) :].strip()
            if line.lower().startswith("error:"):
                message = line[len("error:") :].strip()
                if message and message not in candidates:
                    candidates.append(message)
    specific = [c for c in candidates if c.lower().rstrip(".") not in _GENERIC_ERRORS]
    chosen = (specific or candidates or [fallback])[0]
    if len(chosen) > 300:
        chosen = chosen[:297] + "..."
    extra = len(specific) - 1
    return chosen + (f"\n(and {extra} more error(s): see the log)" if extra > 0 else "")
