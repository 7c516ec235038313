"""Load a playbook file: YAML nodes → pydantic models, every problem at its line and column."""

from __future__ import annotations

import os
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, SequenceNode

from redline.playbook.models import Playbook
from redline.playbook.problems import PROBLEM_TYPE, PlaybookError, Problem, did_you_mean
from redline.playbook.yamltree import position, read_document, walk

__all__ = ["MAX_BYTES", "load_playbook", "parse_playbook"]

MAX_BYTES = 1_048_576
_START = (
    "start with 'models:' and one model with 'reference' and 'primary' (see examples/redline.yaml)"
)
_TYPE_HINTS = {
    "int": "write a whole number without quotes, e.g. 60",
    "float": "write a number without quotes, e.g. 0.5",
    "greater": "use a larger value",
    "less": "use a smaller value",
    "bool": "write true or false",
    "string": "write text; quote values that YAML reads as numbers or booleans, e.g. '1.0'",
    "dict": "write a mapping: 'key: value' lines indented under this key",
    "model": "write a mapping: 'key: value' lines indented under this key",
    "list": "write a list: '- item' lines, or [a, b]",
    "path": "write a file path",
    "too_short": "give at least one character or item",
    "string_too_short": "give at least one character",
}

#: Messages for shape errors whose pydantic text would name internal classes.
_SHAPES = {
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "list_type": "expected a list",
}


