"""ledger.frozen builds the planning read's records without the dataclass __init__: the instances
must be the ones __init__ makes (equal, same hash, same repr, every field set), and the builders
refuse classes they would build wrongly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantwave.ledger import frozen, planreads
from tenantwave.ledger.history import Deployed, deployed
from tenantwave.ledger.records import DeploymentRecord

pytestmark = pytest.mark.unit

texts = st.none() | st.text(max_size=12)
names = st.lists(st.text(max_size=8), max_size=3).map(tuple)


@given(st.text(max_size=12), texts, texts, texts, texts, names)
def test_deployed_is_what_its_constructor_makes(
    release: str, fingerprint: str | None, ended_at: str | None, revision: str | None, config: str | None,
    tenants: tuple[str, ...],
) -> None:  # fmt: skip
    built = deployed(release, fingerprint, ended_at, revision, config, tenants)
    made = Deployed(release, fingerprint, ended_at, revision, config, tenants)
    assert type(built) is Deployed
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert dataclasses.astuple(built) == dataclasses.astuple(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.release = "other"  # type: ignore[misc]


def test_deployed_sets_every_field_in_order() -> None:
    values = ("1.4.0", "fp", "2026-01-02T02:54:59Z", "1.4.0+ab", '{"p": 1}', ("acme",))
    assert [getattr(deployed(*values), f.name) for f in fields(Deployed)] == list(values)


@given(
    st.integers(1, 2**40), st.text(max_size=8), st.lists(st.text(max_size=6), max_size=3), st.datetimes(),
    st.none() | st.datetimes(), st.none() | st.integers(0, 500), texts,
)  # fmt: skip
def test_a_deployment_row_gives_what_the_constructor_makes(
    id_: int, stack: str, tenants: list[str], started: datetime, ended: datetime | None, resources: int | None,
    text: str | None,
) -> None:  # fmt: skip
    import json

    row = (id_, "run-1", "1.4.0", stack, "testing", "pool", "basic", json.dumps(tenants), "up", "failed",
           started, ended, text, text, text, resources, text, text)  # fmt: skip
    built = planreads.deployment(row)
    made = DeploymentRecord(
        id=id_, run_id="run-1", release="1.4.0", stack=stack, environment="testing", kind="pool", tier="basic",
        tenants=tuple(tenants), operation="up", status="failed", started_at=started, ended_at=ended, error=text,
        log_path=text, fingerprint=text, resources=resources, revision=text, config=text,
    )  # fmt: skip
    assert type(built) is DeploymentRecord
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert list(vars(built)) == [f.name for f in fields(DeploymentRecord)]  # every field, none more
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.status = "succeeded"  # type: ignore[misc]


@dataclass
class Mutable:
    a: int


@dataclass(frozen=True)
class Checked:
    a: int

    def __post_init__(self) -> None:
        raise ValueError("checked")


@dataclass(frozen=True, slots=True)
class Slotted:
    a: int


@dataclass(frozen=True)
class Plain:
    a: int


def test_the_builders_refuse_classes_they_would_build_wrongly() -> None:
    for cls in (Mutable, Checked, int):
        with pytest.raises(TypeError):
            frozen.from_fields(cls)
        with pytest.raises(TypeError):
            frozen.unfrozen(cls)
    with pytest.raises(TypeError, match="without slots"):
        frozen.from_fields(Slotted)
    with pytest.raises(TypeError, match="with slots"):
        frozen.unfrozen(Plain)
    assert frozen.from_fields(Plain)({"a": 1}) == Plain(1)
