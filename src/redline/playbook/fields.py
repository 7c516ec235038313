"""Field types shared by the playbook models: durations, named choices, targets, secret URLs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, SecretStr

from redline.domain import Severity
from redline.playbook.problems import did_you_mean, problem_error

__all__ = [
    "Duration",
    "SecretUrl",
    "SeverityName",
    "Strict",
    "Target",
    "choice",
    "format_duration",
    "parse_duration",
]

_UNITS_S = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_TARGET = re.compile(r"[A-Za-z_][\w.\-]*:[\w.\-]+")
_DURATION_HINT = "write a whole number followed by s, m, h or d, e.g. '90s', '15m', '1h', '2d'"


class Strict(BaseModel):
    """Base of every playbook model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The error message for an unknown key ``{name}`` in this model.
    unknown_key: ClassVar[str] = "unknown key '{name}'"


def parse_duration(value: object) -> int:
    """Seconds in "90s", "15m", "1h", "2d" or "1h30m"; a bare whole number is seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = value.strip().lower() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit():
        return int(text)
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        shown = f"'{value}'" if isinstance(value, str) else "this value"
        raise problem_error(f"invalid duration {shown}", _DURATION_HINT)
    return sum(int(n) * s for n, s in zip(match.groups(), _UNITS_S.values(), strict=True) if n)


def format_duration(seconds: int) -> str:
    """The shortest spelling that ``parse_duration`` reads back: 5400 → "1h30m"."""
    parts, rest = [], seconds
    for unit, size in _UNITS_S.items():
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def choice(noun: str, options: Iterable[str]) -> BeforeValidator:
    """A validator accepting one of ``options`` (any case), with a did-you-mean error otherwise."""
    known = tuple(options)
    by_lower = {option.lower(): option for option in known}

    def check(value: object) -> object:
        if isinstance(value, str) and value.lower() in by_lower:
            return by_lower[value.lower()]
        hint = f"use one of: {', '.join(known)}"
        if not isinstance(value, str):
            raise problem_error(f"expected the name of a {noun}", hint)
        raise problem_error(f"unknown {noun} '{value}'{did_you_mean(value, known)}", hint)

    return BeforeValidator(check)


def _check_target(value: str) -> str:
    if not _TARGET.fullmatch(value):
        raise problem_error(
            f"'{value}' is not a model target",
            "write 'model:version' (a registered version or alias, e.g. 'credit:v3') "
            "or 'module:function' (e.g. 'rules:credit_fallback')",
        )
    return value


def _check_http(value: SecretStr) -> SecretStr:
    # The URL may carry a token, so the message never repeats it.
    if not value.get_secret_value().startswith(("http://", "https://")):
        raise problem_error(
            "this URL must start with http:// or https://",
            "write the full URL, or '${ENV_VAR}' to read it from the environment",
        )
    return value


SeverityName = Annotated[Severity, choice("severity", [s.value for s in Severity])]
Duration = Annotated[int, BeforeValidator(parse_duration)]
Target = Annotated[str, AfterValidator(_check_target)]
SecretUrl = Annotated[SecretStr, AfterValidator(_check_http)]
