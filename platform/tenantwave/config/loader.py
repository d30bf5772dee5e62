"""Load and validate a whole project: platform.yaml, tiers/, tenants/.

Every problem is collected (file, field, what to do) and reported together in one ConfigError.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from tenantwave.config.folders import Folders
from tenantwave.config.ids import id_problem
from tenantwave.config.models import PlatformConfig, ProgramConfig, Project, Tier
from tenantwave.config.parameters import parameter_names, tier_config_model
from tenantwave.config.parsecache import ParseCache
from tenantwave.config.program import ModelError, parameter_model, pulumi_main
from tenantwave.config.rings import ring_problems
from tenantwave.config.schedulechecks import schedule_problems, schedule_warnings
from tenantwave.config.suggestions import did_you_mean
from tenantwave.config.targetchecks import missing_targets, reserved_word_problem, unknown_targets, untargeted_warnings
from tenantwave.config.tenantload import CONFIG_SUFFIXES as CONFIG_SUFFIXES  # where tenants/ and others take it
from tenantwave.config.tenantload import check_environments, config_files, load_tenants
from tenantwave.config.validation import validate_into
from tenantwave.errors import ConfigError, Problem, UsageError

PLATFORM_FILE = "platform.yaml"
PULUMI_MAIN_KEY = "Pulumi.yaml#main"  # where the parse cache remembers Pulumi.yaml's `main:` (no file's name)

def find_project(start: Path) -> Path:
    """The nearest directory at or above `start` that holds a platform.yaml."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / PLATFORM_FILE).is_file():
            return directory
    raise UsageError(
        f"no {PLATFORM_FILE} in {start} or any directory above it; "
        "run from a project or pass --project DIR"
    )


def load_project(root: Path, *, links_into: Path | None = None) -> Project:
    """The validated project at `root`; raises ConfigError with every problem found. Symbolic
    links are followed inside the project only, and into `links_into` (a scratch copy's original)."""
    # the parsed YAML of unchanged files, kept whether or not the project is valid
    cache = ParseCache(root, also_inside=links_into)
    try:
        project = _load_project(root, cache)
    except ConfigError:
        cache.save()
        raise
    cache.save()
    return project


def _load_project(root: Path, cache: ParseCache) -> Project:
    problems: list[Problem] = []
    platform_data, platform = _load_platform(root, cache, problems)
    environments = (
        [env for phase in platform.lifecycle for env in phase.environments] if platform else None
    )
    model = _parameter_model(root, cache, platform_data, problems)
    folders = Folders(root)
    tiers = _load_tiers(folders, cache, environments, model, problems)
    tenant_configs = load_tenants(folders, cache, tiers, environments, model, problems)
    project = None
    if platform is not None:
        project = Project(root=root, platform=platform, tiers=tiers, tenants=tenant_configs)
        problems += schedule_problems(project)
        problems += missing_targets(project) + ring_problems(project)
    if problems or platform is None or project is None:
        raise ConfigError(problems)
    return Project(
        root=root,
        platform=platform,
        tiers=tiers,
        tenants=tenant_configs,
        warnings=tuple(_warnings(project, folders)),
    )


# -- platform.yaml ---------------------------------------------------------------------------


def _load_platform(
    root: Path, cache: ParseCache, problems: list[Problem]
) -> tuple[dict[str, Any] | None, PlatformConfig | None]:
    """platform.yaml's parsed mapping (None if unreadable) and its valid config (None if not valid)."""
    data, read_problems = cache.read_mapping(root / PLATFORM_FILE, PLATFORM_FILE)
    problems += read_problems
    if data is None:
        return None, None
    config = validate_into(PlatformConfig, data, PLATFORM_FILE, problems)
    if config is None:
        return data, None
    before = len(problems)
    _check_lifecycle(config, problems)
    return data, config if len(problems) == before else None


def _parameter_model(
    root: Path, cache: ParseCache, platform_data: dict[str, Any] | None, problems: list[Problem]
) -> type[BaseModel] | None:
    """The program's parameter model named in platform.yaml (the default if it names none), or None
    (a problem is reported) when it cannot be loaded. Read from the `program` section alone, so tiers
    are still checked when another part of platform.yaml is wrong."""
    section = platform_data.get("program", {}) if platform_data is not None else {}
    try:
        name = ProgramConfig.model_validate(section).parameters
    except ValidationError:
        return None  # reported with platform.yaml's other problems
    try:
        return parameter_model(root, name, lambda path: cache.remembered(path, PULUMI_MAIN_KEY, pulumi_main))
    except ModelError as exc:
        if platform_data is None:
            return None  # platform.yaml unreadable (reported): the default model was only a guess
        if exc.file is not None:
            problems.append(Problem(exc.file, exc.field or "", str(exc)))
        else:
            default = "" if isinstance(section, dict) and "parameters" in section else " (the default)"
            problems.append(Problem(PLATFORM_FILE, "program.parameters", f"{name}{default}: {exc}"))
        return None


