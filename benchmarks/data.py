"""Generate the synthetic data every benchmark reads (numpy only).

    python benchmarks/data.py [--out DIR]

Same seeds, draws and file layout as the peer harness's ``gen_data.py``: with the same numpy
version the files are byte-identical, so results here and there describe the same data. The
default directory is ``$REDLINE_BENCH_DATA`` or ``<tempdir>/redline-peers/data``.

Writes ``DIR/{name}_num.npy`` (float64, n x 20), ``DIR/{name}_cat.npy`` (int16 codes, n x 5) and
``DIR/meta.json`` for:

    ref          100,000 rows  the training reference
    cur10k        10,000 rows  current window, 3 columns shifted
    cur100k      100,000 rows  "
    cur1m      1,000,000 rows  "
    noshift1m  1,000,000 rows  same distribution as ref (pure false-positive test)
    tinyshift1m 1,000,000 rows every column moved by a practically irrelevant amount
                               (+0.02 sd mean; categorical mix 2% towards uniform)

The three real shifts have the same Jeffreys divergence (PSI with infinitely fine bins), 0.25:
``num_02`` mean +0.5 sd, ``num_05`` variance x2 at the same mean, ``cat_01`` mix moved towards
the reversed mix. Files are written once and shared because numpy does not promise identical
random streams across versions; ``meta.json`` records the numpy version that wrote them.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

N_REF = 100_000
NUM_SPECS: list[tuple[str, tuple[float, ...]]] = [
    ("normal", (0.0, 1.0)),
    ("normal", (10.0, 2.0)),
    ("normal", (-3.0, 0.5)),  # num_02: mean shift
    ("normal", (100.0, 15.0)),
    ("lognormal", (0.0, 0.5)),
    ("normal", (5.0, 1.0)),  # num_05: variance x2
    ("uniform", (0.0, 1.0)),
    ("exponential", (1.0,)),
    ("gamma", (2.0, 2.0)),
    ("normal", (0.0, 1.0)),
    ("lognormal", (1.0, 0.25)),
    ("uniform", (-5.0, 5.0)),
    ("normal", (50.0, 10.0)),
    ("exponential", (5.0,)),
    ("bimodal", (2.0, 1.0)),
    ("normal", (0.0, 1e-3)),
    ("t", (5.0,)),
    ("beta", (2.0, 5.0)),
    ("normal", (1000.0, 100.0)),
    ("gamma", (0.5, 1.0)),
]
MEAN_SHIFT_COL, VAR_SHIFT_COL = 2, 5
CAT_SHIFT_COL = 1

# (dataset name, rows, mode, seed offset); the seed is 20251126 + offset.
PLAN: list[tuple[str, int, str, int]] = [
    ("ref", N_REF, "ref", 1),
    ("cur10k", 10_000, "shift", 2),
    ("cur100k", 100_000, "shift", 3),
    ("cur1m", 1_000_000, "shift", 4),
    ("noshift1m", 1_000_000, "noshift", 5),
    ("tinyshift1m", 1_000_000, "tiny", 6),
]
SEED_BASE = 20251126


def default_dir() -> str:
    return os.environ.get(
        "REDLINE_BENCH_DATA", os.path.join(tempfile.gettempdir(), "redline-peers", "data")
    )


def zipf_p(k: int, s: float = 1.1) -> FloatArray:
    w = 1.0 / np.arange(1, k + 1) ** s
    return np.asarray(w / w.sum(), dtype=np.float64)


CAT_PS: list[FloatArray] = [
    np.array([0.6, 0.3, 0.1]),
    np.array([0.35, 0.25, 0.15, 0.12, 0.08, 0.05]),  # cat_01: mix change
    np.full(10, 0.1),
    zipf_p(25),
    zipf_p(50),
]


def jeffreys(p: FloatArray, q: FloatArray) -> float:
    return float(np.sum((p - q) * np.log(p / q)))


def shifted_cat_p(p: FloatArray, target: float = 0.25) -> FloatArray:
    """Move ``p`` towards its reverse until the Jeffreys divergence reaches ``target``."""
    r = p[::-1].copy()
    lo, hi = 0.0, 1.0
    for _ in range(60):
        a = (lo + hi) / 2
        q = (1 - a) * p + a * r
        if jeffreys(p, q) < target:
            lo = a
        else:
            hi = a
    q = (1 - lo) * p + lo * r
    return np.asarray(q / q.sum(), dtype=np.float64)


def col_sd(kind: str, prm: tuple[float, ...]) -> float:
    if kind == "normal":
        return prm[1]
    if kind == "lognormal":
        m, s = prm
        return float(np.sqrt((np.exp(s * s) - 1) * np.exp(2 * m + s * s)))
    if kind == "uniform":
        return float((prm[1] - prm[0]) / np.sqrt(12))
    if kind == "exponential":
        return prm[0]
    if kind == "gamma":
        return float(np.sqrt(prm[0]) * prm[1])
    if kind == "bimodal":
        mu, s = prm
        return float(np.sqrt(mu * mu + s * s))
    if kind == "t":
        df = prm[0]
        return float(np.sqrt(df / (df - 2)))
    if kind == "beta":
        a, b = prm
        return float(np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))))
    raise ValueError(kind)


def draw(rng: np.random.Generator, kind: str, prm: tuple[float, ...], n: int) -> FloatArray:
    if kind == "normal":
        return rng.normal(prm[0], prm[1], n)
    if kind == "lognormal":
        return rng.lognormal(prm[0], prm[1], n)
    if kind == "uniform":
        return rng.uniform(prm[0], prm[1], n)
    if kind == "exponential":
        return rng.exponential(prm[0], n)
    if kind == "gamma":
        return rng.gamma(prm[0], prm[1], n)
    if kind == "bimodal":
        sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        return np.asarray(sign * prm[0] + rng.normal(0.0, prm[1], n), dtype=np.float64)
    if kind == "t":
        return rng.standard_t(prm[0], n)
    if kind == "beta":
        return rng.beta(prm[0], prm[1], n)
    raise ValueError(kind)


def make(rng: np.random.Generator, n: int, mode: str) -> tuple[FloatArray, npt.NDArray[np.int16]]:
    """One dataset; ``mode`` is 'ref'/'noshift' (reference distribution), 'shift' or 'tiny'."""
    num = np.empty((n, len(NUM_SPECS)), dtype=np.float64)
    for j, (kind, prm) in enumerate(NUM_SPECS):
        if mode == "shift" and j == MEAN_SHIFT_COL:
            num[:, j] = rng.normal(prm[0] + 0.5 * prm[1], prm[1], n)
        elif mode == "shift" and j == VAR_SHIFT_COL:
            num[:, j] = rng.normal(prm[0], prm[1] * np.sqrt(2.0), n)
        else:
            num[:, j] = draw(rng, kind, prm, n)
            if mode == "tiny":
                num[:, j] += 0.02 * col_sd(kind, prm)
    cat = np.empty((n, len(CAT_PS)), dtype=np.int16)
    for j, p0 in enumerate(CAT_PS):
        p = p0
        if mode == "shift" and j == CAT_SHIFT_COL:
            p = shifted_cat_p(p0)
        elif mode == "tiny":
            p = 0.98 * p0 + 0.02 / len(p0)
        cat[:, j] = rng.choice(len(p), size=n, p=p).astype(np.int16)
    return num, cat


def build_meta() -> dict[str, Any]:
    num_cols = [f"num_{j:02d}" for j in range(len(NUM_SPECS))]
    cat_cols = [f"cat_{j:02d}" for j in range(len(CAT_PS))]
    q = shifted_cat_p(CAT_PS[CAT_SHIFT_COL])
    return {
        "num_cols": num_cols,
        "cat_cols": cat_cols,
        "num_specs": [[k, list(p)] for k, p in NUM_SPECS],
        "cat_p": [p.tolist() for p in CAT_PS],
        "cat_labels": [[f"c{j}_v{k:02d}" for k in range(len(p))] for j, p in enumerate(CAT_PS)],
        "shifted_cols": [
            num_cols[MEAN_SHIFT_COL],
            num_cols[VAR_SHIFT_COL],
            cat_cols[CAT_SHIFT_COL],
        ],
        "shift": {
            num_cols[MEAN_SHIFT_COL]: "mean +0.5 sd (Jeffreys 0.25)",
            num_cols[VAR_SHIFT_COL]: "variance x2, same mean (Jeffreys 0.25)",
            cat_cols[CAT_SHIFT_COL]: {
                "ref_p": CAT_PS[CAT_SHIFT_COL].tolist(),
                "cur_p": q.tolist(),
                "jeffreys": jeffreys(CAT_PS[CAT_SHIFT_COL], q),
            },
        },
        "sizes": {name: n for name, n, _, _ in PLAN},
    }


def generate(out: str, *, quiet: bool = False) -> dict[str, Any]:
    os.makedirs(out, exist_ok=True)
    for name, n, mode, seed in PLAN:
        rng = np.random.default_rng(SEED_BASE + seed)
        num, cat = make(rng, n, mode)
        np.save(os.path.join(out, f"{name}_num.npy"), num)
        np.save(os.path.join(out, f"{name}_cat.npy"), cat)
        if not quiet:
            print(f"wrote {name}: {n} rows")
    meta = build_meta()
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    # Kept out of meta.json so that file stays byte-identical to the peer harness's.
    with open(os.path.join(out, "generated_with.json"), "w") as f:
        json.dump({"numpy": np.__version__, "generator": "benchmarks/data.py"}, f)
    return meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=default_dir(), help="output directory (default: %(default)s)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    meta = generate(args.out, quiet=args.quiet)
    if not args.quiet:
        print(json.dumps(meta["shift"], indent=1))


if __name__ == "__main__":
    main()
