"""Read a gateway YAML file: every problem at its file, line and column, with how to fix it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node

from redline.errors import RedlineError
from redline.gateway.config import GatewayConfig
from redline.playbook.problems import PROBLEM_TYPE, Problem, did_you_mean
from redline.playbook.yamltree import position, read_document, walk

__all__ = ["GatewayConfigError", "load_gateway_config", "parse_gateway_config"]

MAX_BYTES = 1_048_576
_START = "start with 'upstreams:' and 'models:' (see docs/gateway.md)"
_HINTS = {
    "missing": "add it here (see docs/gateway.md)",
    "int_parsing": "write a whole number without quotes",
    "float_parsing": "write a number without quotes",
    "greater_than": "use a larger value",
    "string_pattern_mismatch": "see docs/gateway.md for the expected form",
    "literal_error": "use one of the values named",
}


class GatewayConfigError(RedlineError, ValueError):
    """A gateway configuration could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_gateway_config(
    path: str | os.PathLike[str], *, env: Mapping[str, str] = os.environ
) -> GatewayConfig:
    """Read and validate a gateway file; relative paths in it are taken from its folder."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise GatewayConfigError(
            [Problem(source, None, None, f"cannot read the file: {reason}", "check the path")]
        ) from None
    if len(data) > MAX_BYTES:
        raise GatewayConfigError([Problem(source, 1, 1, "the file is over 1 MB", _START)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise GatewayConfigError(
            [Problem(source, None, None, "the file is not UTF-8 text", "save it as UTF-8")]
        ) from None
    config = parse_gateway_config(text, source=source, env=env)
    return config.resolved(Path(path).resolve().parent)


def parse_gateway_config(
    text: str, *, source: str = "<string>", env: Mapping[str, str] = os.environ
) -> GatewayConfig:
    """Validate gateway YAML text (``${VAR}`` read from ``env``); ``source`` names it."""
    doc = read_document(text, source=source, env=env)
    if doc.problems:
        raise GatewayConfigError(doc.problems)
    if not isinstance(doc.root, MappingNode):
        raise GatewayConfigError([Problem(source, 1, 1, "expected a mapping of keys", _START)])
    try:
        return GatewayConfig.model_validate(doc.data)
    except ValidationError as exc:
        problems = [_problem(err, doc.root, source) for err in exc.errors()]
        raise GatewayConfigError(problems) from None


def _problem(err: ErrorDetails, root: Node, source: str) -> Problem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    ctx = err.get("ctx") or {}
    kind = err["type"]
    where = ".".join(str(part) for part in loc) or "the top level"
    if kind == PROBLEM_TYPE:
        loc += tuple(ctx.get("at", ()))
        message, hint = str(ctx["message"]), str(ctx["hint"])
    elif kind == "extra_forbidden":
        known = _fields_at(loc[:-1])
        name = str(loc[-1])
        message = f"unknown key '{name}'{did_you_mean(name, known)}"
        hint = f"use one of: {', '.join(known)}"
    elif kind == "missing":
        message, hint = f"missing required key '{loc[-1]}'", f"add '{loc[-1]}: ...'"
    else:
        message = f"{where}: {err['msg'][:1].lower()}{err['msg'][1:]}"
        hint = _HINTS.get(kind, "see docs/gateway.md")
    key, node = walk(root, loc)
    on_key = kind in {"extra_forbidden", "missing"} and key is not None
    line, column = position(key if on_key and key is not None else node)
    return Problem(source, line, column, message, hint)


def _fields_at(loc: tuple[str | int, ...]) -> list[str]:
    """The keys allowed at ``loc`` (a model's fields), for 'did you mean'."""
    model: Any = GatewayConfig
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(part))
        if field is None:  # a name in a mapping: step into its value type
            continue
        model = _model_in(field.annotation)
    return (
        list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
    )


def _model_in(annotation: Any) -> Any:
    """The model class a field holds, directly, optionally, or as the values of a mapping."""
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return annotation
