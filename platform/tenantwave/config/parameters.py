"""Tier parameters, whatever their model: the tool knows none of them by name.

The stack program owns the model (`tenantwave.config.program` loads the one platform.yaml names).
Here: the TierConfig that validates a tier's `parameters` with that model, the names a tier may list
as `overridable`, and how a tenant's overrides merge into its tier's parameters.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError, create_model

from tenantwave.config.models import TierConfig

_tier_configs: dict[type[BaseModel] | None, type[TierConfig]] = {}


def tier_config_model(parameters: type[BaseModel] | None) -> type[TierConfig]:
    """TierConfig with `parameters` validated by the model `parameters` (made once per model).

    The model's defaults are the tier's when it sets no `parameters` (if the model has required fields,
    `parameters` is required). None: the model is unknown; `parameters` is any mapping, unchecked.
    """
    made = _tier_configs.get(parameters)
    if made is None:
        field: Any
        if parameters is None:
            field = (dict[str, Any], Field(default_factory=dict))
        else:
            field = (parameters, _default(parameters))
        made = create_model("TierConfig", __base__=TierConfig, __module__=TierConfig.__module__, parameters=field)
        _tier_configs[parameters] = made
    return made


def _default(model: type[BaseModel]) -> Any:
    try:
        return model()  # frozen models: one instance shared by every tier without `parameters`
    except ValidationError:
        return ...  # required


def parameter_names(model: type[BaseModel]) -> frozenset[str]:
    """The top-level parameters of the model: what a tier may list as `overridable`."""
    return frozenset(model.model_fields)


def merge_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge a tenant's overrides into the tier's parameters (dicts merge, the rest replaces)."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_overrides(merged[key], value)
        else:
            merged[key] = value
    return merged
