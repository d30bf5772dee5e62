"""Resource-by-resource diffs of declared graphs: properties, JSON documents, secrets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tenantwave.preview.graphdiff import SECRET_MASK, PropertyChange, diff_stack, show

pytestmark = pytest.mark.unit


def _resource(name: str, inputs: dict[str, Any], type_: str = "aws:sqs/queue:Queue", **options: Any) -> dict[str, Any]:
    return {"urn": f"urn::{type_}::{name}", "type": type_, "name": name, "inputs": inputs, "parent": None,
            "protect": False, "retain_on_delete": False, **options}


def _graph(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"project": "tenantwave", "stack": "s", "resources": list(resources), "outputs": {}}


def test_added_removed_changed_and_same() -> None:
    old = _graph(_resource("a", {"x": 1}), _resource("b", {"x": 1}), _resource("c", {"x": 1}))
    new = _graph(_resource("a", {"x": 1}), _resource("b", {"x": 2.0}), _resource("d", {"x": 1}))
    diff = diff_stack(old, new)
    assert [(c.action, c.name) for c in diff.changes] == [("remove", "c"), ("add", "d"), ("change", "b")]
    assert diff.changes[2].properties == (PropertyChange("x", "1", "2"),)
    assert diff.counts() == {"add": 1, "remove": 1, "change": 1, "same": 1}


def test_nested_lists_and_json_documents_show_where_they_changed() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Resource": ["arn:a", "arn:b"]}]}
    changed = {"Statement": [{"Effect": "Allow", "Resource": ["arn:a", "arn:c"]}]}
    old = _graph(_resource("p", {"policy": json.dumps(policy), "tags": {"tier": "basic"}}))
    new = _graph(_resource("p", {"policy": json.dumps(changed), "tags": {"tier": "standard"}}, protect=True))
    (change,) = diff_stack(old, new).changes
    assert change.properties == (
        PropertyChange("(protect)", "false", "true"),
        PropertyChange("policy.Statement[0].Resource[1]", '"arn:b"', '"arn:c"'),
        PropertyChange("tags.tier", '"basic"', '"standard"'),
    )


def test_whole_stack_added_or_removed() -> None:
    graph = _graph(_resource("a", {}), _resource("b", {}))
    assert diff_stack(None, graph).counts() == {"add": 2, "remove": 0, "change": 0, "same": 0}
    assert diff_stack(graph, None).counts() == {"add": 0, "remove": 2, "change": 0, "same": 0}


def test_secrets_are_masked_by_value_and_by_name() -> None:
    old = _graph(_resource("db", {"masterPassword": "old-pw", "token": SECRET_MASK, "settings": {"api_key": "k1"}}))
    new = _graph(_resource("db", {"masterPassword": "new-pw", "token": SECRET_MASK, "settings": {"api_key": "k2"}}))
    (change,) = diff_stack(old, new).changes
    text = json.dumps(change.to_json())
    assert "pw" not in text and "k1" not in text and "k2" not in text
    assert change.properties == (
        PropertyChange("masterPassword", SECRET_MASK, SECRET_MASK),
        PropertyChange("settings.api_key", SECRET_MASK, SECRET_MASK),
    )
    assert show({"password": "x", "n": 1}) == '{"n":1,"password":"[secret]"}'


def test_long_values_show_the_part_that_differs() -> None:
    old, new = "x" * 300 + "old-tail", "x" * 300 + "new-tail"
    shown = show(old, "v", new)
    assert shown.startswith("...") and "old-tail" in shown and len(shown) <= 120 + 3
