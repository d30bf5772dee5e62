"""The simple shape of YAML that configuration files mostly have, read without building YAML nodes.

Reading a 10,000-tenant fleet with PyYAML costs most of a cold `plan` in constructing nodes in
Python. Tenant files nearly always have one shape:

    name: Tenant t00001-bank
    tier: premium
    environments: [staging, production-us]
    parameters:
      rate_limit: {requests_per_second: 50, burst: 100}

`parse(text, loader)` reads exactly that shape and gives what `yaml.load(text, loader)` gives, or
declines (None) and the caller parses with PyYAML, which then reports whatever is wrong. The shape:
printable ASCII lines (no tab, no carriage return); block mappings whose keys are identifiers
(letters, digits, `_`, `-`, starting with a letter or `_`, at most 128 characters) written `key:` at
one indentation per level, starting at column 0; each value a plain scalar, a flow sequence
`[a, b]` of plain scalars, a flow mapping `{k: v}` of plain scalars, nothing (null) or a nested
block mapping; comment lines starting in column 0; blank lines. Plain scalars here start with a
letter, digit or `_` and hold no `:`, `#`, quote, bracket or brace (nor `,` in flow collections).
Everything else declines: quotes, anchors and aliases, tags, block sequences, block scalars,
multi-line scalars, documents markers, directives, non-ASCII text, comments after a value, a key
written twice, a key that is not a string, and every scalar whose type is not a string, a bool, null
or a decimal integer of at most 18 digits (floats, dates, octal `007`, `0x1f`, `1_000`, `1:30`, ...).

A scalar's type comes from the loader's own implicit resolvers (YAML 1.1: `yes`/`on` are booleans,
`~` is null), so the two readers cannot disagree on what a word means; bools are built from the
constructor's own table. Keys are returned in file order, as PyYAML's dicts have them. A `Scalars`
memo remembers what each scalar text means, and what each line says, for the duration of one load
(tenant files repeat most of their lines: `tier: premium`, `parameters:`); a line's sequence or flow
mapping is copied for each file that has it, so no two mappings returned share a list or a dict.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["Scalars", "parse"]

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"

_OUTSIDE_SHAPE = re.compile(r"[^\n\x20-\x7e]")  # tabs, carriage returns, control and non-ASCII characters
_KEY = r"[A-Za-z_][A-Za-z0-9_-]{0,127}"
_BLOCK_SCALAR = r"[A-Za-z0-9_](?:[A-Za-z0-9_ .,/()'+-]*[A-Za-z0-9_.,/()'+-])?"
_FLOW_SCALAR = r"[A-Za-z0-9_](?:[A-Za-z0-9_ ./+-]*[A-Za-z0-9_./+-])?"
_FLOW_SEQUENCE = rf"\[ *(?:{_FLOW_SCALAR}(?: *, *{_FLOW_SCALAR})*)? *\]"
_FLOW_PAIR = rf"{_KEY}: +{_FLOW_SCALAR}"
_FLOW_MAPPING = rf"\{{ *(?:{_FLOW_PAIR}(?: *, *{_FLOW_PAIR})*)? *\}}"
# one line, matched whole: indentation, key, then a plain scalar, a flow sequence, a flow mapping or nothing
_LINE = re.compile(rf"( *)({_KEY}):(?: +(?:({_BLOCK_SCALAR})|({_FLOW_SEQUENCE})|({_FLOW_MAPPING})))? *")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,17}")
_MAX_DEPTH = 8  # nested block mappings; deeper declines
# what a line says (_line): a scalar value, a flow sequence (a tuple, copied into a list), a flow mapping
# (copied), or nothing yet (null unless a nested block mapping follows)
_SCALAR, _SEQUENCE, _FLOW_MAPPING_VALUE, _OPEN = range(4)
_Line = tuple[int, str, int, Any]  # indentation, key, kind, value; indentation -1: a blank line
_BLANK: _Line = (-1, "", _SCALAR, None)
_UNKNOWN = object()  # a word not seen yet


class _Declined(Exception):
    """The text is outside the simple shape: PyYAML reads it."""


class Scalars:
    """What each plain scalar text means to `loader` (its implicit resolvers), remembered.

    Made once per load: resolvers added to the loader class later are seen by the next load."""

    def __init__(self, loader: type[Any]) -> None:
        self._resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = loader.yaml_implicit_resolvers
        self._wildcard = self._resolvers.get(None, [])
        self.usable = not getattr(loader, "yaml_path_resolvers", None)  # path resolvers: decline all
        from yaml.constructor import SafeConstructor  # here: importing this module does not import PyYAML

        self._bools: dict[str, bool] = SafeConstructor.bool_values
        self._known: dict[str, Any] = {}
        self._by_first: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # the resolvers to try, by first character
        self.lines: dict[str, _Line] = {}  # what each line read so far says (_line)

    def value(self, text: str) -> Any:
        """The Python value of the plain scalar `text`; _Declined unless str, bool, null or a small int."""
        value = self._known.get(text, _UNKNOWN)  # not a KeyError per new word: most words are new once
        if value is _UNKNOWN:
            value = self._known[text] = self._construct(text)
        if value is _Declined:
            raise _Declined
        return value

    def _construct(self, text: str) -> Any:
        tag = self._tag(text)
        if tag == _STR:
            return text
        if tag == _BOOL:
            return self._bools[text.lower()]
        if tag == _NULL:
            return None
        if tag == _INT and _DECIMAL.fullmatch(text):
            return int(text)
        return _Declined

    def _tag(self, text: str) -> str:
        """yaml.resolver.BaseResolver.resolve for a plain scalar (implicit resolvers only)."""
        first = text[0] if text else ""
        resolvers = self._by_first.get(first)
        if resolvers is None:
            resolvers = self._by_first[first] = self._resolvers.get(first, []) + self._wildcard
        for tag, pattern in resolvers:
            if pattern.match(text):
                return str(tag)
        return _STR


def parse(text: str, scalars: Scalars) -> dict[str, Any] | None:
    """The mapping `text` holds, exactly as PyYAML's safe loader with `scalars`' resolvers builds it,
    when `text` has the simple shape; None (declined) otherwise. Never raises on any text."""
    if not scalars.usable:
        return None
    try:
        return _mapping(text.split("\n"), scalars)
    except _Declined:
        return None


def _mapping(lines: list[str], scalars: Scalars) -> dict[str, Any]:
    root: dict[str, Any] = {}
    levels: list[tuple[int, dict[str, Any]]] = [(0, root)]  # open block mappings: indentation, mapping
    pending: tuple[int, dict[str, Any], str] | None = None  # a `key:` with nothing after it yet
    known = scalars.lines
    for line in lines:
        if not line:
            continue
        said = known.get(line)
        if said is None:
            said = known[line] = _line(line, scalars.value)
        indent, key, kind, item = said
        if indent < 0:
            continue  # a blank line of spaces
        if pending is not None:
            above, owner, owner_key = pending
            pending = None
            if indent > above:  # the value of the pending key is a nested block mapping
                if len(levels) >= _MAX_DEPTH:
                    raise _Declined
                nested: dict[str, Any] = {}
                owner[owner_key] = nested
                levels.append((indent, nested))
        while levels[-1][0] > indent:
            levels.pop()
        level, mapping = levels[-1]
        if level != indent or key in mapping:
            raise _Declined  # bad indentation, or PyYAML's "found duplicate key"
        if kind == _SCALAR:
            mapping[key] = item
        elif kind == _SEQUENCE:
            mapping[key] = list(item)
        elif kind == _FLOW_MAPPING_VALUE:
            mapping[key] = dict(item)
        else:
            mapping[key] = item  # null, unless the next line opens a nested mapping
            pending = (indent, mapping, key)
    if not root:
        raise _Declined  # empty or comments only: PyYAML says what that is
    return root


def _line(line: str, value: Callable[[str], Any]) -> _Line:
    """What one (non-empty) line says; _Declined when it is outside the shape. Only printable ASCII
    passes: _LINE admits nothing else, a comment (from column 0) is searched for anything else."""
    if line[0] == "#":
        if _OUTSIDE_SHAPE.search(line):
            raise _Declined
        return _BLANK
    match = _LINE.fullmatch(line)
    if match is None:
        if line.strip(" "):
            raise _Declined
        return _BLANK
    spaces, key_text, scalar, sequence, flow_mapping = match.groups()
    key = value(key_text)
    if type(key) is not str:
        raise _Declined  # PyYAML: "keys must be strings" (top level), or a key no JSON-like mapping has
    if scalar is not None:
        return len(spaces), key, _SCALAR, value(scalar)
    if sequence is not None:
        inner = sequence[1:-1].strip(" ")
        return len(spaces), key, _SEQUENCE, tuple(value(item.strip(" ")) for item in inner.split(",")) if inner else ()
    if flow_mapping is not None:
        return len(spaces), key, _FLOW_MAPPING_VALUE, _flow_mapping(flow_mapping, value)
    return len(spaces), key, _OPEN, value("")


def _flow_mapping(text: str, value: Callable[[str], Any]) -> dict[Any, Any]:
    """`{k: v, ...}`, already matched whole by _FLOW_MAPPING."""
    inner = text[1:-1].strip(" ")
    mapping: dict[Any, Any] = {}
    for pair in inner.split(",") if inner else ():
        key_text, value_text = pair.split(":")
        key = value(key_text.strip(" "))
        if type(key) is not str or key in mapping:
            raise _Declined
        mapping[key] = value(value_text.strip(" "))
    return mapping
