"""What a refresh preview found, as the engines report it: changed properties, caps, redaction."""

from __future__ import annotations

import pytest

from tenantwave.engine.drift import (
    MAX_NAME,
    MAX_PROPERTIES,
    MAX_RESOURCES,
    DriftedResource,
    bounded,
    changed_properties,
    drift_count,
)
from tenantwave.privacy.redaction import register

pytestmark = pytest.mark.unit


def test_changed_properties_prefer_the_detailed_diff_then_diffs_then_the_outputs() -> None:
    detailed = {"tags.team": {"diffKind": "update"}, "billingMode": {"diffKind": "update"}}
    assert changed_properties(["tags"], detailed, None, None) == ("billingMode", "tags.team")
    assert changed_properties(["tags", "billingMode"], {}, None, None) == ("billingMode", "tags")
    # a CLI before refresh diffs were reported: the outputs that differ (one added, one gone, one changed)
    old = {"name": "t", "tags": {"a": "1"}, "ttl": 5}
    new = {"name": "t", "tags": {"a": "2"}, "stream": True}
    assert changed_properties(None, None, old, new) == ("stream", "tags", "ttl")
    assert changed_properties(None, None, old, old) == ()


def test_drift_count_is_updates_and_deletes() -> None:
    assert drift_count({"same": 9, "update": 2, "delete": 1}) == 3
    assert drift_count({"same": 4}) == 0


def test_bounded_caps_resources_properties_and_names_and_redacts() -> None:
    register(["hunter2-secret-value"])
    many = [DriftedResource("update", "aws:s3/bucket:Bucket", f"b{i}", tuple(f"p{j}" for j in range(30)))
            for i in range(MAX_RESOURCES + 5)]
    kept = bounded(many)
    assert len(kept) == MAX_RESOURCES
    assert kept[0].properties[-1] == "and 10 more" and len(kept[0].properties) == MAX_PROPERTIES + 1
    long = bounded([DriftedResource("weird", "t", "x" * 500 + " hunter2-secret-value", ("a\nb",))])[0]
    assert long.op == "update" and len(long.name) == MAX_NAME and long.name.endswith("...")
    assert long.properties == ("a b",)
    secret = bounded([DriftedResource("delete", "t", "name-hunter2-secret-value")])[0]
    assert "hunter2-secret-value" not in secret.name


def test_describe_and_json_round_trip() -> None:
    changed = DriftedResource("update", "aws:sqs/queue:Queue", "jobs", ("tags", "visibilityTimeoutSeconds"))
    gone = DriftedResource("delete", "aws:sqs/queue:Queue", "dlq")
    assert changed.describe() == "aws:sqs/queue:Queue jobs: tags, visibilityTimeoutSeconds"
    assert gone.describe() == "aws:sqs/queue:Queue dlq: deleted outside Pulumi"
    assert DriftedResource.from_json(changed.to_json()) == changed
