"""The one redactor: every secret value the process knows, masked in everything that leaves it.

Every output channel goes through `redact` (text) or `redact_data` (JSON-like data): stdout and
stderr (the CLI wraps both streams), each stack's log, the ledger's free-text columns (errors,
details, comments), every `--json` document, the preview's Markdown and JSON, crash files. A
secret value is replaced by `REDACTED` wherever it appears, also in its JSON-escaped form (a
document printed with `json.dumps`) and, for a multi-line value, line by line.

Where the values come from:

- the environment (`adopt_environment`, called by the CLI when a command starts): the variables
  in `SECRET_VARIABLES` (Pulumi passphrase and access token, cloud keys and session tokens) with
  a value of at least `MIN_KNOWN` characters; any other variable whose name reads like a
  credential (`credential_name`: `*_TOKEN`, `*_SECRET*`, `*PASSWORD*`, `*_API_KEY`, ...) with a
  value of at least `MIN_GUESSED` characters; the password of any URL in the environment
  (`PLATFORM_LEDGER_URL=postgresql://user:password@host/db`);
- stack secrets: a `StackJob` registers its secrets when it is made (`register`);
- credentials a check or hook is given through `pass_env` (`register`);
- an engine's own values (`Redactor(extra)`).

Shorter values are never masked: they would mask ordinary words. The registry only grows during
a process, except the environment's share, which `adopt_environment` replaces.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast
from urllib.parse import unquote

REDACTED = "[redacted]"
MIN_KNOWN = 4  # characters of a value known to be secret (a named variable, a stack secret)
MIN_GUESSED = 8  # characters of a value whose variable's name only reads like a credential
MIN_LINE = 16  # characters of one line of a multi-line secret masked on its own

SECRET_VARIABLES = frozenset(
    {
        "PULUMI_CONFIG_PASSPHRASE",
        "PULUMI_ACCESS_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "ARM_CLIENT_SECRET",
        "AZURE_CLIENT_SECRET",
        "GOOGLE_CREDENTIALS",
        "GOOGLE_OAUTH_ACCESS_TOKEN",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
    }
)
_CREDENTIAL_WORDS = frozenset(
    {"TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "CREDENTIALS", "APIKEY"}
)
_KEY_KINDS = frozenset({"ACCESS", "API", "PRIVATE", "CLIENT", "SIGNING", "ENCRYPTION", "MASTER", "SERVICE", "AUTH"})
# a name ending in one of these holds a reference to a secret or a fact about it, not the secret
_NOT_THE_VALUE = frozenset(
    {"FILE", "PATH", "DIR", "ID", "TYPE", "NAME", "URL", "ARN", "REGION", "PROFILE", "MODE", "HOST", "PORT",
     "USER", "USERNAME", "EXPIRATION", "EXPIRES", "TTL", "PROVIDER", "COMMAND", "HELPER", "ENABLED"}
)
_HARMLESS = frozenset({"true", "false", "none", "null", "undefined"})
T = TypeVar("T")
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*:([^@/\s]+)@")


def credential_name(name: str) -> bool:
    """True when an environment variable's name reads like it holds a credential."""
    parts = [part for part in name.upper().split("_") if part]
    if not parts or parts[-1] in _NOT_THE_VALUE:
        return False
    if any(part in _CREDENTIAL_WORDS for part in parts):
        return True
    return any(part == "KEY" and index > 0 and parts[index - 1] in _KEY_KINDS for index, part in enumerate(parts))


def environment_secrets(environ: Mapping[str, str]) -> set[str]:
    """The secret values of an environment (see the module's docstring for the rules)."""
    found: set[str] = set()
    for name, value in environ.items():
        if not value:
            continue
        known = name.upper() in SECRET_VARIABLES
        if known or (credential_name(name) and len(value) >= MIN_GUESSED):
            found.add(value)
        if "://" in value:
            for password in _URL_PASSWORD.findall(value):
                found.update({password, unquote(password)})
    return found


def _forms(value: str) -> set[str]:
    """The ways a secret value can show up in our output: as is, JSON-escaped, line by line."""
    if len(value) < MIN_KNOWN or value.strip().lower() in _HARMLESS:
        return set()
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    if "\n" in value:
        forms.update(line.strip() for line in value.splitlines() if len(line.strip()) >= MIN_LINE)
    return {form for form in forms if len(form) >= MIN_KNOWN}


class _Masker:
    """A fixed set of values and the one-pass pattern that masks them (longest first)."""

    def __init__(self, values: Iterable[str]) -> None:
        forms: set[str] = set()
        for value in values:
            forms |= _forms(value)
        self.values = tuple(sorted(forms, key=lambda form: (-len(form), form)))
        self._pattern = re.compile("|".join(map(re.escape, self.values))) if self.values else None

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text or not any(value in text for value in self.values):
            return text
        return self._pattern.sub(REDACTED, text)


class _Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._environment: frozenset[str] = frozenset()
        self._registered: set[str] = set()
        self.masker = _Masker(())

    def adopt(self, values: Iterable[str]) -> None:
        with self._lock:
            self._environment = frozenset(values)
            self._rebuild()

    def add(self, values: Iterable[str | None]) -> None:
        new = {value for value in values if value and len(value) >= MIN_KNOWN} - self._registered
        if not new:
            return
        with self._lock:
            self._registered |= new
            self._rebuild()

    def _rebuild(self) -> None:
        self.masker = _Masker(self._environment | self._registered)  # swapped at once: readers never lock


_REGISTRY = _Registry()


def adopt_environment(environ: Mapping[str, str]) -> None:
    """Take the secret values of `environ` (replacing those of the environment adopted before)."""
    _REGISTRY.adopt(environment_secrets(environ))


def register(values: Iterable[str | None]) -> None:
    """Mask these values from now on, in every channel (stack secrets, credentials given to a check)."""
    _REGISTRY.add(values)


def redact(text: str) -> str:
    """`text` with every known secret value replaced by `REDACTED`."""
    return _REGISTRY.masker(text)


def redact_optional(text: str | None) -> str | None:
    return None if text is None else _REGISTRY.masker(text)


def redact_data(value: T) -> T:
    """JSON-like data (dicts, lists, tuples, strings, numbers) with every string redacted: a copy
    of the same shape (mappings become dicts); the value itself when nothing is registered."""
    masker = _REGISTRY.masker
    if not masker.values:
        return value
    return cast(T, _walk(value, masker))


def _walk(value: Any, masker: _Masker) -> Any:
    if isinstance(value, str):
        return masker(value)
    if isinstance(value, Mapping):
        return {_walk(key, masker): _walk(item, masker) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, masker) for item in value]
    if isinstance(value, tuple):
        return tuple(_walk(item, masker) for item in value)
    return value


class Redactor:
    """The process-wide redactor plus values only its owner knows (an engine's context)."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._extra = _Masker(extra)

    def __call__(self, text: str) -> str:
        return redact(self._extra(text))
