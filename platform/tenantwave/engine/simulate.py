"""Run the stack program in-process under Pulumi's mocks and return what it declares.

`declared_resources(project_root, stack_config)` runs `stacks/` (the program of the project at
`project_root`) with the given stack config (`namespace:key -> value`, as
`tenantwave.planning.stackconfig.stack_config` produces it) against a recording mock monitor, and returns a
`ResourceGraph`: every resource with its type, name, URN, inputs, parent, dependencies, explicit
provider and resource options that matter for data (protect, retain_on_delete), plus the stack
outputs. Secret values are masked. The mock cloud computes ARNs and URLs in the region of the
resource's provider (an explicit `aws.Provider`'s `region`; `aws:region` or us-east-1 for a default
provider), and answers `aws.eks.getCluster` with a made-up endpoint and certificate. Nothing is
deployed and no Pulumi CLI, cloud account or network is needed.

Pulumi's runtime state is process-global, so simulations run one at a time, on one dedicated
thread (its event loop lives as long as the process; callers' threads and loops are untouched),
each in a fresh `contextvars.Context` so no state leaks from one run into the next. For speed,
Pulumi's per-resource stack-trace capture (only useful for error reporting by a real engine) is
skipped.
Warm, a stack takes a few tens of milliseconds; the first run pays for importing the providers.

Users: the `mock` engine (tenantwave.engine.mock) and offline PR previews, which diff the graphs of
two revisions (`diff_graphs`). To simulate another checkout of the program in the same process,
pass its root: the program package is re-imported from there. (The `tenantwave` package itself is
the installed one; run `python -m tenantwave.engine.simulate` in that checkout's environment for a fully
separate revision.)
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextvars
import gc
import hashlib
import importlib
import json
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

PROGRAM_PACKAGE = "tenantstack"
PROGRAM_DIR = "stacks"
PULUMI_PROJECT = "tenantwave"
SECRET_MASK = "[secret]"
MOCK_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

_LOCK = threading.Lock()
_loaded_from: Path | None = None
_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenantwave-simulate")


class SimulationError(Exception):
    """The program failed under simulation; the message is one line an operator can act on."""


@dataclass(frozen=True)
class DeclaredResource:
    urn: str
    type: str
    name: str
    custom: bool
    inputs: Mapping[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    provider: str | None = None  # URN of the explicit provider; None: a default provider (or none)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "inputs": dict(self.inputs),
            "parent": self.parent,
            "dependencies": list(self.dependencies),
            "protect": self.protect,
            "retain_on_delete": self.retain_on_delete,
            "provider": self.provider,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeclaredResource:
        return cls(
            urn=data["urn"],
            type=data["type"],
            name=data["name"],
            custom=bool(data.get("custom", True)),
            inputs=dict(data.get("inputs", {})),
            parent=data.get("parent"),
            dependencies=tuple(data.get("dependencies", ())),
            protect=bool(data.get("protect", False)),
            retain_on_delete=bool(data.get("retain_on_delete", False)),
            provider=data.get("provider"),
        )

    def fingerprint(self) -> str:
        """Changes when anything that would make Pulumi update this resource changes."""
        canonical = json.dumps(
            [self.type, self.inputs, self.parent, self.protect, self.retain_on_delete],
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ResourceGraph:
    """The resources one stack declares (in registration order) and its outputs."""

    project: str
    stack: str
    resources: tuple[DeclaredResource, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict)

    def by_urn(self) -> dict[str, DeclaredResource]:
        return {resource.urn: resource for resource in self.resources}

    def of_type(self, type_: str) -> list[DeclaredResource]:
        return [resource for resource in self.resources if resource.type == type_]

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [resource.to_json() for resource in self.resources],
            "outputs": dict(self.outputs),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResourceGraph:
        return cls(
            project=data["project"],
            stack=data["stack"],
            resources=tuple(DeclaredResource.from_json(item) for item in data["resources"]),
            outputs=dict(data.get("outputs", {})),
        )


def diff_graphs(old: ResourceGraph | None, new: ResourceGraph) -> dict[str, int]:
    """Pulumi-style change counts from `old` (None: a new stack) to `new`: create/update/delete/same."""
    before = old.by_urn() if old is not None else {}
    after = new.by_urn()
    counts = {"create": 0, "update": 0, "delete": 0, "same": 0}
    for urn, resource in after.items():
        previous = before.get(urn)
        if previous is None:
            counts["create"] += 1
        elif previous.fingerprint() == resource.fingerprint():
            counts["same"] += 1
        else:
            counts["update"] += 1
    counts["delete"] = sum(1 for urn in before if urn not in after)
    return {kind: n for kind, n in counts.items() if n}


# -- values ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-able form of a deserialized property value, secrets masked."""
    if rpc.is_rpc_secret(value):
        return SECRET_MASK
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


