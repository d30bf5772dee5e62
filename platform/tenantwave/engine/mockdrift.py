"""The mock engine's drift scenario: which simulated resources a refresh preview reports as drifted.

The file is JSON, at `PLATFORM_MOCK_DRIFT` (relative to the project) or `.platform/mock-drift.json`:

    {"production.silo.acme": {"table": ["billing_mode", "tags"], "queue": "deleted"},
     "*": {"aws:sqs/queue:Queue": ["visibility_timeout_seconds"]}}

A stack's entry (else the `*` entry) maps a resource's name or type token to the properties changed
outside Pulumi, or to "deleted" (gone from the cloud). No file: nothing drifts. A name in a stack's
own entry that the stack has no resource of is reported as a warning (`unknown`), not an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantwave.engine.drift import DriftedResource

SCENARIO_VAR = "PLATFORM_MOCK_DRIFT"
DEFAULT_SCENARIO = ".platform/mock-drift.json"
MAX_SCENARIO_BYTES = 1024 * 1024


class ScenarioError(Exception):
    """The scenario file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class DriftScenario:
    source: str
    stacks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, project_root: Path, environ: Mapping[str, str]) -> DriftScenario:
        named = environ.get(SCENARIO_VAR)
        path = project_root / (named or DEFAULT_SCENARIO)
        if not path.is_file():
            if named:
                raise ScenarioError(f"{SCENARIO_VAR}={named}: no such file")
            return cls(source="no scenario file")
        try:
            if path.stat().st_size > MAX_SCENARIO_BYTES:
                raise ScenarioError(f"{path}: larger than {MAX_SCENARIO_BYTES} bytes")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"{path}: not a readable JSON drift scenario ({exc})") from None
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise ScenarioError(f'{path}: expected {{"<stack or *>": {{"<resource>": [properties] or "deleted"}}}}')
        for stack, resources in data.items():
            for resource, found in resources.items():
                if found != "deleted" and not (isinstance(found, list) and all(isinstance(p, str) for p in found)):
                    raise ScenarioError(f'{path}: {stack}.{resource}: a list of property names, or "deleted"')
        return cls(source=str(path), stacks=data)

    def unknown(self, stack: str, resources: Sequence[tuple[str, str]]) -> list[str]:
        """The names in `stack`'s own entry that match no resource (type, name) of it (the `*` entry
        names resources of any stack, so none of its names is unknown)."""
        known = {token for pair in resources for token in pair}
        return [name for name in self.stacks.get(stack, {}) if name not in known]

    def drift_of(self, stack: str, type_token: str, name: str) -> DriftedResource | None:
        entry = self.stacks.get(stack) or self.stacks.get("*") or {}
        found = entry.get(name, entry.get(type_token))
        if found is None:
            return None
        if found == "deleted":
            return DriftedResource("delete", type_token, name)
        return DriftedResource("update", type_token, name, tuple(sorted(found)))
