"""A fake `pulumi` CLI for the engine's boundary tests (run as a script through a `pulumi` shim on PATH).

It answers the commands the Automation API issues (`pulumi/automation/_local_workspace.py`,
`_stack.py`) with the output those modules parse, keeps stacks, config, outputs and history in a
state directory, writes engine events to `--event-log` (a file for CLIs up to 3.205, a gRPC stream
`tcp://host:port` after, as `Stack._setup_event_log` expects) and records every invocation as one
JSON line: argv, cwd, a few environment variables (whether PULUMI_CONFIG_PASSPHRASE is present,
never its value), whether a value came on stdin (its length only), signals received, times, and
`writes`: the shared files it wrote (`current-stack`, the workspace's one "current stack" file that
`stack select` and `stack init` without `--no-select` rewrite, pulumi/pulumi#8186).

What it models of the real CLI (pkg/cmd/pulumi in pulumi/pulumi):
- `stack ls --json` lists the current project's stacks; a name is shortened to the stack's own
  name when its project is the current one (DIY backends) or its organization is the default one
  (Pulumi Cloud), else `org/project/stack` (`diyBackendReference.String`, `cloudBackendReference.String`).
- `stack init NAME --no-select` (3.45 and later) creates without selecting; older CLIs reject the flag.
- `up` ends with the root stack's `resOutputsEvent` carrying the stack outputs in `metadata.new.outputs`,
  secrets blinded to `{"4dabf...": "1b470...", "ciphertext": "[secret]"}` (`ConvertEngineEvent`
  with showSecrets=false), then the `summaryEvent` with the resource changes.

Environment:
    FAKE_PULUMI_HOME        directory with calls.jsonl, state/, scenario.json (required)
    FAKE_PULUMI_VERSION     what `pulumi version` says (default 3.150.0: file event log)
    FAKE_PULUMI_LOGIN       set: `whoami` succeeds against the Pulumi Cloud (user alice, org acme-corp)
    FAKE_PULUMI_UP_SECONDS  how long an `up` takes, spread over its resources (default 0)

scenario.json: {"<operation>": {"<stack short name or *>": "<behaviour>"}} with behaviours
    fail      a resource fails (diagnostic + resOpFailed events, Diagnostics on stdout), exit 255
    locked    the stack is locked by another update (the DIY backend's message), exit 255
    hang      starts, then waits for SIGINT; the first SIGINT cancels gracefully
    stubborn  starts, ignores the first SIGINT, stops at the second
    slow      each resource takes 0.2 s
    eventless succeeds, but writes no engine event (only the final cancelEvent)
    leak      prints PULUMI_CONFIG_PASSPHRASE's value on stdout (the engine must redact its log), the
              access token and AWS keys when set, and the stack's secret config values
    leak-fail the same, then fails with all of them in its error message, exit 255
and "plugin-install": "fail" makes `plugin install` fail, "stack-ls": "fail" makes `stack ls` fail.
`refresh --preview-only` (Stack.preview_refresh) is the operation "refresh-preview" (behaviours: fail, the
provider cannot read a resource, as an unreachable account does; locked), and reads "drift":
{"<stack short name or *>": {"<resource name>": ["<property>", ...] or "deleted"}}: those resources differ
from the state. Its events are the engine's (pkg/engine/update.go, events.go): each resource's
resourcePreEvent has op "refresh", its resOutputsEvent the step's result op (`RefreshStep.ResultOp`: same,
update, delete) with `diffs`, `detailedDiff` ({"<path>": {"diffKind": "update", "inputDiff": false}}) and the
old and new state, both `planning: true`; the summaryEvent counts those result ops.
"barrier": {"<command words, e.g. stack init>": N} makes each such call wait (up to 20 s) until N of
them have started, and record "barrier": "met" or "timeout": proof that N ran at the same time
("stack ls|plugin ls": calls of either command count together).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HOME = Path(os.environ["FAKE_PULUMI_HOME"])
STATE = HOME / "state"
VERSION = os.environ.get("FAKE_PULUMI_VERSION", "3.150.0")
PASSPHRASE_ERROR = (
    "error: getting secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
    "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
)
RECORDED_ENV = ("PULUMI_BACKEND_URL", "PULUMI_AUTOMATION_API", "PULUMI_HOME", "PULUMI_SKIP_UPDATE_CHECK")
UP_SECONDS = float(os.environ.get("FAKE_PULUMI_UP_SECONDS", "0") or 0)
DEFAULT_ORG = "acme-corp"  # the logged-in user's default organization (`org get-default`)
NO_SELECT_SINCE = (3, 45, 0)  # `stack init --no-select` appeared in pulumi v3.45.0
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
BARRIER_TIMEOUT = 20.0
RESOURCES = (
    ("pulumi:pulumi:Stack", "tenantwave-{stack}"),
    ("aws:dynamodb/table:Table", "data"),
    ("kubernetes:apps/v1:Deployment", "app"),
)
DATETIME = "%Y-%m-%dT%H:%M:%S.%fZ"

signals_seen: list[str] = []
record: dict[str, Any] = {}


def now() -> str:
    return datetime.now(UTC).strftime(DATETIME)


def write_record() -> None:
    record["end"] = time.time()
    record["signals"] = signals_seen
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    fd = os.open(HOME / "calls.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def finish(code: int, stderr: str = "") -> None:
    if stderr:
        print(stderr, file=sys.stderr, flush=True)
    sys.stdout.flush()
    write_record()
    os._exit(code)


def scenario(operation: str, stack: str) -> str | None:
    path = HOME / "scenario.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    entry = data.get(operation)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        short = stack.rsplit("/", 1)[-1]
        return entry.get(short) or entry.get(stack) or entry.get("*")
    return None


def flag(args: list[str], name: str) -> str | None:
    value = None
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def stack_file(stack: str) -> Path:
    return STATE / (stack.replace("/", "__") + ".json")


def load(stack: str) -> dict[str, Any]:
    return json.loads(stack_file(stack).read_text())


def save(stack: str, data: dict[str, Any]) -> None:
    path = stack_file(stack)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    tmp.replace(path)


def require_stack(stack: str | None) -> dict[str, Any]:
    if stack is None:
        finish(255, "error: no stack selected; please use `pulumi stack select` to choose one")
    if not stack_file(stack).exists():
        finish(255, f"error: no stack named '{stack}' found")
    return load(stack)


def require_passphrase() -> None:
    backend = os.environ.get("PULUMI_BACKEND_URL", "")
    if backend.startswith("file://") and not any(
        v in os.environ for v in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
    ):
        finish(255, PASSPHRASE_ERROR)


def version_tuple() -> tuple[int, ...]:
    return tuple(int(part) for part in VERSION.split("-")[0].split(".")[:3])


def select(stack: str) -> None:
    """Make `stack` the workspace's current stack: the one file every select/init rewrites."""
    (HOME / "current-stack").write_text(stack)
    record["writes"].append("current-stack")