async def _resolve_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for name, value in outputs.items():
        output = pulumi.Output.from_input(value)
        secret = await output.is_secret()
        resolved[name] = SECRET_MASK if secret else _plain(await output.future())
    return resolved


# -- the mock provider and recording monitor -------------------------------------------------


def _physical_name(inputs: Mapping[str, Any], fallback: str) -> str:
    for key in ("name", "clusterIdentifier", "identifier"):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    return fallback


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class _Provider(pulumi_mocks.Mocks):
    """Plays the cloud: returns the attributes a real create computes (ARNs, URLs, endpoints).

    Only computed attributes are returned: the runtime resolves every other output to its input,
    as after a real create, and skipping the echo keeps a simulation fast.
    """

    def __init__(self, region: str) -> None:
        self.region = region
        # (type, name) -> inputs of registrations not yet recorded (registrations may interleave)
        self.pending_inputs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.provider_regions: dict[str, str] = {}  # "urn::id" of an explicit aws provider -> its region
        self.provider_accounts: dict[str, str] = {}  # ... -> its first allowed account

    def region_of(self, provider: str | None) -> str:
        return self.provider_regions.get(provider or "", self.region)

    def account_of(self, provider: str | None) -> str:
        return self.provider_accounts.get(provider or "", MOCK_ACCOUNT)

    def register_provider(self, reference: str, inputs: Mapping[str, Any]) -> None:
        """An explicit aws provider: the resources it manages are in its region and account."""
        if isinstance(inputs.get("region"), str):
            self.provider_regions[reference] = inputs["region"]
        accounts = inputs.get("allowedAccountIds")
        if isinstance(accounts, str):  # provider inputs that are not strings arrive as JSON text
            try:
                accounts = json.loads(accounts)
            except ValueError:
                accounts = None
        if isinstance(accounts, list) and accounts and isinstance(accounts[0], str):
            self.provider_accounts[reference] = accounts[0]

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        region, account = self.region_of(args.provider), self.account_of(args.provider)
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": account, "arn": f"arn:aws:iam::{account}:root", "id": account}, []
        if args.token == "aws:eks/getCluster:getCluster":
            name = str(args.args.get("name", "cluster"))
            return {
                "name": name,
                "id": name,
                "arn": f"arn:aws:eks:{region}:{account}:cluster/{name}",
                "endpoint": f"https://{_short_hash(name).upper()}.gr7.{region}.eks.amazonaws.com",
                "certificateAuthorities": [{"data": "bW9jayBjZXJ0aWZpY2F0ZQ=="}],
            }, []
        return {}, []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.pending_inputs.setdefault((args.typ, args.name), []).append(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-id", {}
        if args.typ.startswith("kubernetes:"):
            metadata = args.inputs.get("metadata") or {}
            name = metadata.get("name") or args.name
            namespace = metadata.get("namespace")
            return (f"{namespace}/{name}" if namespace else name), {}
        if not args.typ.startswith("aws:"):
            return f"{args.name}-id", {}
        name = _physical_name(args.inputs, args.name)
        return name, self._aws_attributes(args.typ, name, self.region_of(args.provider), self.account_of(args.provider))

    @staticmethod
    def _aws_attributes(typ: str, name: str, region: str, account: str) -> dict[str, Any]:
        service = typ.split(":")[1].split("/")[0]
        if typ == "aws:dynamodb/table:Table":
            return {"arn": f"arn:aws:dynamodb:{region}:{account}:table/{name}", "name": name}
        if typ == "aws:sqs/queue:Queue":
            return {
                "arn": f"arn:aws:sqs:{region}:{account}:{name}",
                "url": f"https://sqs.{region}.amazonaws.com/{account}/{name}",
                "name": name,
            }
        if typ == "aws:iam/role:Role":
            return {"arn": f"arn:aws:iam::{account}:role/{name}", "name": name, "uniqueId": _short_hash(name)}
        if typ == "aws:rds/cluster:Cluster":
            return {
                "arn": f"arn:aws:rds:{region}:{account}:cluster:{name}",
                "clusterResourceId": f"cluster-{_short_hash(name).upper()}",
                "endpoint": f"{name}.cluster-{_short_hash(account)}.{region}.rds.amazonaws.com",
                "readerEndpoint": f"{name}.cluster-ro-{_short_hash(account)}.{region}.rds.amazonaws.com",
            }
        return {"arn": f"arn:aws:{service}:{region}:{account}:{name}"}


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping what each registration asked for (parent, deps, options)."""

    def __init__(self, provider: _Provider) -> None:
        super().__init__(provider)
        self.provider = provider
        self.declared: list[DeclaredResource] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            inputs = self.provider.pending_inputs[(request.type, request.name)].pop(0)
            if request.type == "pulumi:providers:aws":
                self.provider.register_provider(f"{response.urn}::{response.id}", inputs)
            self.declared.append(
                DeclaredResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=bool(request.custom),
                    inputs=_plain(inputs),
                    parent=request.parent or None,
                    dependencies=tuple(sorted(set(request.dependencies))),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
                )
            )
        return response


# -- loading and running the program -----------------------------------------------------------


def _purge_program_modules() -> None:
    for name in list(sys.modules):
        if name == PROGRAM_PACKAGE or name.startswith(f"{PROGRAM_PACKAGE}."):
            del sys.modules[name]


def _imported_from() -> Path | None:
    module = sys.modules.get(PROGRAM_PACKAGE)
    location = getattr(module, "__file__", None) if module is not None else None
    return Path(location).resolve().parent.parent if location else None


def load_program(project_root: Path) -> ModuleType:
    """The `program` module of the stack program under `project_root/stacks` (imported once)."""
    global _loaded_from
    stacks_dir = (project_root / PROGRAM_DIR).resolve()
    if not (stacks_dir / PROGRAM_PACKAGE).is_dir():
        raise SimulationError(f"no stack program at {stacks_dir / PROGRAM_PACKAGE}")
    if _imported_from() != stacks_dir:
        _purge_program_modules()
        if _loaded_from is not None and str(_loaded_from) in sys.path:
            sys.path.remove(str(_loaded_from))
        if str(stacks_dir) not in sys.path:
            sys.path.insert(0, str(stacks_dir))
            _loaded_from = stacks_dir
        importlib.invalidate_caches()
    return importlib.import_module(f"{PROGRAM_PACKAGE}.program")


def _stack_name(stack_config: Mapping[str, str]) -> str:
    return stack_config.get(f"{PULUMI_PROJECT}:stack", "simulated")


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def _simulation_loop() -> asyncio.AbstractEventLoop:
    """The event loop of the simulation thread (created once)."""
    try:
        return asyncio.get_event_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        # A real pool, not an inline executor: some runtime calls made through run_in_executor
        # wait on work that needs this loop to progress, and running them inline deadlocked
        # pool stacks of more than ~60 members.
        loop.set_default_executor(
            concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="tenantwave-simulate-io")
        )
        asyncio.set_event_loop(loop)
        return loop


def _run_in_fresh_context(
    entry: Callable[[], None], stack_config: Mapping[str, str], secret_keys: Iterable[str]
) -> ResourceGraph:
    _simulation_loop()
    stack = _stack_name(stack_config)
    pulumi.runtime.set_all_config(dict(stack_config), list(secret_keys))
    provider = _Provider(stack_config.get("aws:region", DEFAULT_REGION))
    monitor = _RecordingMonitor(provider)
    pulumi.runtime.set_mocks(provider, project=PULUMI_PROJECT, stack=stack, preview=False, monitor=monitor)
    root = settings.get_root_resource()
    _sync_await(run_pulumi_func(entry))
    outputs = _sync_await(_resolve_outputs(getattr(root, "outputs", {})))
    resources = tuple(sorted(monitor.declared, key=lambda r: (r.type, r.name, r.urn)))
    return ResourceGraph(project=PULUMI_PROJECT, stack=stack, resources=resources, outputs=outputs)


def _simulate_on_this_thread(
    entry: Callable[[], None], stack_config: Mapping[str, str], secret_keys: tuple[str, ...]
) -> ResourceGraph:
    capture = pulumi_resource._get_stack_trace
    pulumi_resource._get_stack_trace = _no_stack_trace
    collecting = gc.isenabled()
    gc.disable()  # a run allocates little but often; full collections over the SDKs' objects cost more
    try:
        return contextvars.Context().run(_run_in_fresh_context, entry, stack_config, secret_keys)
    finally:
        pulumi_resource._get_stack_trace = capture
        if collecting:
            gc.enable()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def declared_resources(
    project_root: Path, stack_config: Mapping[str, str], secret_keys: Iterable[str] = ()
) -> ResourceGraph:
    """Run the program of `project_root` for one stack under mocks; the graph of what it declares.

    Raises SimulationError (one line) when the program fails, whatever the cause.
    """
    with _LOCK:
        try:
            program = load_program(project_root)
            job = _THREAD.submit(_simulate_on_this_thread, program.main, dict(stack_config), tuple(secret_keys))
            return job.result()
        except SimulationError:
            raise
        except Exception as exc:
            raise SimulationError(f"{type(exc).__name__}: {_one_line(exc)}") from exc


def simulate_batch(project_root: Path, batch: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Simulate many stacks of one project in this process (pays the pulumi imports once).

    `batch`: stack name -> {"config": {namespace:key -> value}, "secret_keys": [...]}; returns stack
    name -> {"graph": <ResourceGraph JSON>} or {"error": "<one line>"} (one failure stops nothing).
    """
    results: dict[str, dict[str, Any]] = {}
    for name, item in batch.items():
        try:
            graph = declared_resources(project_root, item["config"], item.get("secret_keys", ()))
        except SimulationError as exc:
            results[name] = {"error": str(exc)}
        else:
            results[name] = {"graph": graph.to_json()}
    return results


def main(argv: list[str] | None = None) -> int:
    """`python -m tenantwave.engine.simulate --root DIR (--config FILE | --batch FILE)`: print JSON.

    --config: one stack config; prints its graph. --batch: a JSON object stack name ->
    {"config": {...}, "secret_keys": [...]}; prints stack name -> {"graph": ...} or {"error": ...}.
    """
    parser = argparse.ArgumentParser(prog="python -m tenantwave.engine.simulate", description=main.__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root (holds stacks/)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", type=Path, help="JSON object: namespace:key -> value")
    source.add_argument("--batch", type=Path, help="JSON object: stack -> {config, secret_keys}")
    args = parser.parse_args(argv)
    if args.batch is not None:
        batch = json.loads(args.batch.read_text(encoding="utf-8"))
        json.dump(simulate_batch(args.root, batch), sys.stdout, sort_keys=True, separators=(",", ":"))
        print()
        return 0
    config = json.loads(args.config.read_text(encoding="utf-8"))
    try:
        graph = declared_resources(args.root, config)
    except SimulationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    json.dump(graph.to_json(), sys.stdout, indent=2, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
