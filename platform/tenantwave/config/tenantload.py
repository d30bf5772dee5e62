"""tenants/ (and the file listing tiers/ share): each `<id>.yaml` read, validated and checked against its tier.

The loader's part that runs once per tenant, 10,000 times in a large fleet. The folder's files are looked up in
the parse cache together (`ParseCache.read_folder`), each mapping is validated by TenantConfig, and what many
tenants share is worked out once per load (`_Seen`): a (tier, environments...) list found without a problem and a
tier's dumped parameters. Each tenant's overrides are validated by the program's model for that tenant (its
code: never an answer shared between tenants). Every tenant gets its own problems, in file order, with the same
messages as when checked alone.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from tenantwave.config.folders import Folders
from tenantwave.config.ids import ID_PATTERN, id_problem
from tenantwave.config.models import Tenant, TenantConfig, Tier
from tenantwave.config.parameters import merge_overrides
from tenantwave.config.parsecache import ParseCache
from tenantwave.config.suggestions import did_you_mean
from tenantwave.config.validation import add_problems, validate_into
from tenantwave.errors import Problem

CONFIG_SUFFIXES = (".yaml", ".yml")
_SUFFIX_WORDS = frozenset(suffix[1:] for suffix in CONFIG_SUFFIXES)  # after the last "." of a name
RESERVED_TENANT_IDS = frozenset({"shared"})  # the `tenant` label of resources a pool shares
_IDS_RE = re.compile(rf"(?:{ID_PATTERN}\n)*")  # valid ids, each followed by a newline (matched whole)

ConfigFile = tuple[str, str, bool]  # id, file name, regular (see config_files)


def config_files(folders: Folders, folder: str, problems: list[Problem]) -> list[ConfigFile]:
    """(id, file name, regular) of each YAML file in the folder, with id and duplicate checks. `regular`: the
    entry's type says a regular file, not a symbolic link (yamlfile.read_mapping's hint). Its path is
    f"{root}/{folder}/{name}" (the entry's), its shown name f"{folder}/{name}"."""
    kinds = folders.kinds(folder)
    if kinds is None:
        return []
    candidates: list[tuple[str, str, bool]] = []
    for entry, regular, directory in kinds:
        stem, _, suffix = entry.name.rpartition(".")  # what Path.stem/.suffix say, without a Path each
        if stem and suffix in _SUFFIX_WORDS and not directory:
            candidates.append((stem, entry.name, regular))
        # a directory is left to unread.py's warning; anything else is read, so a tenant file that cannot be
        # used (FIFO, socket, device, dangling link, loop) is a problem, never silently gone
    all_valid = all_ids([stem for stem, _, _ in candidates])
    found: list[ConfigFile] = []
    seen: dict[str, str] = {}
    for candidate in candidates:
        stem, name, _ = candidate
        if not all_valid and (why := id_problem(stem)) is not None:
            problems.append(Problem(f"{folder}/{name}", "file name", f"the file name is the id: {why}"))
            continue
        if stem in seen:
            shown, first = f"{folder}/{name}", f"{folder}/{seen[stem]}"
            problems.append(Problem(shown, "file name", f"duplicate id {stem!r}: {first} has it too"))
            continue
        seen[stem] = name
        found.append(candidate)
    return found


def all_ids(names: list[str]) -> bool:
    """Whether every name is a valid id (ids.is_valid_id), by one match over them all."""
    if not names:
        return True
    text = "\n".join(names) + "\n"
    return text.count("\n") == len(names) and _IDS_RE.fullmatch(text) is not None  # no name holds a newline


def load_tenants(
    folders: Folders,
    cache: ParseCache,
    tiers: dict[str, Tier],
    environments: list[str] | None,
    model: type[BaseModel] | None,
    problems: list[Problem],
) -> dict[str, Tenant]:
    """The valid tenants of tenants/ (each problem added to `problems`, in file order); `parameters` overrides
    validated by the program's `model` (a tenant with overrides is left out when it is None)."""
    tier_files = {stem for stem, _, _ in config_files(folders, "tiers", [])}
    files = config_files(folders, "tenants", problems)
    wanted = [(name, regular) for tenant_id, name, regular in files if tenant_id not in RESERVED_TENANT_IDS]
    reads = iter(cache.read_folder(str(folders.root / "tenants"), "tenants", wanted))
    validate = TenantConfig.__pydantic_validator__.validate_python
    tenants: dict[str, Tenant] = {}
    seen = _Seen()
    fine = seen.fine_environments
    for tenant_id, name, _ in files:
        if tenant_id in RESERVED_TENANT_IDS:
            problem = f"{tenant_id!r} is reserved (it labels pool-wide resources)"
            problems.append(Problem(f"tenants/{name}", "file name", problem))
            continue
        data, read_problems = next(reads)
        if read_problems:
            problems += read_problems
        if data is None:
            continue
        try:
            config: TenantConfig = validate(data)  # validate_into's work, without a call per tenant
        except ValidationError as exc:
            add_problems(exc, TenantConfig, f"tenants/{name}", problems)
            continue
        tier = tiers.get(config.tier)
        if tier is None:
            if config.tier not in tier_files:
                known = did_you_mean(config.tier, tier_files) or f" (known: {', '.join(sorted(tier_files)) or 'none'})"
                problems.append(Problem(f"tenants/{name}", "tier", f"unknown tier {config.tier!r}{known}"))
            continue  # a broken tier file is reported once, on the tier itself
        if (  # what _check_tenant finds for a tenant without overrides on environments found fine, without a call
            not config.parameters
            and (config.wave is None or tier.config.model != "pool")
            and (tier.id, *config.environments) in fine
        ):
            tenants[tenant_id] = make_tenant(tenant_id, config, tier.config.parameters)
            continue
        tenant = _check_tenant(tenant_id, config, tier, environments, model, f"tenants/{name}", problems, seen)
        if tenant is not None:
            tenants[tenant_id] = tenant
    return tenants


def _check_tenant(
    tenant_id: str,
    config: TenantConfig,
    tier: Tier,
    environments: list[str] | None,
    model: type[BaseModel] | None,
    shown: str,
    problems: list[Problem],
    seen: _Seen,
) -> Tenant | None:
    before = len(problems)
    connected = (tier.id, *config.environments)
    if connected not in seen.fine_environments:
        _check_tenant_environments(config, tier, environments, shown, problems)
        if len(problems) == before:
            seen.fine_environments.add(connected)
    if config.wave is not None and tier.model == "pool":
        problems.append(
            Problem(
                shown,
                "wave",
                f"tier {tier.id!r} is a pool: its tenants share the pool stack and its wave; "
                "set the wave on the tier or use a silo tier",
            )
        )
    for key in config.parameters:
        if key not in tier.config.overridable:
            allowed = ", ".join(tier.config.overridable) or "nothing"
            problems.append(
                Problem(
                    shown,
                    f"parameters.{key}",
                    f"tier {tier.id!r} does not let tenants override {key!r} (overridable: {allowed})",
                )
            )
    if len(problems) != before:
        return None
    if not config.parameters:
        return make_tenant(tenant_id, config, tier.config.parameters)  # validated, immutable
    if model is None:
        return None  # the model could not be loaded (reported): overrides cannot be checked
    defaults = seen.tier_parameters.get(tier.id)
    if defaults is None:
        defaults = seen.tier_parameters[tier.id] = tier.config.parameters.model_dump()
    merged = merge_overrides(defaults, config.parameters)  # copies what it changes: `defaults` stays as dumped
    # validated for each tenant, never shared between equal overrides: the model is the program's code (its
    # validators and default factories may keep state or make something new each time)
    parameters = validate_into(model, merged, shown, problems, prefix="parameters")
    if parameters is None:
        return None
    return make_tenant(tenant_id, config, parameters)


def _tenant_by_dict(tenant_id: str, config: TenantConfig, parameters: BaseModel) -> Tenant:
    """Tenant(id=tenant_id, config=config, parameters=parameters), its fields set in its __dict__: the frozen
    dataclass's __init__ sets each through object.__setattr__, three times the cost (7 ms at 10,000 tenants)."""
    tenant = _new(Tenant)
    fields = tenant.__dict__
    fields["id"] = tenant_id
    fields["config"] = config
    fields["parameters"] = parameters
    return tenant


def _tenant_by_init(tenant_id: str, config: TenantConfig, parameters: BaseModel) -> Tenant:
    return Tenant(id=tenant_id, config=config, parameters=parameters)


# Tenant as it is: a dataclass of these three fields, with a __dict__, no __post_init__ nor custom __init__ (else
# its constructor, whatever it does); tests/core/test_tenantload.py holds the result equal to the constructor's
_PLAIN_TENANT = (
    tuple(field.name for field in dataclasses.fields(Tenant)) == ("id", "config", "parameters")
    and not hasattr(Tenant, "__post_init__")
    and "__slots__" not in vars(Tenant)
    and getattr(getattr(Tenant.__init__, "__code__", None), "co_filename", "") == "<string>"  # dataclass-made
    and all(field.init and field.default is dataclasses.MISSING for field in dataclasses.fields(Tenant))
)
_new = object.__new__
make_tenant = _tenant_by_dict if _PLAIN_TENANT else _tenant_by_init


class _Seen:
    """What checking one load's tenants found once for many: the (tier, environments...) found without a
    problem (the same lists give the same answers) and the dump of each tier's parameters."""

    def __init__(self) -> None:
        self.fine_environments: set[tuple[str, ...]] = set()
        self.tier_parameters: dict[str, dict[str, Any]] = {}


def _check_tenant_environments(
    config: TenantConfig, tier: Tier, environments: list[str] | None, shown: str, problems: list[Problem]
) -> None:
    if not config.environments:
        problems.append(Problem(shown, "environments", "connect the tenant to at least one environment"))
    check_environments(config.environments, environments, shown, problems, "the lifecycle")
    if environments is not None:
        for index, env in enumerate(config.environments):
            if env in environments and env not in tier.environments:
                offered = ", ".join(tier.environments)
                problems.append(
                    Problem(
                        shown,
                        f"environments[{index}]",
                        f"tier {tier.id!r} is not offered in {env!r} (it is offered in: {offered})",
                    )
                )


def check_environments(
    listed: list[str] | None,
    known: list[str] | None,
    shown: str,
    problems: list[Problem],
    where: str,
) -> list[str]:
    """The problems of an environments list (a tier's or a tenant's) added to `problems`: ids, duplicates,
    environments not in `known` (the lifecycle's; None: unknown, not checked); the list itself back."""
    if listed is None:
        return []
    seen: set[str] = set()
    for index, env in enumerate(listed):
        lifecycle_env = known is not None and env in known  # a valid id already
        if not lifecycle_env and (why := id_problem(env)) is not None:
            problems.append(Problem(shown, f"environments[{index}]", why))
        elif env in seen:
            problems.append(Problem(shown, f"environments[{index}]", f"{env!r} is listed twice"))
        elif known is not None and not lifecycle_env:
            choices = did_you_mean(env, known) or f" ({', '.join(known)})"
            where_known = f"{where}{choices}"
            problems.append(Problem(shown, f"environments[{index}]", f"environment {env!r} is not in {where_known}"))
        seen.add(env)
    return list(listed)
