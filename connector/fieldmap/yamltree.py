"""Read field-map YAML into plain data while remembering the line of every key.

PyYAML's composer keeps each node's start mark; building the data ourselves from that node
tree lets error messages say `file:line`, and lets us refuse what `yaml.safe_load` would
quietly accept: duplicate keys (the last one silently wins there), non-text keys, merge
keys and exotic tags. Strings get `${VAR}` interpolation here because this is where their
line is known. Nothing here raises for bad input: problems are collected and returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from connector.fieldmap.envvars import interpolate
from connector.fieldmap.problems import KeyPath, Problem, key_text

_TAG = "tag:yaml.org,2002:"
_NATIVE_SCALARS = frozenset({_TAG + "null", _TAG + "bool", _TAG + "int", _TAG + "float"})
_MAX_NODES = 100_000


@dataclass
class Document:
    """The data of a YAML document, the line of each key path, and the problems found."""

    data: Any = None
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _compose(text: str, document: Document) -> tuple[yaml.SafeLoader | None, Node | None]:
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        return loader, loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        context = exc.context or ""
        if context and exc.context_mark and exc.context_mark.line + 1 != line:
            context += f" (from line {exc.context_mark.line + 1})"
        what = ", ".join(part for part in (context, exc.problem) if part)
        document.problems.append(
            Problem(line, "", f"YAML syntax error: {what}; check indentation and quoting")
        )
    except yaml.YAMLError as exc:
        document.problems.append(Problem(None, "", f"not readable as YAML: {exc}"))
    except RecursionError:
        document.problems.append(Problem(None, "", "YAML nested too deeply; flatten it"))
    return loader, None


def read_yaml(text: str, env: Mapping[str, str]) -> Document:
    """Parse one YAML document into data, key lines and problems (never raises for bad YAML)."""
    document = Document()
    loader, node = _compose(text, document)
    if loader is None:
        return document
    try:
        if node is not None:
            document.data = _Builder(loader, env, document).build(node, ())
    finally:
        loader.dispose()
    return document


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, env: Mapping[str, str], doc: Document) -> None:
        self.loader = loader
        self.env = env
        self.doc = doc
        self.active: set[int] = set()
        self.count = 0

    def problem(self, node: Node, path: KeyPath, message: str) -> None:
        self.doc.problems.append(Problem(node.start_mark.line + 1, key_text(path), message))

    def build(self, node: Node, path: KeyPath) -> Any:
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        self.count += 1
        if self.count > _MAX_NODES:
            if self.count == _MAX_NODES + 1:
                self.problem(node, path, "document too large (alias expansion?); simplify it")
            return None
        if id(node) in self.active:
            self.problem(node, path, "an alias refers to itself; remove the recursion")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
            if isinstance(node, SequenceNode):
                return self.sequence(node, path)
            return self.scalar(node, path)
        finally:
            self.active.discard(id(node))

    def sequence(self, node: SequenceNode, path: KeyPath) -> list[Any] | None:
        if node.tag != _TAG + "seq":
            self.problem(node, path, f"unsupported YAML tag {node.tag}; write a plain list")
            return None
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any] | None:
        if node.tag != _TAG + "map":
            self.problem(node, path, f"unsupported YAML tag {node.tag}; write a plain mapping")
            return None
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _TAG + "merge":
                self.problem(key_node, path, "keys must be plain text (no merge keys or lists)")
                continue
            key = key_node.value
            key_path = (*path, key)
            if key in result:
                first = self.doc.lines.get(key_path)
                self.problem(
                    key_node, key_path, f"duplicate key {key!r} (first at line {first}); keep one"
                )
                continue
            self.doc.lines[key_path] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, key_path)
        return result

    def scalar(self, node: Node, path: KeyPath) -> Any:
        if node.tag == _TAG + "str":
            text, problems = interpolate(str(node.value), self.env)
            for message in problems:
                self.problem(node, path, message)
            return text
        if node.tag == _TAG + "timestamp":
            return str(node.value)  # the model has no date settings: keep what was written
        if node.tag in _NATIVE_SCALARS:
            try:
                return self.loader.construct_object(node)
            except (ValueError, OverflowError, yaml.YAMLError):
                self.problem(node, path, f"cannot read {node.value!r}; quote it")
                return None
        self.problem(node, path, f"unsupported YAML tag {node.tag}; remove the tag")
        return None