def current_project() -> str | None:
    path = Path(os.getcwd()) / "Pulumi.yaml"
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip()
    return None


def display_name(full: str, project: str | None) -> str:
    """How the real CLI prints a stack reference: short when it is unambiguous."""
    owner, stack_project, name = full.split("/")
    if stack_project != project:
        return full
    if os.environ.get("FAKE_PULUMI_LOGIN") and owner != DEFAULT_ORG:
        return full
    return name


def list_stacks() -> None:
    if scenario("stack-ls", "*") == "fail":
        finish(255, "error: could not list stacks: read .pulumi/stacks: input/output error")
    project = current_project()
    current = (HOME / "current-stack").read_text() if (HOME / "current-stack").exists() else None
    entries = []
    for path in sorted(STATE.glob("*.json")):
        if path.name == "plugins.json":
            continue
        full = path.stem.replace("__", "/")
        if full.split("/")[1] != project:  # `stack ls` lists the current project's stacks only
            continue
        data = json.loads(path.read_text())
        entry: dict[str, Any] = {"name": display_name(full, project), "current": full == current,
                                 "updateInProgress": False}
        if data.get("history"):
            entry["lastUpdate"] = data["history"][0]["endTime"]
            entry["resourceCount"] = len(data.get("resources", []))
        entries.append(entry)
    print(json.dumps(entries, indent=4))
    finish(0)


