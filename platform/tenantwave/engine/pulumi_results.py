"""What a Pulumi operation's outcome becomes in a `Result`: change counts, outputs, one-line errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.automation.errors import CommandError, ConcurrentUpdateError, StackNotFoundError

SECRET = "[secret]"
_SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")  # resource.SecretSig
_GONE = frozenset({"delete", "discard", "delete-replaced", "remove-pending-replace"})
_GENERIC_ERRORS = frozenset({"update failed", "preview failed", "destroy failed", "refresh failed"})


def event_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Stack outputs as an engine event carries them, each secret (at any depth) as "[secret]".

    The CLI serializes a secret in an event as `{<SecretSig key>: <SecretSig>, "ciphertext":
    "[secret]"}` (its blinding crypter: the plaintext is never in the event stream).
    """
    return {key: _unwrap(value) for key, value in outputs.items()}


def _unwrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        if value.get(_SECRET_SIG[0]) == _SECRET_SIG[1]:
            return SECRET
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    return value


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


def failure_error(
    operation: str, stack: str, fqn: str, exc: CommandError, text: str, diagnostics: Sequence[str], backend: str
) -> str:
    """What a failed operation's Result says: a locked stack, a missing stack or a wrong passphrase
    in plain words with what to do, else the first specific error (`text` is the redacted CLI output,
    `backend` the backend's URL as it may be shown)."""
    if isinstance(exc, ConcurrentUpdateError):
        return (
            f"stack {stack} is locked by another update: wait for it to finish; if that update died, "
            f"release the lock with `pulumi cancel --stack {fqn}`"
        )
    if isinstance(exc, StackNotFoundError):
        return f"stack {fqn} was not found in the backend {backend}"
    if "passphrase must be set" in text or "incorrect passphrase" in text:
        return (
            "the stack's secrets passphrase is missing or wrong: set PULUMI_CONFIG_PASSPHRASE "
            "(or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase the stack was created with"
        )
    return summarise(text, diagnostics, f"pulumi {operation} failed")
