"""The inventory's plan order (planning/inventory.py `in_plan_order`) is one sort by (order_key,
environment order, kind, name), however the stacks come: it groups by all but the name and sorts the
groups, which must never give another order than the plain sort."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.planning.inventory import Stack, in_plan_order

pytestmark = pytest.mark.unit

ENVIRONMENTS = ("testing", "stage", "prod-us", "prod-eu")


@st.composite
def stack_lists(draw: st.DrawFn) -> list[Stack]:
    stacks = []
    names = draw(st.lists(st.text("abc.-", min_size=1, max_size=6), unique=True, max_size=30))
    for name in names:
        index = draw(st.integers(0, 2))
        rank = draw(st.integers(0, 2))
        kind = draw(st.sampled_from(["pool", "silo"]))
        stacks.append(
            Stack(
                name=name,
                environment=draw(st.sampled_from(ENVIRONMENTS)),
                phase=f"phase{index}",
                phase_index=index,
                kind=kind,
                tier="basic",
                tenant=None,
                tenants=(),
                wave_key=(index, draw(st.integers(1, 3))),
                ring=f"ring{rank}",
                ring_rank=rank,
            )
        )
    return stacks


@given(stack_lists())
def test_the_plan_order_is_one_sort_by_wave_environment_kind_and_name(stacks: list[Stack]) -> None:
    position = {env: i for i, env in enumerate(ENVIRONMENTS)}
    expected = sorted(stacks, key=lambda s: (s.order_key, position[s.environment], s.kind, s.name))
    assert in_plan_order(stacks, ENVIRONMENTS) == expected
    assert in_plan_order(reversed(stacks), ENVIRONMENTS) == expected
