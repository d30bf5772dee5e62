"""The entries of a project's configuration folders (tiers/, tenants/), listed once per load.

The loader reads the files of each folder and `unread` names what it does not read: both walk the same
listing, in name order, instead of listing (and sorting) 10,000 tenant entries once each.
"""

from __future__ import annotations

import os
from operator import attrgetter
from pathlib import Path

_BY_NAME = attrgetter("name")
Kind = tuple[os.DirEntry[str], bool, bool]  # an entry, whether a regular file, whether a directory (Folders.kinds)


class Folders:
    """The sorted directory entries of root's folders, each listed at its first use (make one per load:
    a listing is not refreshed)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._listed: dict[str, list[os.DirEntry[str]] | None] = {}
        self._kinds: dict[str, list[Kind] | None] = {}

    def entries(self, folder: str) -> list[os.DirEntry[str]] | None:
        """The entries of root/folder sorted by name; None when it is not a directory."""
        if folder not in self._listed:
            directory = self.root / folder
            self._listed[folder] = sorted(os.scandir(directory), key=_BY_NAME) if directory.is_dir() else None
        return self._listed[folder]


    def kinds(self, folder: str) -> list[Kind] | None:
        """(entry, regular, directory) of each entry of entries(folder), worked out once for the loader and `unread`:
        `regular` the entry's own type says a regular file, not a link (False when that cannot be told);
        `directory` is_dir(entry) (never for a regular file)."""
        if folder not in self._kinds:
            entries = self.entries(folder)
            found: list[Kind] | None = None
            if entries is not None:
                found = []
                for entry in entries:
                    try:
                        regular = entry.is_file(follow_symlinks=False)
                    except OSError:
                        regular = False
                    found.append((entry, regular, not regular and is_dir(entry)))
            self._kinds[folder] = found
        return self._kinds[folder]


def is_dir(entry: os.DirEntry[str]) -> bool:
    """entry.is_dir() (following a link), False for a link that cannot be followed (a loop): the
    loader reads such an entry and reports it, unread.py leaves directories to its own warning."""
    try:
        return entry.is_dir()
    except OSError:
        return False
