"""Playbook problems: where (file, line, column), what is wrong, and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic_core import PydanticCustomError

from redline.errors import RedlineError

__all__ = ["PROBLEM_TYPE", "PlaybookError", "Problem", "did_you_mean", "problem_error"]

#: pydantic error type of every problem the playbook models raise themselves.
PROBLEM_TYPE = "playbook_problem"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a playbook, at a 1-based line and column (None: the whole file)."""

    file: str
    line: int | None
    column: int | None
    message: str
    hint: str = ""

    @property
    def where(self) -> str:
        """``file:line:column``, or just the file when there is no position."""
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"

    def __str__(self) -> str:
        if not self.hint:
            return f"{self.where}: {self.message}"
        stop = "" if self.message.endswith(("?", ".")) else "."
        return f"{self.where}: {self.message}{stop} Fix: {self.hint}"


class PlaybookError(RedlineError, ValueError):
    """A playbook could not be loaded; ``problems`` lists every reason, one per line in str()."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` — did you mean 'x'?`` for the closest option (case-insensitive), or an empty string."""
    by_lower = {option.lower(): option for option in options}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" — did you mean '{by_lower[close[0]]}'?" if close else ""


def problem_error(
    message: str, hint: str = "", *, at: Sequence[str | int] = ()
) -> PydanticCustomError:
    """A pydantic error carrying a playbook message and hint; ``at`` extends its location."""
    context = {"message": message, "hint": hint, "at": tuple(at)}
    return PydanticCustomError(PROBLEM_TYPE, "{message}", context)
