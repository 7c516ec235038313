"""The reference profile: what "normal" looks like, as one versioned, hashed JSON artifact."""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.errors import ReferenceFileError
from redline.profiles.specs import CategoricalSpec, ColumnSpec, NumericSpec, Role, spec_from_dict
from redline.profiles.text_sketch import TextSpec, text_spec_from_dict

__all__ = ["FORMAT", "FORMAT_VERSION", "Reference", "load_reference"]

FORMAT = "redline.reference"
FORMAT_VERSION = 1
_MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Reference:
    """Bins, vocabularies, moments and calibrated thresholds fitted on training data."""

    columns: dict[str, ColumnSpec]
    n_rows: int
    window_sizes: tuple[int, ...]
    alpha: float
    created_at: str
    ignored: dict[str, str] = field(default_factory=dict)
    performance: dict[str, Any] | None = None  # baseline metrics of (target, prediction)
    #: Token sketches of text columns, by name (``<column>.tokens``); none in older files.
    texts: dict[str, TextSpec] = field(default_factory=dict)

    def role_columns(self, role: Role) -> list[ColumnSpec]:
        """Columns with the given role, in fitted order."""
        return [c for c in self.columns.values() if c.role == role]

    @property
    def features(self) -> list[ColumnSpec]:
        """The input feature columns (text columns appear as their descriptors)."""
        return self.role_columns(Role.FEATURE)

    @property
    def raw_columns(self) -> list[str]:
        """Names of the columns expected in the data (text columns once, not per descriptor)."""
        names: dict[str, None] = {}
        for spec in self.columns.values():
            source = spec.source if isinstance(spec, NumericSpec) and spec.source else spec.name
            names[source] = None
        names.update(dict.fromkeys(t.source for t in self.texts.values()))
        return list(names)

    def column_named(self, role: Role) -> str | None:
        """The single column with a role (prediction, target, confidence), if declared."""
        found = self.role_columns(role)
        return found[0].name if found else None

    def to_dict(self) -> dict[str, Any]:
        """The reference's body as JSON-ready data (without the envelope)."""
        body = {
            "columns": [spec.to_dict() for spec in self.columns.values()],
            "n_rows": self.n_rows,
            "window_sizes": list(self.window_sizes),
            "alpha": self.alpha,
            "created_at": self.created_at,
            "ignored": self.ignored,
        }
        # Only when present, so references without a baseline keep their hash.
        if self.performance is not None:
            body["performance"] = self.performance
        if self.texts:  # likewise: references fitted before token sketches keep their hash
            body["texts"] = [spec.to_dict() for spec in self.texts.values()]
        return body

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Reference:
        """Inverse of :meth:`to_dict`."""
        specs = [spec_from_dict(item) for item in body["columns"]]
        texts = [text_spec_from_dict(item) for item in body.get("texts", [])]
        return cls(
            columns={s.name: s for s in specs},
            n_rows=int(body["n_rows"]),
            window_sizes=tuple(int(w) for w in body["window_sizes"]),
            alpha=float(body["alpha"]),
            created_at=str(body["created_at"]),
            ignored={str(k): str(v) for k, v in body.get("ignored", {}).items()},
            performance=body.get("performance"),
            texts={t.name: t for t in texts},
        )

    @property
    def content_hash(self) -> str:
        """sha256 of the canonical JSON body: equal references have equal hashes."""
        return _digest(self.to_dict())

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the reference as one JSON file with its format, version and hash."""
        body = self.to_dict()
        envelope = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "sha256": _digest(body),
            "reference": body,
        }
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(envelope, separators=(",", ":"), allow_nan=False))
        tmp.replace(target)
        return target

    def describe(self) -> str:
        """One line per column: name, kind and role."""
        lines = []
        for spec in self.columns.values():
            size = (
                f"{len(spec.vocab)} categories"
                if isinstance(spec, CategoricalSpec)
                else f"{spec.edges.size - 1} bins"
            )
            lines.append(f"{spec.name}: {spec.kind.value} {spec.role.value}, {size}")
        for text in self.texts.values():
            buckets = f"{text.counts.size} token buckets"
            lines.append(f"{text.name}: {text.kind.value} {text.role.value}, {buckets}")
        return "\n".join(lines)


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(body)).hexdigest()


def load_reference(path: str | os.PathLike[str]) -> Reference:
    """Read a reference file, checking its format, version and hash (JSON only, no code runs)."""
    p = Path(path)
    try:
        if p.stat().st_size > _MAX_FILE_BYTES:
            raise ReferenceFileError(f"{p}: larger than {_MAX_FILE_BYTES} bytes; not a reference")
        envelope = json.loads(p.read_bytes())
    except FileNotFoundError as exc:
        raise ReferenceFileError(f"{p}: no such reference file") from exc
    except OSError as exc:
        raise ReferenceFileError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceFileError(f"{p}: not a redline reference (invalid JSON: {exc})") from exc
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise ReferenceFileError(f"{p}: not a redline reference file (no '{FORMAT}' header)")
    version = envelope.get("version")
    if version != FORMAT_VERSION:
        raise ReferenceFileError(
            f"{p}: reference format version {version!r}; this redline reads {FORMAT_VERSION}"
        )
    body = envelope.get("reference")
    if not isinstance(body, dict) or _digest(body) != envelope.get("sha256"):
        raise ReferenceFileError(f"{p}: content does not match its sha256; the file is corrupted")
    try:
        ref = Reference.from_dict(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReferenceFileError(f"{p}: malformed reference body ({exc!r})") from exc
    if not all(math.isfinite(w) for w in ref.window_sizes):
        raise ReferenceFileError(f"{p}: malformed window sizes")
    return ref
