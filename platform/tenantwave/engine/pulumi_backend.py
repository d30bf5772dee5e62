"""Where the `pulumi` engine keeps state and which provider plugins it installs."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