def barrier(words: list[str]) -> None:
    """Wait until `parties` calls of this command have started (see the module's docstring)."""
    path = HOME / "scenario.json"
    if not path.exists():
        return
    wanted = json.loads(path.read_text()).get("barrier", {})
    command = next((key for key in wanted if any(words[: len(c.split())] == c.split() for c in key.split("|"))), None)
    if command is None:
        return
    arrivals = HOME / "barrier" / command.replace(" ", "-").replace("|", "+")
    arrivals.mkdir(parents=True, exist_ok=True)
    (arrivals / str(os.getpid())).touch()
    deadline = time.monotonic() + BARRIER_TIMEOUT
    while len(list(arrivals.iterdir())) < int(wanted[command]):
        if time.monotonic() > deadline:
            record["barrier"] = "timeout"
            return
        time.sleep(0.01)
    record["barrier"] = "met"


# -- events ---------------------------------------------------------------------------------------


class Events:
    """Engine events to a file (CLI <= 3.205) or over gRPC (`tcp://`), one JSON object each."""

    def __init__(self, target: str | None) -> None:
        self.sequence = 0
        self.target = target
        self.silent = False
        self._file = None
        self._queue: Any = None
        self._thread: threading.Thread | None = None
        if target is None:
            return
        if target.startswith("tcp://"):
            self._start_grpc(target[len("tcp://") :])
        else:
            self._file = open(target, "a", encoding="utf-8")  # noqa: SIM115

    def _start_grpc(self, address: str) -> None:
        import queue

        import grpc
        from pulumi.runtime.proto import events_pb2, events_pb2_grpc

        self._queue = queue.Queue()
        channel = grpc.insecure_channel(address)
        stub = events_pb2_grpc.EventsStub(channel)

        def requests() -> Any:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                yield events_pb2.EventRequest(event=item)

        self._thread = threading.Thread(target=lambda: stub.StreamEvents(requests()), daemon=True)
        self._thread.start()

    def emit(self, **payload: Any) -> None:
        if self.silent and "cancelEvent" not in payload:
            return
        event = {"sequence": self.sequence, "timestamp": int(time.time()), **payload}
        self.sequence += 1
        line = json.dumps(event)
        if self._file is not None:
            self._file.write(line + "\n")
            self._file.flush()
        elif self._queue is not None:
            self._queue.put(line)

    def close(self) -> None:
        if self.target is None:
            return
        self.emit(cancelEvent={})
        if self._file is not None:
            self._file.close()
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join(5)


