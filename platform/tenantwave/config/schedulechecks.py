"""Cross-file checks of windows and freezes: the environments, phases and tenants they name exist.

(The values themselves, time zones, times, days and ranges, are checked by the models in
config/schedule.py.) Each problem names its file and field, and the names that would do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tenantwave.config.models import Project
from tenantwave.config.schedule import Window
from tenantwave.config.suggestions import did_you_mean
from tenantwave.errors import Problem

PLATFORM_FILE = "platform.yaml"


def schedule_problems(project: Project) -> list[Problem]:
    """Every freeze and window naming an environment, phase or tenant the project does not have."""
    environments = project.environments
    phases = [phase.phase for phase in project.platform.lifecycle]
    problems: list[Problem] = []
    for name, freeze in project.platform.freezes.items():
        where = f"freezes.{name}"
        problems += _unknown(PLATFORM_FILE, f"{where}.environments", freeze.environments, environments, "environment")
        problems += _unknown(PLATFORM_FILE, f"{where}.phases", freeze.phases, phases, "phase")
        problems += _unknown(PLATFORM_FILE, f"{where}.tenants", freeze.tenants, sorted(project.tenants), "tenant")
    for tier in project.tiers.values():
        problems += _window_problems(f"tiers/{tier.id}.yaml", tier.config.windows, environments)
    for tenant in project.tenants.values():
        problems += _window_problems(f"tenants/{tenant.id}.yaml", tenant.config.windows or [], environments)
    return problems


def _window_problems(file: str, windows: Sequence[Window], environments: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    for index, window in enumerate(windows):
        field = f"windows[{index}].environments"
        problems += _unknown(file, field, window.environments, environments, "environment")
    return problems


def _unknown(file: str, field: str, named: Iterable[str] | None, known: Sequence[str], what: str) -> list[Problem]:
    problems = []
    for index, value in enumerate(named or ()):
        if value not in known:
            hint = did_you_mean(value, known) or f" (known: {', '.join(known[:10])})"
            problems.append(Problem(file, f"{field}[{index}]", f"no {what} {value!r}{hint}"))
    return problems
