"""Evidence, verifications and timeline details as short sentences people read, not JSON."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["describe", "describe_moves"]

#: Keys a reader never needs: the calibration behind a threshold already shown beside it.
_SKIPPED = frozenset({"calibrated_threshold", "floor", "statistics", "prev_hash", "hash"})
_HEX = re.compile(r"^[0-9a-f]{32,}$")
#: Items of a list shown before "+N more".
_LIST_ITEMS = 3


def _scalar(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text[:12] + "…" if _HEX.match(text) else text


def _share(value: Any) -> str:
    return f"{float(value):.1%}" if isinstance(value, int | float) else _scalar(value)


def describe_moves(moves: Sequence[Mapping[str, Any]]) -> str:
    """The bins whose share moved most: ``>= 84: 0.0% → 31.1%``."""
    shown = [
        f"{m.get('bin')}: {_share(m.get('reference'))} → {_share(m.get('current'))}"
        for m in moves[:_LIST_ITEMS]
    ]
    more = len(moves) - len(shown)
    return "; ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _list(values: Sequence[Any]) -> str:
    if values and all(isinstance(v, Mapping) for v in values):
        if all("bin" in v for v in values):
            return describe_moves(values)
        parts = [_flat(v) for v in values[:_LIST_ITEMS]]
    else:
        parts = [_scalar(v) for v in values[:_LIST_ITEMS]]
    more = len(values) - len(parts)
    return ", ".join(parts) + (f" (+{more} more)" if more > 0 else "")


_SIGNAL_KEYS = frozenset({"kind", "column", "statistic", "value", "threshold"})


def _flat(mapping: Mapping[str, Any]) -> str:
    """One level of scalars (a signal as one phrase); deeper documents are left out."""
    if set(mapping) >= _SIGNAL_KEYS:
        m = mapping
        return (
            f"{m['kind']} on {m['column'] or 'the model'}: {m['statistic']} "
            f"{_scalar(m['value'])} vs {_scalar(m['threshold'])}"
        )
    parts = [
        f"{key} {_scalar(value)}"
        for key, value in mapping.items()
        if key not in _SKIPPED and not isinstance(value, Mapping | list | tuple)
    ]
    return ", ".join(parts)


def describe(value: Any) -> str:
    """``value`` (a stored JSON document) as ``key: value · key: value`` in words and rounded
    numbers; hashes shortened, calibration details left out, lists cut at three items.

    >>> describe({"routes": {"fallback": 1000}, "route_revision": 2, "ok": True})
    'routes: fallback 1000 · route revision: 2 · ok: yes'
    >>> describe({"top_moves": [{"bin": "1", "reference": 0.37, "current": 0.73}]})
    'top moves: 1: 37.0% → 73.0%'
    """
    if isinstance(value, Mapping):
        parts = []
        for key, item in value.items():
            if key in _SKIPPED or item in (None, "", [], {}):
                continue
            label = str(key).replace("_", " ")
            if isinstance(item, Mapping):
                shown = ", ".join(
                    f"{k} {_flat(v) if isinstance(v, Mapping) else _scalar(v)}"
                    for k, v in item.items()
                )
                parts.append(f"{label}: {shown}")
            elif isinstance(item, list | tuple):
                parts.append(f"{label}: {_list(item)}")
            else:
                parts.append(f"{label}: {_scalar(item)}")
        return " · ".join(parts) or "—"
    if isinstance(value, list | tuple):
        return _list(value) or "—"
    return _scalar(value)
