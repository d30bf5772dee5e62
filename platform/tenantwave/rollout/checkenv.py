"""The environment a command check or a before-deploy hook runs with: the minimum, plus what it names.

A check or hook is a program of the project's own, but it need not see the credentials the tool
deploys with: it gets `ALLOWED` (PATH, HOME, TZ, LANG and the LC_* locale variables) from the
tool's environment, the stack's facts (`PLATFORM_*`, `CheckTarget.environ`), and exactly the
variables its `pass_env` names (those the tool's environment has; a missing one is left out).
Pulumi and cloud credentials reach it only when named. A named variable whose name reads like a
credential is registered with the redactor: the check may use it, its output never shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tenantwave.privacy.redaction import credential_name, register

ALLOWED = ("PATH", "HOME", "TZ", "LANG")
ALLOWED_PREFIXES = ("LC_",)


def command_environment(
    facts: Mapping[str, str], pass_env: Sequence[str], environ: Mapping[str, str]
) -> dict[str, str]:
    """The allowlisted variables of `environ`, then those `pass_env` names, then the stack's facts."""
    env = {
        name: value
        for name, value in environ.items()
        if name in ALLOWED or name.startswith(ALLOWED_PREFIXES)
    }
    passed = {name: environ[name] for name in pass_env if name in environ}
    register(value for name, value in passed.items() if credential_name(name))
    return {**env, **passed, **facts}
