"""Hash chain for append-only logs (timeline, audit): each entry seals the one before it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

__all__ = [
    "GENESIS",
    "canonical_json",
    "chain_hash",
    "chain_hashes",
    "verify_chain",
]

#: The "previous hash" of the first entry in every chain.
GENESIS = "0" * 64

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _encode(value: Any) -> Any:
    """Turn the few non-JSON types a payload may hold into their canonical JSON form."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"cannot put {type(value).__name__} into a timeline payload: {value!r}")


def canonical_json(payload: Mapping[str, Any]) -> str:
    """One fixed text for a payload: sorted keys, no spaces, no NaN, datetimes in ISO 8601."""
    return json.dumps(
        payload,
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
        ensure_ascii=False,
        default=_encode,
    )


def chain_hash(previous_hash: str, payload: Mapping[str, Any]) -> str:
    """sha256 hex of the previous entry's hash followed by this payload's canonical JSON."""
    if not _HEX64.fullmatch(previous_hash):
        raise ValueError(f"previous_hash must be 64 lowercase hex digits, got {previous_hash!r}")
    text = previous_hash + canonical_json(payload)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hashes(payloads: Iterable[Mapping[str, Any]], start: str = GENESIS) -> list[str]:
    """The stored hash of each payload when appended in order after ``start``."""
    hashes: list[str] = []
    previous = start
    for payload in payloads:
        previous = chain_hash(previous, payload)
        hashes.append(previous)
    return hashes


def verify_chain(
    entries: Sequence[tuple[Mapping[str, Any], str]], start: str = GENESIS
) -> int | None:
    """The index of the first entry whose stored hash does not seal it, or None if intact."""
    previous = start
    for index, (payload, stored) in enumerate(entries):
        try:
            expected = chain_hash(previous, payload)
        except (TypeError, ValueError):
            return index
        if expected != stored:
            return index
        previous = stored
    return None