def load_playbook(path: str | os.PathLike[str], *, env: Mapping[str, str] = os.environ) -> Playbook:
    """Read and validate a playbook file; raise PlaybookError listing every problem."""
    source = str(path)
    try:
        size = Path(path).stat().st_size
        data = Path(path).read_bytes() if size <= MAX_BYTES else b""
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PlaybookError(
            [Problem(source, None, None, f"cannot read the playbook: {reason}", "check the path")]
        ) from None
    if size > MAX_BYTES:
        raise PlaybookError([_oversize(source, size)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        message = "the file is not UTF-8 text"
        raise PlaybookError([Problem(source, line, column, message, "save it as UTF-8")]) from None
    return parse_playbook(text, source=source, env=env)


def parse_playbook(
    text: str, *, source: str = "<string>", env: Mapping[str, str] = os.environ
) -> Playbook:
    """Validate playbook YAML text; ``source`` names it in problems."""
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise PlaybookError([_oversize(source, size)])
    doc = read_document(text, source=source, env=env)
    if doc.root is None and not doc.problems:
        raise PlaybookError([Problem(source, 1, 1, "the playbook is empty", _START)])
    if doc.root is None or (doc.data is None and doc.problems):
        raise PlaybookError(doc.problems)
    if not isinstance(doc.root, MappingNode):
        shape = "a list" if isinstance(doc.root, SequenceNode) else "a single value"
        message = f"the playbook must be a mapping of keys, not {shape}"
        raise PlaybookError([Problem(source, *position(doc.root), message, _START)])
    problems = list(doc.problems)
    try:
        playbook = Playbook.model_validate(doc.data)
    except ValidationError as exc:
        found = [_problem(err, doc.root, source) for err in exc.errors()]
        # A value whose ${VAR} is unset is already reported; its validation error adds nothing.
        problems += [p for p in found if (p.line, p.column) not in doc.unresolved]
    if problems:
        redacted = [_redact(p, doc.secrets) for p in problems]
        raise PlaybookError(sorted(redacted, key=lambda p: (p.line or 0, p.column or 0)))
    return playbook


#: Values at least this long are redacted wherever they appear; shorter ones (``s``, ``1``) would
#: match inside ordinary words, so they are redacted only where a message quotes a value.
_REDACT_ANYWHERE = 8


def _redact(problem: Problem, secrets: Mapping[str, str]) -> Problem:
    """The problem with every value read from the environment shown as its ``${VAR}``."""
    message, hint = problem.message, problem.hint
    for value in sorted(filter(None, secrets), key=len, reverse=True):
        name = secrets[value]
        if len(value) >= _REDACT_ANYWHERE:
            pairs = [(value, name)]
        else:
            pairs = [(f"{q}{value}{q}", f"{q}{name}{q}") for q in ("'", '"')]
        for found, shown in pairs:
            message, hint = message.replace(found, shown), hint.replace(found, shown)
    return replace(problem, message=message, hint=hint)


def _oversize(source: str, size: int) -> Problem:
    message = f"the file is {size / 1_048_576:.1f} MB; playbooks are limited to 1 MB"
    return Problem(source, 1, 1, message, "move data (canary inputs, references) to other files")


def _path(loc: Sequence[str | int]) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    return text.lstrip(".") or "the top level"


def _alternatives(tp: Any) -> list[Any]:
    """A type's alternatives: Annotated stripped, unions split, None dropped."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _alternatives(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [alt for arg in get_args(tp) for alt in _alternatives(arg)]
    return [] if tp is type(None) else [tp]


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The playbook model class that a location inside the file is validated by."""
    options: list[Any] = [Playbook]
    for part in loc:
        models = [o for o in options if isinstance(o, type) and issubclass(o, BaseModel)]
        field = [m.model_fields[part] for m in models if part in m.model_fields]
        tagged = [
            m
            for m in models
            if part in get_args(getattr(m.model_fields.get("type"), "annotation", None))
        ]
        if field:
            options = _alternatives(field[0].annotation)
        elif tagged:  # a discriminated union puts the tag in the location
            options = tagged
        else:
            inner = [get_args(o)[-1] for o in options if get_origin(o) in (dict, list)]
            options = [alt for tp in inner for alt in _alternatives(tp)]
    found = [o for o in options if isinstance(o, type) and issubclass(o, BaseModel)]
    return found[0] if found else None


def _message(err: ErrorDetails, loc: tuple[str | int, ...]) -> tuple[str, str]:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == PROBLEM_TYPE:
        return str(ctx["message"]), str(ctx["hint"])
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        known = list(model.model_fields) if model else []
        name = str(loc[-1])
        unknown = str(getattr(model, "unknown_key", "unknown key '{name}'")).format(name=name)
        return f"{unknown}{did_you_mean(name, known)}", f"use one of: {', '.join(known)}"
    if kind == "missing":
        where = f" in '{_path(loc[:-1])}'" if loc[:-1] else ""
        return f"missing required key '{loc[-1]}'{where}", f"add '{loc[-1]}: ...' here"
    if kind == "union_tag_invalid":
        tags = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        tag = str(ctx.get("tag"))
        return (
            f"unknown channel type '{tag}'{did_you_mean(tag, tags)}",
            f"use one of: {', '.join(tags)}",
        )
    if kind == "union_tag_not_found":
        return (
            f"'{_path(loc)}' has no 'type'",
            "add 'type: webhook', 'type: slack' or 'type: pagerduty'",
        )
    msg = _SHAPES.get(kind) or err["msg"][:1].lower() + err["msg"][1:]
    if kind == "literal_error":
        return f"{_path(loc)}: {msg}", f"write {ctx.get('expected', '')}"
    hint = _TYPE_HINTS.get(kind) or _TYPE_HINTS.get(kind.split("_")[0], "see examples/redline.yaml")
    return f"{_path(loc)}: {msg}", hint


def _problem(err: ErrorDetails, root: Node, source: str) -> Problem:
    """One pydantic error as a problem located in the YAML node tree."""
    loc: tuple[str | int, ...] = tuple(err["loc"])
    on_key = bool(loc) and loc[-1] == "[key]"
    loc = loc[:-1] if on_key else loc
    message, hint = _message(err, loc)
    if err["type"] == PROBLEM_TYPE:
        loc += tuple((err.get("ctx") or {}).get("at", ()))
    elif err["type"].startswith("union_tag"):
        loc += ("type",)
    on_key = on_key or err["type"] in {"extra_forbidden", "missing"}
    key, node = walk(root, loc)
    line, column = position(key if on_key and key is not None else node)
    return Problem(source, line, column, message, hint)
