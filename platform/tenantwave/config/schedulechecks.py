"""Cross-file checks of windows and freezes: freeze names are ids, and the environments, phases and
tenants they name exist (the first MAX_UNKNOWN of a list, then how many more); a tenant's window
for an environment the tenant is not in is a warning.

(The values themselves, time zones, times, days and ranges, are checked by the models in
config/schedule.py.) Each problem names its file and field, and the names that would do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tenantwave.config.ids import id_problem
from tenantwave.config.models import Project
from tenantwave.config.schedule import Window, shown
from tenantwave.config.suggestions import did_you_mean
from tenantwave.errors import Problem

PLATFORM_FILE = "platform.yaml"
MAX_UNKNOWN = 3  # unknown names of one list reported each; the rest are counted


def schedule_problems(project: Project) -> list[Problem]:
    """Every freeze and window naming an environment, phase or tenant the project does not have."""
    environments = project.environments
    phases = [phase.phase for phase in project.platform.lifecycle]
    problems: list[Problem] = []
    for name, freeze in project.platform.freezes.items():
        where = f"freezes.{name}"
        if (why := id_problem(name)) is not None:
            problems.append(Problem(PLATFORM_FILE, where, why))
        problems += _unknown(PLATFORM_FILE, f"{where}.environments", freeze.environments, environments, "environment")
        problems += _unknown(PLATFORM_FILE, f"{where}.phases", freeze.phases, phases, "phase")
        problems += _unknown(PLATFORM_FILE, f"{where}.tenants", freeze.tenants, sorted(project.tenants), "tenant")
    for tier in project.tiers.values():
        problems += _window_problems(f"tiers/{tier.id}.yaml", tier.config.windows, environments)
    for tenant in project.tenants.values():
        if tenant.config.windows:  # most tenants have none (None: the tier's, []: any time)
            problems += _window_problems(f"tenants/{tenant.id}.yaml", tenant.config.windows, environments)
    return problems


def _window_problems(file: str, windows: Sequence[Window], environments: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    for index, window in enumerate(windows):
        field = f"windows[{index}].environments"
        problems += _unknown(file, field, window.environments, environments, "environment")
    return problems


def schedule_warnings(project: Project) -> list[str]:
    """Each tenant window naming an environment the tenant is not in (it never applies there)."""
    warnings = []
    for tenant in project.tenants.values():
        if not tenant.config.windows:
            continue  # most tenants: nothing to look at
        connected = tenant.config.environments
        for index, window in enumerate(tenant.config.windows):
            elsewhere = [env for env in window.environments or () if env not in connected]
            if elsewhere:
                warnings.append(
                    f"tenants/{tenant.id}.yaml: windows[{index}].environments: {tenant.id} is not in "
                    f"{', '.join(elsewhere)} (its environments: {', '.join(connected)}): the window never applies "
                    f"there"
                )
    return warnings


def _unknown(file: str, field: str, named: Iterable[str] | None, known: Sequence[str], what: str) -> list[Problem]:
    """The first MAX_UNKNOWN names of `named` not in `known`, in index order, then one problem
    counting the rest."""
    unknown = [(index, value) for index, value in enumerate(named or ()) if value not in known]
    problems = []
    for index, value in unknown[:MAX_UNKNOWN]:
        hint = did_you_mean(value, known) or f" (known: {', '.join(known[:10])})"
        problems.append(Problem(file, f"{field}[{index}]", f"no {what} {shown(value)}{hint}"))
    if len(unknown) > MAX_UNKNOWN:
        rest = unknown[MAX_UNKNOWN][0]
        problems.append(Problem(file, f"{field}[{rest}:]", f"{len(unknown) - MAX_UNKNOWN} more unknown {what}s"))
    return problems
