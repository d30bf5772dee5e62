"""Configuration: the files of a project, read, validated and typed.

- `models`     platform.yaml, tiers/<id>.yaml, tenants/<id>.yaml and the whole `Project`, as pydantic models
- `loader`     load a project from disk; every problem collected as "file: field: what to do"
- `tenantload` the loader's per-tenant part: tenants/ read at once, validated, checked against each tier
- `validation` a pydantic validation's errors as those problems (unknown keys, types, notify kept quiet)
- `ids`        tenant, tier, environment and phase ids (DNS labels, checked before any other use)
- `checks`     the configuration of health checks and before-deploy hooks
- `reachability` phases tenants cannot reach or complete under require_tenant (validate's warnings)
- `program`    the stack program's directory and the parameter model platform.yaml names (imported from it)
- `parameters` tier parameters of whatever model: TierConfig for the model, overridable names, override merge
- `yamlfile`   one YAML file into plain data, with problems instead of exceptions
- `simpleyaml` the simple shape most files have, read without PyYAML's nodes (the same data, or it declines)
- `suggestions` "did you mean ...?": the closest known names to an unknown one
- `parsecache` parsed files cached by size and mtime so unchanged files are not parsed again

Imports nothing above itself: no ledger, no engine, no click or rich.
- `targets`      where each environment deploys (platform.yaml `targets`); `targetchecks` its cross-file rules
- `unread`       files under tiers/ and tenants/ the loader does not read (validate warns)
- `folders`      the entries of tiers/ and tenants/, listed once per load for the loader and `unread`
- `notify`       the webhooks told about runs (platform.yaml `notify`): where each URL comes from, events
- `schedule`     maintenance windows (tiers/, tenants/) and freezes (platform.yaml)
- `schedulechecks` their cross-file rules: the environments, phases and tenants they name exist
- `rings`        rings (tenant tags, rollout.rings) and tenant counts (a number or "N%"): types and cross-file checks
"""
