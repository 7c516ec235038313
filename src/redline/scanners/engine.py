"""Regex compilation: RE2 (linear time) when installed, Python `re` for vetted built-in rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Protocol

from redline.errors import MissingExtraError, RedlineError

__all__ = [
    "CompiledPattern",
    "PatternError",
    "PatternSet",
    "compile_builtin",
    "compile_user",
    "re2_available",
]


class PatternError(RedlineError, ValueError):
    """A user pattern does not compile (RE2 has no backreferences or lookarounds)."""


class CompiledPattern(Protocol):
    """What the scanners need of a compiled regex (RE2's and `re`'s both fit)."""

    def search(self, text: str) -> Any:
        """The first match in `text`, or None."""
        ...

    def finditer(self, text: str) -> Iterator[Any]:
        """Every non-overlapping match in `text`, left to right."""
        ...


@lru_cache(maxsize=1)
def _re2() -> Any | None:
    try:
        import re2  # optional: the `llm` extra
    except ImportError:
        return None
    return re2


def re2_available() -> bool:
    """True when `google-re2` is installed (the `llm` extra)."""
    return _re2() is not None


def _compile_re2(pattern: str) -> CompiledPattern:
    re2 = _re2()
    assert re2 is not None
    options = re2.Options()
    options.log_errors = False  # a bad user pattern is reported once, as PatternError
    try:
        compiled: CompiledPattern = re2.compile(pattern, options)
    except re2.error as exc:
        raise PatternError(f"pattern {pattern!r} does not compile with RE2: {exc}") from exc
    return compiled


class PatternSet:
    """Which of many patterns match a text, in one RE2 pass (`RE2::Set`); None without RE2."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        re2 = _re2()
        assert re2 is not None
        options = re2.Options()
        options.log_errors = False
        self._set = re2.Set.SearchSet(options)
        for pattern in patterns:
            self._set.Add(pattern)
        self._set.Compile()

    @classmethod
    def build(cls, patterns: tuple[str, ...]) -> PatternSet | None:
        """A set over `patterns` when RE2 is installed, else None (callers try each pattern)."""
        return cls(patterns) if re2_available() and patterns else None

    def matching(self, text: str) -> frozenset[int]:
        """Indices of the patterns that match somewhere in `text`."""
        return frozenset(self._set.Match(text) or ())


@lru_cache(maxsize=512)
def compile_builtin(pattern: str) -> CompiledPattern:
    """Compile a built-in rule: RE2 when available, else `re` (rules are written to be linear)."""
    if re2_available():
        return _compile_re2(pattern)
    return re.compile(pattern)


def compile_user(pattern: str) -> CompiledPattern:
    """Compile a user-supplied pattern; it needs RE2 so that no pattern can hang a request."""
    if not re2_available():
        raise MissingExtraError("llm", needed_for="custom scanner patterns (linear-time RE2)")
    return _compile_re2(pattern)