def metadata(op: str, stack: str, kind: str, name: str, outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    short = stack.rsplit("/", 1)[-1]
    urn = f"urn:pulumi:{short}::tenantwave::{kind}::{name.format(stack=short)}"
    meta: dict[str, Any] = {"op": op, "urn": urn, "type": kind, "provider": ""}
    if outputs is not None:  # the resource's state after the step, as the engine reports it
        root = f"urn:pulumi:{short}::tenantwave::pulumi:pulumi:Stack::tenantwave-{short}"
        parent = "" if kind == "pulumi:pulumi:Stack" else root
        meta["new"] = {"type": kind, "urn": urn, "id": "", "parent": parent, "provider": "", "outputs": outputs}
    return meta


def stack_outputs(short: str) -> tuple[dict[str, Any], list[str]]:
    """The program's exports: one plain, one secret."""
    return {"endpoint": f"https://{short}.example.com", "db_password": "s3cr3t-out"}, ["db_password"]


def blinded(outputs: dict[str, Any], secret: list[str]) -> dict[str, Any]:
    return {k: ({**SECRET_SIG, "ciphertext": "[secret]"} if k in secret else v) for k, v in outputs.items()}


# -- operations -----------------------------------------------------------------------------------


class Cancelled(Exception):
    pass


def operate(operation: str, args: list[str]) -> None:
    stack = flag(args, "--stack")
    data = require_stack(stack)
    assert stack is not None
    require_passphrase()
    short = stack.rsplit("/", 1)[-1]
    behaviour = scenario(operation, stack)
    if behaviour == "locked":
        finish(
            255,
            "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
            "or delete the lock file with `pulumi cancel`.\n"
            f"  {os.environ.get('PULUMI_BACKEND_URL', '')}/.pulumi/locks/organization/tenantwave/{short}/"
            "2f1c6a0e.json: created by ci@runner-7 (pid 4242) at 2025-06-02T10:04:11Z",
        )
    events = Events(flag(args, "--event-log"))
    events.silent = behaviour == "eventless"
    title = {"up": "Updating", "preview": "Previewing update", "destroy": "Destroying", "refresh": "Refreshing"}
    print(f"{title[operation]} ({short})", flush=True)
    if behaviour in ("leak", "leak-fail"):  # a program that prints its environment: the engine must redact the log
        print(f"debug: PULUMI_CONFIG_PASSPHRASE={os.environ.get('PULUMI_CONFIG_PASSPHRASE')}", flush=True)
        for name in ("PULUMI_ACCESS_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            if os.environ.get(name):
                print(f"debug: {name}={os.environ[name]}", flush=True)
        for key, value in data["config"].items():  # and its secret config, in plain text
            if value["secret"]:
                print(f"debug: {key}={value['value']}", flush=True)
    if behaviour == "leak-fail":
        secrets = [v["value"] for v in data["config"].values() if v["secret"]]
        finish(255, f"error: authentication failed: token {os.environ.get('PULUMI_ACCESS_TOKEN')}, "
                    f"key {os.environ.get('AWS_SECRET_ACCESS_KEY')}, secret config {secrets}")
    print("", flush=True)
    config = {k: ("[secret]" if v["secret"] else v["value"]) for k, v in data["config"].items()}
    events.emit(preludeEvent={"config": config})

    state = {"stage": "running"}

    def on_sigint(signum: int, frame: Any) -> None:
        signals_seen.append("SIGINT")
        if len(signals_seen) == 1:
            print("^C received; cancelling. If you would like to terminate immediately, press ^C again.", flush=True)
            if behaviour != "stubborn":
                state["stage"] = "cancelling"
        else:
            print("^C received; terminating", flush=True)
            state["stage"] = "terminating"

    signal.signal(signal.SIGINT, on_sigint)

    existing = set(data.get("resources", []))
    changes: dict[str, int] = {}
    failed = False
    try:
        for index, (kind, name) in enumerate(RESOURCES):
            if operation == "destroy":
                op = "delete"
            elif operation == "refresh":
                op = "refresh" if existing else "same"
            else:
                op = "same" if kind in existing else "create"
            meta = metadata(op, stack, kind, name)
            events.emit(resourcePreEvent={"metadata": meta, "planning": operation == "preview"})
            verb = {"create": "creating", "same": "", "delete": "deleting", "refresh": "refreshing"}[op]
            label = name.format(stack=short)
            if verb:
                print(f" {'+' if op == 'create' else '-' if op == 'delete' else '~'}  {kind} {label} {verb} (0s)")
            if behaviour in ("hang", "stubborn") and index == 1:
                while state["stage"] == "running":
                    time.sleep(0.02)
            if behaviour == "slow":
                time.sleep(0.2)
            if operation == "up" and UP_SECONDS:
                time.sleep(UP_SECONDS / len(RESOURCES))
            if state["stage"] != "running":
                raise Cancelled
            if behaviour == "fail" and kind.startswith("aws:dynamodb"):
                message = (
                    f"creating DynamoDB Table ({short}-data): operation error DynamoDB: CreateTable, https response "
                    "error StatusCode: 400, RequestID: 8J1V, ResourceInUseException: Table already exists: "
                    f"{short}-data"
                )
                print(f" +  {kind} {label} creating (1s) error: {message}")
                print(f" +  {kind} {label} **creating failed** error: {message}")
                events.emit(diagnosticEvent={"urn": meta["urn"], "message": f"{message}\n", "color": "never",
                                             "severity": "error"})
                events.emit(resOpFailedEvent={"metadata": meta, "status": 1, "steps": 0})
                failed = True
                changes["create"] = changes.get("create", 0)
                continue
            state_outputs: dict[str, Any] = {} if kind == "pulumi:pulumi:Stack" else {"name": label}
            events.emit(resOutputsEvent={"metadata": metadata(op, stack, kind, name, state_outputs),
                                         "planning": operation == "preview"})
            done = {"create": "created", "same": "", "delete": "deleted", "refresh": "refreshed"}[op]
            if done:
                print(f" {'+' if op == 'create' else '-' if op == 'delete' else '~'}  {kind} {label} {done} (1s)")
            changes[op] = changes.get(op, 0) + 1
    except Cancelled:
        events.emit(diagnosticEvent={"message": "update canceled\n", "color": "never", "severity": "error"})
        events.emit(summaryEvent={"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": changes,
                                  "PolicyPacks": {}})
        events.close()
        history(stack, data, operation, "failed", changes)
        finish(255, "error: update canceled")

    if failed:
        print("Diagnostics:")
        print(f"  aws:dynamodb:Table ({short}-data):")
        print("    error: creating DynamoDB Table: ResourceInUseException: Table already exists")
        print("")
    if operation == "up" and not failed:
        outputs, secret = stack_outputs(short)
        # the program registers the stack's outputs last: the root stack's final resOutputsEvent
        root = metadata("same", stack, "pulumi:pulumi:Stack", RESOURCES[0][1], blinded(outputs, secret))
        events.emit(resOutputsEvent={"metadata": root, "planning": False})
        data["resources"] = [kind for kind, _ in RESOURCES]
        data["outputs"] = outputs
        data["secret_outputs"] = secret
        print("Outputs:")
        print(f'    endpoint   : "https://{short}.example.com"')
        print("    db_password: [secret]")
        print("")
    if operation == "destroy" and not failed:
        data["resources"] = []
        data["outputs"] = {}
    print("Resources:")
    for op, count in sorted(changes.items()):
        print(f"    {count} {op}")
    print("")
    print("Duration: 1s")
    events.emit(summaryEvent={"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": changes,
                              "PolicyPacks": {}})
    events.close()
    if operation != "preview":
        history(stack, data, operation, "failed" if failed else "succeeded", changes)
    else:
        save(stack, data)
    if failed:
        finish(255, f"error: {'update' if operation == 'up' else operation} failed")
    finish(0)


def drift_of(stack: str) -> dict[str, Any]:
    path = HOME / "scenario.json"
    entry = json.loads(path.read_text()).get("drift", {}) if path.exists() else {}
    short = stack.rsplit("/", 1)[-1]
    found = entry.get(short) or entry.get(stack) or entry.get("*") or {}
    return dict(found)


def preview_refresh(args: list[str]) -> None:
    """`pulumi refresh --preview-only`: read every resource of the state, report what differs; change nothing."""
    stack = flag(args, "--stack")
    data = require_stack(stack)
    assert stack is not None
    require_passphrase()
    short = stack.rsplit("/", 1)[-1]
    behaviour = scenario("refresh-preview", stack)
    if behaviour == "locked":
        finish(255, "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
                    "or delete the lock file with `pulumi cancel`.")
    events = Events(flag(args, "--event-log"))
    print(f"Previewing refresh ({short}):", flush=True)
    print("", flush=True)
    config = {k: ("[secret]" if v["secret"] else v["value"]) for k, v in data["config"].items()}
    events.emit(preludeEvent={"config": config})
    drift = drift_of(stack)
    changes: dict[str, int] = {}
    print(f"     {'Type':<34} {'Name':<24} {'Plan':<10} Info")
    for kind, name in RESOURCES:
        if kind not in data.get("resources", []):
            continue
        label = name.format(stack=short)
        urn = metadata("refresh", stack, kind, name)["urn"]
        state = {"type": kind, "urn": urn, "id": f"{label}-id", "parent": "", "provider": "", "custom": True,
                 "inputs": {"name": label}, "outputs": {"name": label}}
        events.emit(resourcePreEvent={"metadata": {**metadata("refresh", stack, kind, name), "old": state,
                                                   "new": state, "detailedDiff": None}, "planning": True})
        if behaviour == "fail" and kind.startswith("aws:dynamodb"):
            message = (f"refreshing {urn}: operation error DynamoDB: DescribeTable, https response error "
                       "StatusCode: 403, RequestID: Q2F1, api error AccessDeniedException: User: "
                       "arn:aws:sts::123456789012:assumed-role/ci/drift is not authorized to perform: "
                       "dynamodb:DescribeTable")
            print(f" ~  {kind} {label} refreshing error: {message}")
            events.emit(diagnosticEvent={"urn": urn, "message": f"{message}\n", "color": "never",
                                         "severity": "error"})
            events.emit(diagnosticEvent={"urn": "", "message": "preview failed\n", "color": "never",
                                         "severity": "error"})
            events.emit(summaryEvent={"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": changes,
                                      "PolicyPacks": {}})
            events.close()
            print("Resources:")
            finish(255, "error: preview failed")
        found = drift.get(label)
        meta = metadata("refresh", stack, kind, name)
        if found == "deleted":
            op, new, diffs, detailed = "delete", None, [], {}
            print(f" -   {kind:<34} {label:<24} {'delete':<10}")
        elif found:
            op = "update"
            new = {**state, "outputs": {**state["outputs"], **{prop: "changed-outside-pulumi" for prop in found}}}
            diffs = sorted(found)
            detailed = {prop: {"diffKind": "update", "inputDiff": False} for prop in diffs}
            print(f" ~   {kind:<34} {label:<24} {'update':<10} [diff: ~{','.join(diffs)}]")
        else:
            op, new, diffs, detailed = "same", state, [], {}
            print(f"     {kind:<34} {label:<24}")
        meta.update(op=op, old=state, new=new, detailedDiff=detailed)
        if diffs:
            meta["diffs"] = diffs
        events.emit(resOutputsEvent={"metadata": meta, "planning": True})
        changes[op] = changes.get(op, 0) + 1
    print("")
    print("Resources:")
    for op, words in (("update", "~ {} to update"), ("delete", "- {} to delete"), ("same", "{} unchanged")):
        if changes.get(op):
            print("    " + words.format(changes[op]))
    print("")
    events.emit(summaryEvent={"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": changes,
                              "PolicyPacks": {}})
    events.close()
    finish(0)


def history(stack: str, data: dict[str, Any], operation: str, result: str, changes: dict[str, int]) -> None:
    kind = {"up": "update", "destroy": "destroy", "refresh": "refresh"}.get(operation, operation)
    data.setdefault("history", []).insert(
        0,
        {
            "version": len(data.get("history", [])) + 1,
            "kind": kind,
            "startTime": now(),
            "endTime": now(),
            "message": "",
            "environment": {"exec.kind": "auto.local"},
            "config": {k: {"value": v["value"], "secret": v["secret"]} for k, v in data["config"].items()},
            "result": result,
            "resourceChanges": changes,
        },
    )
    save(stack, data)


def main(argv: list[str]) -> None:
    record.update(
        argv=argv,
        cwd=os.getcwd(),
        env={k: os.environ.get(k) for k in RECORDED_ENV},
        passphrase=any(v in os.environ for v in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")),
        own_process_group=os.getpgrp() == os.getpid(),
        start=time.time(),
        pid=os.getpid(),
        stdin=None,
        writes=[],
    )
    STATE.mkdir(parents=True, exist_ok=True)
    args = [a for a in argv if a != "--non-interactive"]
    words = [a for a in args if not a.startswith("-")]
    stack = flag(args, "--stack")

    if args == ["version"]:
        print(f"v{VERSION}")
        finish(0)
    if words[:1] == ["whoami"]:
        if os.environ.get("FAKE_PULUMI_LOGIN"):
            print(json.dumps({"user": "alice", "organizations": ["alice", "acme-corp"],
                              "url": "https://app.pulumi.com/alice"}))
            finish(0)
        finish(255, "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions")
    if words[:2] == ["org", "get-default"]:
        print("acme-corp")
        finish(0)
    barrier(words)
    if words[:2] == ["stack", "select"]:
        require_stack(stack)
        select(str(stack))
        finish(0)
    if words[:2] == ["stack", "ls"]:
        list_stacks()
    if words[:2] == ["stack", "init"]:
        if "--no-select" in args and version_tuple() < NO_SELECT_SINCE:
            finish(255, "error: unknown flag: --no-select")
        name = words[2]
        if stack_file(name).exists():
            finish(255, f"error: stack '{name}' already exists")
        require_passphrase()
        save(name, {"config": {}, "resources": [], "outputs": {}, "history": [],
                    "secrets_provider": flag(args, "--secrets-provider") or "passphrase"})
        if "--no-select" not in args:
            select(name)
        print(f"Created stack '{name}'")
        finish(0)
    if words[:2] == ["config", "set-all"]:
        data = require_stack(stack)
        assert stack is not None
        secret = False
        for arg in args[2:]:
            if arg in ("--plaintext", "--secret"):
                secret = arg == "--secret"
            elif "=" in arg and not arg.startswith("--"):
                key, value = arg.split("=", 1)
                data["config"][key] = {"value": value, "secret": secret}
        save(stack, data)
        finish(0)
    if words[:2] == ["config", "set"]:
        data = require_stack(stack)
        assert stack is not None
        key = words[2]
        secret = "--secret" in args
        if "--" in args:
            value = args[args.index("--") + 1]
        else:
            value = sys.stdin.read().rstrip("\n")
            record["stdin"] = len(value)
        if secret:
            require_passphrase()
        data["config"][key] = {"value": value, "secret": secret}
        save(stack, data)
        finish(0)
    if words[:2] == ["plugin", "ls"]:
        path = STATE / "plugins.json"
        plugins = json.loads(path.read_text()) if path.exists() else []
        print(json.dumps(plugins))
        finish(0)
    if words[:2] == ["plugin", "install"]:
        if scenario("plugin-install", "*") == "fail":
            finish(255, f"error: [resource plugin {words[3]}-{words[4]}] downloading from "
                        "https://get.pulumi.com/releases/plugins: 503 Service Unavailable")
        path = STATE / "plugins.json"
        plugins = json.loads(path.read_text()) if path.exists() else []
        plugins.append({"name": words[3], "kind": words[2], "version": words[4], "size": 1000,
                        "installTime": now(), "lastUsedTime": now()})
        path.write_text(json.dumps(plugins))
        finish(0)
    if words[:2] == ["stack", "output"]:
        data = require_stack(stack)
        show = "--show-secrets" in args
        outputs = {k: (v if show or k not in data.get("secret_outputs", []) else "[secret]")
                   for k, v in data.get("outputs", {}).items()}
        print(json.dumps(outputs, indent=2))
        finish(0)
    if words[:2] == ["stack", "history"]:
        data = require_stack(stack)
        entries = data.get("history", [])
        if flag(args, "--page-size"):
            entries = entries[: int(flag(args, "--page-size") or 1)]
        if "--show-secrets" not in args:
            entries = [dict(e, config={k: ({"secret": True} if v["secret"] else v) for k, v in e["config"].items()})
                       for e in entries]
        print(json.dumps(entries, indent=2))
        finish(0)
    if words[:1] == ["cancel"]:
        require_stack(stack)
        print("The currently running update has been canceled!")
        finish(0)
    if words[:1] == ["refresh"] and "--preview-only" in args:
        preview_refresh(args)
    if words[:1] and words[0] in ("up", "preview", "destroy", "refresh"):
        operate(words[0], args)
    finish(255, f"error: fake pulumi does not know `{' '.join(argv)}`")


if __name__ == "__main__":
    main(sys.argv[1:])
