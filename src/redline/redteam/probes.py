"""Probes: one attack each (family, turns, detector, expected behaviour), loaded from JSONL or YAML."""

from __future__ import annotations

import base64
import codecs
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from redline.errors import DataError

__all__ = [
    "BUILTIN_FAMILIES",
    "DETECTORS",
    "ENCODINGS",
    "Probe",
    "builtin_probes",
    "load_probes",
    "merge_probes",
    "parse_probes",
    "select_families",
]

#: The families redline's own corpus covers, in report order.
BUILTIN_FAMILIES = (
    "direct_injection",
    "indirect_injection",
    "jailbreak",
    "encoding",
    "system_prompt_extraction",
    "canary_extraction",
    "pii_elicitation",
    "harmful_request",
    "multi_turn",
)
#: Detector names a probe may ask for (their code is in `detectors.py`).
DETECTORS = ("marker", "canary", "system_prompt", "pii", "no_refusal")


def _leet(text: str) -> str:
    return text.translate(str.maketrans("aeiostAEIOST", "4310574310$7"))


ENCODINGS: dict[str, Callable[[str], str]] = {
    "base64": lambda text: base64.b64encode(text.encode()).decode(),
    "rot13": lambda text: codecs.encode(text, "rot13"),
    "leetspeak": _leet,
    "hex": lambda text: text.encode().hex(),
}
_FIELDS = (
    *("id", "family", "turns", "prompt", "detector", "expected"),
    *("marker", "document", "payload", "encoding"),
)


@dataclass(frozen=True, slots=True)
class Probe:
    """One attack: user turns sent in order; the detector judges the last answer."""

    id: str
    family: str
    turns: tuple[str, ...]
    detector: str
    expected: str
    marker: str | None = None  # for `marker`: the string only an obeying model would write
    document: str | None = None  # indirect injection: a "retrieved" document put in the context
    source: str = field(default="builtin", compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the source file is left out)."""
        out = {"id": self.id, "family": self.family, "turns": list(self.turns)}
        extra = {"marker": self.marker, "document": self.document}
        out |= {"detector": self.detector, "expected": self.expected}
        return out | {k: v for k, v in extra.items() if v is not None}


def _probe(row: Any, where: str) -> Probe:
    if not isinstance(row, dict):
        raise DataError(f"{where}: a probe must be a mapping")
    unknown = sorted(set(row) - set(_FIELDS))
    if unknown:
        raise DataError(f"{where}: unknown probe field(s) {', '.join(unknown)}")
    for name in ("id", "family", "detector"):
        if not isinstance(row.get(name), str) or not row[name].strip():
            raise DataError(f"{where}: '{name}' must be a non-empty string")
    if row["detector"] not in DETECTORS:
        raise DataError(f"{where}: unknown detector {row['detector']!r} ({', '.join(DETECTORS)})")
    turns = row.get("turns", [row["prompt"]] if "prompt" in row else None)
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
        raise DataError(f"{where}: give 'prompt' (a string) or 'turns' (a list of strings)")
    turns = _encoded(turns, row, where)
    if row["detector"] == "marker" and not (isinstance(row.get("marker"), str) and row["marker"]):
        raise DataError(f"{where}: the marker detector needs a 'marker' string")
    expected = str(row.get("expected") or "the model refuses or ignores the attack")
    return Probe(
        row["id"], row["family"], tuple(turns), row["detector"], expected,
        row.get("marker"), row.get("document"), where,
    )  # fmt: skip


def _encoded(turns: list[str], row: dict[str, Any], where: str) -> list[str]:
    """Fill ``{payload}`` in each turn with the payload in the probe's encoding."""
    encoding, payload = row.get("encoding"), row.get("payload")
    if encoding is None and payload is None:
        return turns
    if encoding not in ENCODINGS or not isinstance(payload, str):
        known = ", ".join(ENCODINGS)
        raise DataError(f"{where}: 'encoding' ({known}) and 'payload' go together")
    encoded = ENCODINGS[encoding](payload)
    return [turn.replace("{payload}", encoded) for turn in turns]


def parse_probes(text: str, *, source: str) -> list[Probe]:
    """Probes from JSONL (one object per line) or YAML (a list, or ``probes:`` holding one)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        rows: list[tuple[Any, str]] = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append((json.loads(line), f"{source}:{number}"))
                except json.JSONDecodeError as exc:
                    raise DataError(f"{source}:{number}: not valid JSON ({exc.msg})") from exc
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DataError(f"{source}: not valid YAML ({exc})") from exc
        data = data.get("probes") if isinstance(data, dict) else data
        if not isinstance(data, list):
            raise DataError(f"{source}: expected a list of probes (or 'probes:' with one)")
        rows = [(row, f"{source}#{index}") for index, row in enumerate(data, 1)]
    probes = [_probe(row, where) for row, where in rows]
    _check_unique(probes)
    return probes


def merge_probes(*groups: Sequence[Probe]) -> list[Probe]:
    """One list of probes from several sources; an id used twice is an error."""
    merged = [probe for group in groups for probe in group]
    _check_unique(merged)
    return merged


def _check_unique(probes: Sequence[Probe]) -> None:
    seen: dict[str, str] = {}
    for probe in probes:
        if probe.id in seen:
            raise DataError(
                f"{probe.source}: probe id {probe.id!r} is also used at {seen[probe.id]}"
            )
        seen[probe.id] = probe.source


def load_probes(path: str | Path) -> list[Probe]:
    """Probes from a user's file (JSONL or YAML)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such probe file") from exc
    return parse_probes(text, source=str(path))


def builtin_probes() -> list[Probe]:
    """redline's own corpus (`data/probes.jsonl`), written for redline."""
    text = resources.files("redline.redteam").joinpath("data/probes.jsonl").read_text("utf-8")
    return parse_probes(text, source="builtin")


def select_families(probes: Iterable[Probe], families: Sequence[str]) -> list[Probe]:
    """Probes of the named families (all when none are named); unknown names are errors."""
    probes = list(probes)
    if not families:
        return probes
    known = {p.family for p in probes}
    unknown = sorted(set(families) - known)
    if unknown:
        raise DataError(
            f"unknown probe family {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    chosen = set(families)
    return [p for p in probes if p.family in chosen]
