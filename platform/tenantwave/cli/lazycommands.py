"""The group's subcommands, each module imported when one of its commands is first looked up.

`platform plan` needs the read commands only; importing the modules of up, drift, ci, tenant...
too cost it 8-10 ms of CPU (3% of a plan of the example fleet). Click's documented way is a Group
overriding `list_commands` and `get_command`; but click also reads the group's `commands` mapping directly (the "Did you
mean" of an unknown command), and so do the tests that walk every command. So the mapping itself
is lazy: `LazyCommands` knows every name from the start (iterating, `in`, `len` import nothing)
and imports a command's module when the command itself is asked for (`get`, `[]`, `items()`,
`values()`). `platform --help` and completing a subcommand name list them all, as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping

import click


class LazyCommands(MutableMapping[str, click.Command]):
    """`name -> command`, the command imported as `module.name` on first use, then `loaded(it, name)`."""

    def __init__(self, modules: Mapping[str, str], loaded: Callable[[click.Command, str], None]) -> None:
        self._pending = dict(modules)
        self._commands: dict[str, click.Command] = {}
        self._loaded = loaded

    def __getitem__(self, name: str) -> click.Command:
        if name in self._pending:
            self._load(name)
        return self._commands[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._pending.pop(name, None)
        self._commands[name] = command

    def __delitem__(self, name: str) -> None:
        if self._pending.pop(name, None) is None:
            del self._commands[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._commands, *self._pending])

    def __len__(self) -> int:
        return len(self._commands) + len(self._pending)

    def __contains__(self, name: object) -> bool:
        return name in self._commands or name in self._pending

    def _load(self, name: str) -> None:
        module = importlib.import_module(self._pending[name])
        command = getattr(module, name)
        if not isinstance(command, click.Command) or command.name != name:
            raise TypeError(f"{self._pending[name]}.{name} is not the command {name!r}")
        del self._pending[name]
        self._commands[name] = command
        self._loaded(command, name)
