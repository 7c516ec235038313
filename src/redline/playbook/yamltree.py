"""YAML read as a node tree, so every value keeps its line and column."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from redline.playbook.problems import Problem

__all__ = ["MAX_VALUES", "Document", "position", "read_document", "walk"]

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: More values than this once aliases are expanded is refused (the "billion laughs" attack).
MAX_VALUES = 1_000_000
_SYNTAX_HINT = (
    "check indentation and quoting on this line and the one before; "
    "quote values that contain ': ', ' #', or start with a special character"
)
_TAG_HINT = "remove the '!!' tag: a playbook holds plain YAML values only"


@dataclass
class Document:
    """A parsed file: the root node (None when empty), its data, and the problems found."""

    root: Node | None = None
    data: Any = None
    problems: list[Problem] = field(default_factory=list)
    #: (line, column) of each value left as written because a ${VAR} in it is not set.
    unresolved: set[tuple[int | None, int | None]] = field(default_factory=set)
    #: Each value read from the environment, and the ``${VAR}`` it replaced (for redaction).
    secrets: dict[str, str] = field(default_factory=dict)


def position(node: Node) -> tuple[int, int]:
    """The 1-based line and column where ``node`` starts."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def _child(node: Node, part: str | int) -> tuple[Node, Node] | None:
    """The (key node, value node) of ``part`` in a mapping or sequence node, if present."""
    if isinstance(node, MappingNode):
        # The last of duplicate keys, as that is the one YAML keeps.
        pairs = [
            (k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(part)
        ]
        if pairs:
            return pairs[-1]
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item, item
    return None


def _nodes(root: Node) -> Iterator[Node]:
    """Each node once (aliases share nodes, and may even form cycles)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


def _expanded_size(root: Node) -> int:
    """How many values the tree holds with every alias expanded (a cycle counts as too many)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        kids = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else []
        kids = node.value if isinstance(node, SequenceNode) else kids
        if done:
            sizes[id(node)] = min(MAX_VALUES + 1, 1 + sum(sizes.get(id(k), 0) for k in kids))
        elif id(node) not in sizes:
            sizes[id(node)] = MAX_VALUES + 1  # in progress: a cycle back here is too big
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes[id(root)]


def _duplicates(root: Node, source: str) -> Iterator[Problem]:
    for node in _nodes(root):
        if not isinstance(node, MappingNode):
            continue
        first: dict[str, int] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
                continue
            line, column = position(key)
            if key.value in first:
                yield Problem(
                    source,
                    line,
                    column,
                    f"duplicate key '{key.value}' (first written on line {first[key.value]})",
                    "keep one of them: YAML would silently use only the last",
                )
            first.setdefault(key.value, line)


def _substitute(
    root: Node, source: str, env: Mapping[str, str], secrets: dict[str, str]
) -> Iterator[Problem]:
    """Replace ``${VAR}`` in string values from ``env``, noting each value in ``secrets``."""
    for node in _nodes(root):
        if not (isinstance(node, ScalarNode) and node.tag == _STR_TAG and "${" in node.value):
            continue
        missing = [name for name in _VAR.findall(node.value) if name not in env]
        for name in missing:
            yield Problem(
                source,
                *position(node),
                f"environment variable '{name}' is not set",
                f"set it before running redline (export {name}=...), or write the value here",
            )
        if not missing:
            secrets.update({env[name]: f"${{{name}}}" for name in _VAR.findall(node.value)})
            node.value = _VAR.sub(lambda m: env[m[1]], node.value)


def _syntax_problem(exc: yaml.YAMLError, text: str, source: str) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        context = f" ({exc.context})" if exc.context else ""
        hint = _TAG_HINT if "constructor for the tag" in str(exc.problem) else _SYNTAX_HINT
        return Problem(source, line, column, f"invalid YAML: {exc.problem}{context}", hint)
    at = getattr(exc, "position", 0)
    line = text.count("\n", 0, at) + 1
    reason = getattr(exc, "reason", "unreadable character")
    return Problem(
        source,
        line,
        at - text.rfind("\n", 0, at),
        f"invalid YAML: {reason}",
        "remove control characters; save the file as UTF-8 text",
    )


def read_document(text: str, *, source: str, env: Mapping[str, str]) -> Document:
    """Parse one YAML document into nodes and data, collecting syntax and structure problems."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        root = loader.get_single_node()
        if root is None:
            return Document()
        if _expanded_size(root) > MAX_VALUES:
            message = f"the file holds more than {MAX_VALUES:,} values once aliases are expanded"
            return Document(root, None, [Problem(source, 1, 1, message, "remove the aliases")])
        secrets: dict[str, str] = {}
        unset = list(_substitute(root, source, env, secrets))
        problems = [*_duplicates(root, source), *unset]
        unresolved = {(p.line, p.column) for p in unset}
        data = loader.construct_document(root)
        return Document(root, data, problems, unresolved, secrets)
    except yaml.YAMLError as exc:
        return Document(None, None, [_syntax_problem(exc, text, source)])
    except RecursionError:
        return Document(None, None, [Problem(source, 1, 1, "nested too deeply", _SYNTAX_HINT)])
    finally:
        if loader is not None:
            loader.dispose()


def walk(root: Node, loc: Sequence[str | int]) -> tuple[Node | None, Node]:
    """The deepest (key node, value node) along ``loc``, skipping parts absent from the file."""
    # Skipped parts: a discriminated union's tag, a derived field, a key that is missing.
    key: Node | None = None
    node = root
    for part in loc:
        pair = _child(node, part)
        if pair is not None:
            key, node = pair
    return key, node