def _check_lifecycle(config: PlatformConfig, problems: list[Problem]) -> None:
    seen_envs: dict[str, str] = {}
    phase_names = Counter(phase.phase for phase in config.lifecycle)
    for index, phase in enumerate(config.lifecycle):
        where = f"lifecycle[{index}]"
        if (why := id_problem(phase.phase)) is not None:
            problems.append(Problem(PLATFORM_FILE, f"{where}.phase", why))
        if phase_names[phase.phase] > 1:
            problems.append(Problem(PLATFORM_FILE, f"{where}.phase", f"phase {phase.phase!r} appears twice"))
        if not phase.environments:
            problems.append(
                Problem(PLATFORM_FILE, f"{where}.environments", f"phase {phase.phase!r} has no environments")
            )
        for env_index, env in enumerate(phase.environments):
            field = f"{where}.environments[{env_index}]"
            if (why := id_problem(env) or reserved_word_problem(env)) is not None:
                problems.append(Problem(PLATFORM_FILE, field, why))
            elif env in seen_envs:
                problems.append(
                    Problem(PLATFORM_FILE, field, f"environment {env!r} is already in phase {seen_envs[env]!r}")
                )
            seen_envs.setdefault(env, phase.phase)
        if phase.minimum is not None and phase.minimum > len(phase.environments):
            problems.append(
                Problem(
                    PLATFORM_FILE,
                    f"{where}.minimum",
                    f"minimum {phase.minimum} is larger than the {len(phase.environments)} "
                    f"environment(s) of phase {phase.phase!r}",
                )
            )
    for name in config.rollout.phases:
        if name not in phase_names:
            problems.append(
                Problem(PLATFORM_FILE, f"rollout.phases.{name}", f"no phase {name!r} in the lifecycle")
            )
    problems += unknown_targets(config, seen_envs)


# -- tiers/ ----------------------------------------------------------------------------------


def _load_tiers(
    folders: Folders,
    cache: ParseCache,
    environments: list[str] | None,
    model: type[BaseModel] | None,
    problems: list[Problem],
) -> dict[str, Tier]:
    """The valid tiers; `parameters` validated by the program's `model` (unchecked when it is None)."""
    tier_config = tier_config_model(model)
    known = parameter_names(model) if model is not None else None
    tiers: dict[str, Tier] = {}
    for tier_id, name, regular in config_files(folders, "tiers", problems):
        shown = f"tiers/{name}"
        data, read_problems = cache.read_mapping(str(folders.root / shown), shown, regular=regular)
        problems += read_problems
        if data is None:
            continue
        config = validate_into(tier_config, data, shown, problems)
        if config is None:
            continue
        before = len(problems)
        offered = check_environments(config.environments, environments, shown, problems, "the lifecycle")
        for index, name in enumerate(config.overridable):
            if known is not None and name not in known:
                allowed = did_you_mean(name, known) or f" (known: {', '.join(sorted(known))})"
                problems.append(Problem(shown, f"overridable[{index}]", f"unknown parameter {name!r}{allowed}"))
        if len(problems) == before:
            resolved = tuple(offered if config.environments is not None else environments or ())
            tiers[tier_id] = Tier(id=tier_id, config=config, environments=resolved)
    return tiers


def _warnings(project: Project, folders: Folders) -> list[str]:
    from tenantwave.config.reachability import uncompletable_phases, unreachable_phases
    from tenantwave.config.unread import unread_warnings

    return unread_warnings(project.root, folders) + untargeted_warnings(project) + schedule_warnings(project) + [
        f"{PLATFORM_FILE}: require_tenant: phase {phase!r} has no connected tenant, "
        "so no deployment can ever reach it; connect a tenant to one of its environments "
        "or make the phase optional"
        for phase in unreachable_phases(project)
    ] + [
        f"{PLATFORM_FILE}: require_tenant: phase {phase!r} needs {required} environments but no tenant is "
        f"connected to {', '.join(unconnected)}, so it can never complete and the phases after it never open; "
        "connect a tenant there, lower its minimum or make the phase optional"
        for phase, required, unconnected in uncompletable_phases(project)
    ]
