"""The YAML reader for curation files: refuses what a hand-written curation never needs.

Duplicate keys, alias bombs, deep nesting, non-finite numbers and integers outside 64 bits are
refused with the line, column and key where they occur; every value's position is recorded so
later errors can point into the file too.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 2_000_000  # the largest curation file is ~30 kB
MAX_DEPTH = 20  # a curation file nests four levels deep
MAX_ALIASES = 100
MAX_NODES = 100_000  # values after expanding aliases: what stops "billion laughs"
INT_RANGE = (-(2**63), 2**63 - 1)  # the published integer columns are 64-bit

PathKey = tuple[str | int, ...]


@dataclass
class Positions:
    """Where each value (and each mapping key) starts, by its path from the document root; 1-based."""

    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: PathKey) -> tuple[int, int] | None:
        """The position of `path`, or of its nearest recorded ancestor."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return None


class YamlRefused(Exception):
    """A YAML document that parses but is refused; carries its position and key path."""

    def __init__(self, message: str, line: int, column: int, path: PathKey):
        self.message, self.line, self.column, self.path = message, line, column, path
        super().__init__(message)


def split_path(path: PathKey) -> tuple[str | None, str | None]:
    """("events", 1, "quote") -> ("events[2]", "quote"): the record and the key, as curation errors name them."""
    def dotted(parts: PathKey) -> str | None:
        return ".".join(f"[{p + 1}]" if isinstance(p, int) else str(p) for p in parts).replace(".[", "[") or None

    if len(path) >= 2 and isinstance(path[1], int):
        return f"{path[0]}[{path[1] + 1}]", dotted(path[2:])
    if len(path) >= 2:
        return str(path[0]), dotted(path[1:])
    return None, dotted(path)


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str):
        super().__init__(stream)
        self._path: list[str | int] = []
        self._paths: dict[int, PathKey] = {}
        self._weights: dict[int, int] = {}
        self._aliases = 0
        self.positions = Positions()

    def _refuse(self, message: str, mark: Any, path: PathKey) -> YamlRefused:
        return YamlRefused(message, mark.line + 1, mark.column + 1, path)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if parent is None:
            label: str | int | None = None
        elif isinstance(index, int):
            label = index
        elif isinstance(index, ScalarNode):
            label = str(index.value)
        else:
            label = "?"  # a mapping key, or a value under a complex key
        if label is not None:
            self._path.append(label)
        try:
            path = tuple(self._path)
            mark = self.peek_event().start_mark
            if len(path) > MAX_DEPTH:
                raise self._refuse(f"nested deeper than {MAX_DEPTH} levels", mark, path)
            is_alias = self.check_event(yaml.AliasEvent)
            if is_alias:
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    raise self._refuse(f"more than {MAX_ALIASES} YAML aliases (*name) in one file; write the values out", mark, path)
            node = super().compose_node(parent, index)
            assert node is not None  # the composer returns a node or raises
            if is_alias and id(node) not in self._weights:
                raise self._refuse("a YAML alias that refers to itself (a recursive structure)", mark, path)
            if not is_alias:
                self._paths[id(node)] = path
                if parent is not None and index is None:
                    pass  # a mapping key: its position is recorded with its value below
                else:
                    self.positions.values[path] = (mark.line + 1, mark.column + 1)
                self._weights[id(node)] = 1 + self._children_weight(node)
            if self._weights[id(node)] > MAX_NODES:
                raise self._refuse(
                    f"expands to more than {MAX_NODES} values through YAML aliases (an alias bomb); write the values out", mark, path,
                )
            return node
        finally:
            if label is not None:
                self._path.pop()

    def _children_weight(self, node: Node) -> int:
        if isinstance(node, SequenceNode):
            return sum(self._weights.get(id(child), 1) for child in node.value)
        if isinstance(node, MappingNode):
            parent = self._paths.get(id(node))
            for key, _ in node.value:
                if parent is not None and isinstance(key, ScalarNode):
                    self.positions.keys[(*parent, str(key.value))] = (key.start_mark.line + 1, key.start_mark.column + 1)
            return sum(self._weights.get(id(k), 1) + self._weights.get(id(v), 1) for k, v in node.value)
        return 0

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # keys merged in with << may be overridden; that is what merging means
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # the base class reports an unhashable key
                path = (*self._paths.get(id(node), ()), str(key))
                if key in seen:
                    first = seen[key]
                    raise self._refuse(
                        f"duplicate key {key}: it is also at line {first.line + 1}, column {first.column + 1}; keep one",
                        key_node.start_mark, path,
                    )
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]

    def _path_of(self, node: Node) -> PathKey:
        return self._paths.get(id(node), ())

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(node.value)
        low, high = INT_RANGE
        shown = text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"
        message = f"{shown} is outside the 64-bit integer range {low} to {high}"
        if len(text.replace("_", "")) > 70:  # refuse before converting: int() of a huge literal is slow or refused
            raise self._refuse(message, node.start_mark, self._path_of(node))
        value = int(super().construct_yaml_int(node))
        if not low <= value <= high:
            raise self._refuse(message, node.start_mark, self._path_of(node))
        return value

    def construct_yaml_float(self, node: ScalarNode) -> float:
        value = float(super().construct_yaml_float(node))
        if not math.isfinite(value):
            raise self._refuse(f"{node.value} is not a finite number", node.start_mark, self._path_of(node))
        return value

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise self._refuse(f"{node.value} is not a valid date ({exc})", node.start_mark, self._path_of(node)) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class YamlSyntaxError(Exception):
    """Text that is not YAML; line and column are 1-based, 0 when unknown."""

    def __init__(self, message: str, line: int, column: int):
        self.message, self.line, self.column = message, line, column
        super().__init__(message)


