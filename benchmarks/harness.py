"""What every benchmark job shares: data loading, timing, memory, scoring, the RESULT line.

Imported by ``bench_redline.py`` (project venv) and by ``peers/*.py`` (each peer's own venv), so
it needs only numpy (1.x or 2.x) and, for DataFrames, pandas. Jobs are started by ``run.py`` as
``python -m <module>`` from this directory; each prints exactly one ``RESULT {json}`` line.

The timing conventions are those of the peer harness (``bench-peers/common.py``): imports and
data loading happen before the timed section; peak memory is the process's high-water mark
(VmHWM, reset just before the timed section) minus the resident size at that moment.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

DATA_DIR = os.environ.get(
    "REDLINE_BENCH_DATA", os.path.join(tempfile.gettempdir(), "redline-peers", "data")
)
REFERENCE = "ref"
# Current windows written by data.py; the batch tasks accept any of these as --size.
WINDOWS = ["cur10k", "cur100k", "cur1m", "noshift1m", "tinyshift1m"]


def meta() -> dict[str, Any]:
    path = os.path.join(DATA_DIR, "meta.json")
    if not os.path.exists(path):
        raise SystemExit(f"no benchmark data in {DATA_DIR}: run `python benchmarks/data.py` first")
    with open(path) as f:
        data: dict[str, Any] = json.load(f)
    return data


def load_np(name: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int16]]:
    """(numeric float64 [n, 20], categorical int16 codes [n, 5]) of one dataset."""
    num = np.load(os.path.join(DATA_DIR, f"{name}_num.npy"))
    cat = np.load(os.path.join(DATA_DIR, f"{name}_cat.npy"))
    return num, cat


def cat_labels(m: dict[str, Any]) -> list[npt.NDArray[np.object_]]:
    return [np.array(labels, dtype=object) for labels in m["cat_labels"]]


def load_columns(name: str, n: int | None = None) -> dict[str, npt.NDArray[Any]]:
    """Columns as numpy arrays: num_* float64, cat_* object arrays of label strings."""
    m = meta()
    num, cat = load_np(name)
    if n is not None:
        num, cat = num[:n], cat[:n]
    cols: dict[str, npt.NDArray[Any]] = {}
    for j, c in enumerate(m["num_cols"]):
        cols[c] = np.ascontiguousarray(num[:, j])
    labels = cat_labels(m)
    for j, c in enumerate(m["cat_cols"]):
        cols[c] = labels[j][cat[:, j].astype(np.int64)]
    return cols


def load_df(name: str, cat_dtype: str = "str") -> pd.DataFrame:
    """DataFrame with num_00..num_19 (float64) and cat_00..cat_04.

    cat_dtype "str": object strings (what raw traffic looks like); "category": pandas
    Categorical; "int": integer codes.
    """
    import pandas as pd

    m = meta()
    num, cat = load_np(name)
    cols: dict[str, Any] = {}
    for j, c in enumerate(m["num_cols"]):
        cols[c] = num[:, j]
    labels = cat_labels(m)
    for j, c in enumerate(m["cat_cols"]):
        codes = cat[:, j].astype(np.int64)
        if cat_dtype == "int":
            cols[c] = codes
        elif cat_dtype == "category":
            cols[c] = pd.Categorical.from_codes(codes, categories=pd.Index(list(labels[j])))
        else:
            cols[c] = labels[j][codes]
    return pd.DataFrame(cols)


def rows_as_dicts(name: str, n: int) -> list[dict[str, Any]]:
    """First n rows as dicts {column: python float | str}: what a per-request hook receives."""
    m = meta()
    num, cat = load_np(name)
    labels: list[list[str]] = m["cat_labels"]
    nc: list[str] = m["num_cols"]
    cc: list[str] = m["cat_cols"]
    out: list[dict[str, Any]] = []
    for r_num, r_cat in zip(num[:n].tolist(), cat[:n].tolist(), strict=True):
        d: dict[str, Any] = dict(zip(nc, r_num, strict=True))
        for j, c in enumerate(cc):
            d[c] = labels[j][r_cat[j]]
        out.append(d)
    return out


def df_bytes(df: pd.DataFrame) -> int:
    """Bytes the frame really holds: column buffers plus the distinct label strings (the
    object columns point at a handful of shared str objects, so ``deep=True`` would count
    each label once per row)."""
    total = int(df.memory_usage(index=True, deep=False).sum())
    for c in df.columns:
        if df[c].dtype == object:
            total += sum(sys.getsizeof(v) for v in set(df[c].tolist()))
    return total


def mem_mb() -> dict[str, float]:
    """Current RSS and peak RSS (VmHWM) of this process, MiB."""
    out: dict[str, float] = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    k, v = line.split(":", 1)
                    out[k] = int(v.split()[0]) / 1024.0
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {
        "rss_mb": round(out.get("VmRSS", 0.0), 1),
        "peak_mb": round(out.get("VmHWM", maxrss), 1),
    }


def reset_peak() -> bool:
    """Reset VmHWM so the next peak reading covers only what follows (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_above(before: dict[str, float], after: dict[str, float]) -> float:
    return round(max(0.0, after["peak_mb"] - before["rss_mb"]), 1)


def score_for(dataset: str, flagged: Iterable[str]) -> dict[str, Any]:
    """FP/FN against the known shifts: cur* windows have 3 shifted columns; noshift1m and
    tinyshift1m have none that matter, so every flag there counts as a false positive."""
    m = meta()
    truth = set(m["shifted_cols"]) if dataset.startswith("cur") else set()
    got = set(flagged)
    fp = sorted(got - truth)
    fn = sorted(truth - got)
    return {
        "n_flagged": len(got),
        "flagged": sorted(got),
        "fp": len(fp),
        "fn": len(fn),
        "fp_cols": fp,
        "fn_cols": fn,
    }


def versions(*mods: str) -> dict[str, str]:
    out = {"python": sys.version.split()[0], "numpy": np.__version__}
    for name in mods:
        try:
            mod = __import__(name)
            out[name] = str(getattr(mod, "__version__", "?"))
        except Exception as e:  # informative only
            out[name] = f"import failed: {e!r}"[:120]
    return out


class Timer:
    """``with Timer() as t: ...`` then ``t.s`` wall seconds and ``t.cpu`` CPU seconds of this
    process (all threads), so a multi-threaded peer shows up as cpu > s."""

    def __init__(self) -> None:
        self.t0 = 0.0
        self.c0 = 0.0
        self.s = 0.0
        self.cpu = 0.0

    def __enter__(self) -> Timer:
        self.c0 = time.process_time()
        self.t0 = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.s = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0


def emit(result: dict[str, Any]) -> None:
    result.setdefault("mem", mem_mb())
    sys.stdout.write("RESULT " + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


def median(xs: Sequence[float]) -> float:
    return float(np.median(np.asarray(xs, dtype=np.float64)))


def ns_per_call_blocks(
    fn: Callable[[Any], object], items: Sequence[Any], block: int
) -> tuple[list[float], float]:
    """Call fn on every item; ns per call for each block of ``block`` items, and overall."""
    per_block: list[float] = []
    pc = time.perf_counter_ns
    t_start = pc()
    for i in range(0, len(items) - block + 1, block):
        chunk = items[i : i + block]
        t0 = pc()
        for x in chunk:
            fn(x)
        per_block.append((pc() - t0) / len(chunk))
    total = (pc() - t_start) / max(1, (len(items) // block) * block)
    return per_block, total


def arg_parser(doc: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=(doc or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--task", default="batch")
    p.add_argument("--size", default="cur10k", help="dataset: " + " | ".join(WINDOWS))
    p.add_argument("--variant", default="default")
    return p
