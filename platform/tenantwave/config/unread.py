"""Files under tiers/ and tenants/ that the loader does not read, said out loud (`validate` warns).

Only `<id>.yaml` and `<id>.yml` files directly in each folder are configuration. Anything else there
(another extension such as `.YAML` or `.bak`, a subdirectory, a file without a name) is ignored by
every command, and a tenant whose file is ignored is not in the configuration: the next rollout
would take it out of its pools. So each one is named, with what to do; so is a tenants/ folder
that is missing or holds no tenant.
"""

from __future__ import annotations

from pathlib import Path

from tenantwave.config.folders import Folders

CONFIG_SUFFIXES = (".yaml", ".yml")
KEEP_FILES = frozenset({".gitkeep", ".keep"})  # placeholders that keep an empty folder in git
FOLDERS = {"tiers": "tier", "tenants": "tenant"}


def unread_warnings(root: Path, folders: Folders | None = None) -> list[str]:
    """A warning for each entry of tiers/ and tenants/ that is not read, and for a missing or empty tenants/.
    `folders`: the listing the loader read the files from (else they are listed here)."""
    folders = folders or Folders(root)
    warnings: list[str] = []
    for folder, kind in FOLDERS.items():
        kinds = folders.kinds(folder)
        if kinds is None:
            if folder == "tenants":
                warnings.append(
                    "tenants/: no such folder, so the configuration has no tenant: every pool stack would serve "
                    "nobody (plan shows a stack that would take tenants out as blocked)"
                )
            continue
        read = 0
        for entry, _, directory in kinds:
            if entry.name in KEEP_FILES:
                continue
            stem, dot, suffix = entry.name.rpartition(".")
            if directory:
                warnings.append(
                    f"{folder}/{entry.name}/: a directory, not read (only {folder}/<id>.yaml files are); "
                    f"move the {kind} files in it up to {folder}/"
                )
            elif stem and f"{dot}{suffix}" in CONFIG_SUFFIXES:
                read += 1
            else:
                name = entry.name.split(".", 1)[0]
                better = f"{name}.yaml" if name else "<id>.yaml"
                warnings.append(
                    f"{folder}/{entry.name}: not read (only .yaml and .yml files are); "
                    f"rename it to {folder}/{better} if it is a {kind}, or remove it"
                )
        if folder == "tenants" and read == 0:
            warnings.append(
                "tenants/: no tenant file, so the configuration has no tenant: every pool stack would serve "
                "nobody (plan shows a stack that would take tenants out as blocked)"
            )
    return warnings