_PARSED: dict[str, tuple[Any, Positions]] = {}
# Characters of the documents kept, in all (a curation folder has ~150 000; the largest file ~30 000). A document read
# takes about 36 bytes a character as data and positions, so the kept documents stay under ~75 MB.
_PARSED_CHARACTERS = 2_000_000


def parse(text: str) -> tuple[Any, Positions]:
    """The data of one YAML document and the positions of its values. Raises YamlRefused or YamlSyntaxError.

    Kept per process by the text, and handed out as a copy (the caller may change it): a build, its validation and a
    release read the same curation files several times, and the pure-Python reader this needs costs ten times a copy."""
    if text not in _PARSED:
        parsed = _parse(text)
        if len(text) > _PARSED_CHARACTERS // 4:
            return parsed
        while _PARSED and sum(map(len, _PARSED)) + len(text) > _PARSED_CHARACTERS:
            _PARSED.pop(next(iter(_PARSED)))  # the oldest first
        _PARSED[text] = parsed
    return copy.deepcopy(_PARSED[text])


def _parse(text: str) -> tuple[Any, Positions]:
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader checks every character here
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        raise YamlSyntaxError(problem, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0) from None
    except yaml.YAMLError as exc:  # a reader error: a character YAML does not allow
        position = getattr(exc, "position", None)
        line, column = _line_column(text, position) if isinstance(position, int) else (0, 0)
        character = getattr(exc, "character", None)
        if isinstance(character, str):
            character = ord(character)
        reason = f"the character U+{character:04X} is not allowed in YAML" if isinstance(character, int) else "malformed YAML"
        raise YamlSyntaxError(reason, line, column) from None
    except RecursionError:
        raise YamlSyntaxError(f"nested deeper than {MAX_DEPTH} levels", 0, 0) from None
    finally:
        if loader is not None:
            loader.dispose()
    assert loader is not None
    return data, loader.positions


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def read(path: Path) -> str:
    """The file's text, refusing files too large to be a curation file. OSError/UnicodeDecodeError pass through."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise YamlSyntaxError(f"the file has {size} bytes; a curation file is at most {MAX_BYTES}", 0, 0)
    return path.read_bytes().decode("utf-8")
