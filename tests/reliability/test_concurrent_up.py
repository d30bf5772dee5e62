"""Two and four simultaneous `platform up` of the same wave against one ledger: each stack once."""

from __future__ import annotations

from typing import Any

import pytest
from reliability_helpers import UP, Harness, successes_per_stack

pytestmark = pytest.mark.integration

STACKS = 12


@pytest.mark.parametrize("processes", [2, 4])
def test_simultaneous_runs_deploy_every_stack_exactly_once(harness_for: Any, ledger_url: str, processes: int) -> None:
    harness: Harness = harness_for(ledger_url, tenants=STACKS, delay=0.2)
    running = [harness.start(*UP, "--concurrency", "4") for _ in range(processes)]
    results = [(process.wait(timeout=120), *process.communicate()) for process in running]

    for code, stdout, stderr in results:
        # 0: deployed its share; 3: every stack was held by or done in another run
        assert code in (0, 3), stdout.decode() + stderr.decode()
        assert b"Traceback" not in stderr and b"internal error" not in stderr
    assert sum(1 for code, _, _ in results if code == 0) >= 1
    stacks = {f"production-us.silo.t{index:02d}" for index in range(STACKS)}
    calls = [call["stack"] for call in harness.engine_calls()]
    assert sorted(calls) == sorted(stacks)  # the engine deployed each stack once, whichever run did it
    deployments = harness.deployments()
    assert successes_per_stack(deployments) == dict.fromkeys(stacks, 1)
    assert [row for row in deployments if row["status"] != "succeeded"] == []
    assert [run for run in harness.runs() if run["status"] == "running"] == []

    again = harness.up()
    assert again.returncode == 0 and harness.engine_calls() == harness.engine_calls()
    assert len(harness.engine_calls()) == STACKS  # a rerun finds everything done
