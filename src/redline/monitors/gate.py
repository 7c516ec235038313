"""The data gate of ``redline check``: which integrity findings fail it, and which only warn."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from redline.domain import Level, Signal
from redline.profiles.window import WindowProfile

__all__ = ["GATE_MONITOR", "GateFinding", "gate_findings"]

#: The monitor name on findings the gate adds itself (zero rows, extra columns).
GATE_MONITOR = "check"


@dataclass(frozen=True, slots=True)
class GateFinding:
    """One integrity finding of a checked file and whether it fails the gate."""

    signal: Signal
    fails: bool

    @property
    def kind(self) -> str:
        """What was found: ``zero_rows``, ``missing_column``, ``null_jump``, ..."""
        return self.signal.kind

    @property
    def column(self) -> str | None:
        """The column it is about (None for the whole file)."""
        return self.signal.column

    def to_dict(self) -> dict[str, Any]:
        """The signal's JSON form with a ``fails`` flag."""
        return {**self.signal.to_dict(), "fails": self.fails}


def _finding(
    window: WindowProfile,
    kind: str,
    column: str | None,
    statistic: str,
    value: float,
    threshold: float,
    *,
    fails: bool,
) -> GateFinding:
    signal = Signal(
        monitor=GATE_MONITOR,
        kind=kind,
        column=column,
        statistic=statistic,
        value=value,
        threshold=threshold,
        level=Level.ALARM if fails else Level.WARNING,
        window_start=window.start,
        window_end=window.end,
        n_rows=window.n_rows,
    )
    return GateFinding(signal, fails)


def gate_findings(
    integrity: Sequence[Signal],
    window: WindowProfile,
    *,
    strict: bool = False,
    unprofiled: Collection[str] = (),
) -> list[GateFinding]:
    """Every integrity signal fails the gate, as do zero rows and a missing column of the
    reference; a column the reference does not know only warns, unless ``strict`` (columns it
    saw but did not profile, ``unprofiled``, are known).

    Whether a value breaches (nulls, unparseable values, out of range, unseen or remapped
    categories) is the integrity monitor's call: the gate adds no thresholds of its own.
    """
    out: list[GateFinding] = []
    if window.n_rows == 0:
        out.append(_finding(window, "zero_rows", None, "n_rows", 0.0, 1.0, fails=True))
    out.extend(GateFinding(signal, True) for signal in integrity)
    reported = {s.column for s in integrity if s.kind == "missing_column"}
    out.extend(
        _finding(window, "missing_column", name, "missing_share", 1.0, 0.0, fails=True)
        for name in window.missing
        if name not in reported
    )
    out.extend(
        _finding(window, "extra_column", name, "rows", float(count), 0.0, fails=strict)
        for name, count in window.unknown.items()
        if name not in unprofiled
    )
    return out
