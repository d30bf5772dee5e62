"""Where the `pulumi` engine keeps state and which provider plugins it installs."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pulumi import automation as auto
from pulumi.automation.errors import CommandError

from tenantwave.engine.pulumi_results import summarise
from tenantwave.errors import EngineUnavailable

PROVIDER_PACKAGES = (("pulumi_aws", "aws"), ("pulumi_kubernetes", "kubernetes"))


def provider_plugins() -> list[tuple[str, str]]:
    """(plugin, version) of each provider SDK installed here, read without importing the SDK."""
    plugins: list[tuple[str, str]] = []
    for module, default_name in PROVIDER_PACKAGES:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            continue
        name, version = default_name, ""
        for location in spec.submodule_search_locations:
            manifest = Path(location) / "pulumi-plugin.json"
            if manifest.is_file():
                data = json.loads(manifest.read_text(encoding="utf-8"))
                name, version = str(data.get("name", default_name)), str(data.get("version", ""))
                break
        if not version:
            try:
                version = importlib.metadata.version(module)
            except importlib.metadata.PackageNotFoundError:
                continue
        plugins.append((name, version.lstrip("v")))
    return plugins


def install_plugins(workspace: auto.LocalWorkspace, listing: Callable[[], str], log: Callable[[str], None]) -> None:
    """Install each provider plugin `provider_plugins` names that `listing` (`plugin ls --json`) lacks.

    EngineUnavailable, with what to do, when an install fails: a run cannot deploy without them.
    """
    installed = _installed(listing)
    for name, version in provider_plugins():
        if (name, version) in installed:
            log(f"plugin {name} {version}: already installed")
            continue
        try:
            workspace.install_plugin(name, version)
        except CommandError as exc:
            log(str(exc))
            detail = summarise(str(exc), [], "install failed")
            raise EngineUnavailable(
                f"could not install the Pulumi {name} plugin {version} ({detail}); "
                f"check network access or run `pulumi plugin install resource {name} {version}`"
            ) from None
        log(f"plugin {name} {version}: installed")


def _installed(listing: Callable[[], str]) -> set[tuple[str, str]]:
    try:
        plugins = json.loads(listing() or "[]")
    except (CommandError, ValueError):
        return set()
    return {
        (str(p.get("name")), str(p.get("version", "")).lstrip("v"))
        for p in plugins
        if isinstance(p, dict) and p.get("kind", "resource") == "resource"
    }


def is_diy(url: str) -> bool:
    return not url.lower().startswith(("https://", "http://"))


def display_url(url: str) -> str:
    """The backend URL without any password in it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
