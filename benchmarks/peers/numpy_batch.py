"""Plain numpy: the naive PSI peer, the one-pass floor, and the columnar micro-batch anchor.

    cd benchmarks && <numpy venv>/bin/python -m peers.numpy_batch --variant psi --size cur1m

task batch (reference vs current window, per column), as in the peer harness's bench_numpy.py:
  psi   PSI on 10 reference-quantile bins (numeric; np.quantile edges, searchsorted + bincount)
        and on the categories (bincount of the codes), flag PSI > 0.1, eps 1e-4. Reference
        binning is inside the timed section and also reported apart as fit_seconds.
  pass  no test: column sums + a bincount per categorical column, i.e. one pass over the
        window's values, the memory-bandwidth floor of any per-column method.
  Both read the window as numpy arrays with integer category codes (no strings).
task stream_batch: 1,000-row chunks of cur1m arriving as numpy arrays; update the same
  10-bin histograms, sums, sums of squares and category counts (rows/s).
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

import harness as h

NBINS = 10


def ref_edges(ref_num: npt.NDArray[np.float64]) -> list[npt.NDArray[np.float64]]:
    qs = np.linspace(0, 1, NBINS + 1)[1:-1]
    return [np.quantile(ref_num[:, j], qs) for j in range(ref_num.shape[1])]


def psi(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64], eps: float = 1e-4) -> float:
    p = np.clip(p, eps, None)
    q = np.clip(q, eps, None)
    return float(np.sum((q - p) * np.log(q / p)))


def batch(size: str, variant: str) -> None:
    m = h.meta()
    ref_num, ref_cat = h.load_np(h.REFERENCE)
    cur_num, cur_cat = h.load_np(size)
    ncat = [len(p) for p in m["cat_p"]]
    h.reset_peak()
    mem0 = h.mem_mb()
    flagged: list[str] = []
    values: dict[str, float] = {}
    t_fit = 0.0
    with h.Timer() as t:
        if variant == "psi":
            t0 = time.perf_counter()
            edges = ref_edges(ref_num)
            ref_p = [
                np.bincount(np.searchsorted(edges[j], ref_num[:, j], side="right"), minlength=NBINS)
                / len(ref_num)
                for j in range(ref_num.shape[1])
            ]
            ref_pc = [
                np.bincount(ref_cat[:, j], minlength=ncat[j]) / len(ref_cat)
                for j in range(ref_cat.shape[1])
            ]
            t_fit = time.perf_counter() - t0
            for j, c in enumerate(m["num_cols"]):
                q = np.bincount(
                    np.searchsorted(edges[j], cur_num[:, j], side="right"), minlength=NBINS
                ) / len(cur_num)
                values[c] = psi(ref_p[j], q)
                if values[c] > 0.1:
                    flagged.append(c)
            for j, c in enumerate(m["cat_cols"]):
                q = np.bincount(cur_cat[:, j], minlength=ncat[j]) / len(cur_cat)
                values[c] = psi(ref_pc[j], q)
                if values[c] > 0.1:
                    flagged.append(c)
        elif variant == "pass":
            s = cur_num.sum(axis=0)
            for j in range(cur_cat.shape[1]):
                np.bincount(cur_cat[:, j], minlength=ncat[j])
            values = {"sum0": float(s[0])}
        else:
            raise SystemExit(f"unknown variant {variant}")
    mem1 = h.mem_mb()
    res = {
        "peer": "numpy",
        "task": "batch",
        "variant": variant,
        "size": size,
        "n_cur": len(cur_num),
        "seconds": t.s,
        "cpu_seconds": t.cpu,
        "fit_seconds": t_fit,
        "cmp_seconds": t.s - t_fit,
        "input_bytes": int(cur_num.nbytes + cur_cat.nbytes),
        "mem_before": mem0,
        "mem": mem1,
        "peak_above_mb": h.peak_above(mem0, mem1),
        "values": values,
        "versions": h.versions(),
    }
    if variant != "pass":
        res["score"] = h.score_for(size, flagged)
    h.emit(res)


def stream_batch(max_rows: int, max_seconds: float, batch_rows: int) -> None:
    m = h.meta()
    ref_num, _ = h.load_np(h.REFERENCE)
    edges = ref_edges(ref_num)
    nn = len(m["num_cols"])
    ncat = [len(p) for p in m["cat_p"]]
    hist = np.zeros((nn, NBINS), dtype=np.int64)
    sums = np.zeros(nn)
    sumsq = np.zeros(nn)
    cat_counts = [np.zeros(k, dtype=np.int64) for k in ncat]
    cur_num, cur_cat = h.load_np("cur1m")
    chunks = [
        (cur_num[i : i + batch_rows], cur_cat[i : i + batch_rows])
        for i in range(0, min(max_rows, len(cur_num)), batch_rows)
    ]
    h.reset_peak()
    mem0 = h.mem_mb()
    n = 0
    t0 = time.perf_counter()
    for xn, xc in chunks:
        for j in range(nn):
            hist[j] += np.bincount(
                np.searchsorted(edges[j], xn[:, j], side="right"), minlength=NBINS
            )
        sums += xn.sum(axis=0)
        sumsq += (xn * xn).sum(axis=0)
        for j in range(len(ncat)):
            cat_counts[j] += np.bincount(xc[:, j], minlength=ncat[j])
        n += len(xn)
        if time.perf_counter() - t0 > max_seconds:
            break
    secs = time.perf_counter() - t0
    mem1 = h.mem_mb()
    h.emit(
        {
            "peer": "numpy",
            "task": "stream_batch",
            "variant": "columnar",
            "size": "cur1m",
            "batch_rows": batch_rows,
            "rows": n,
            "seconds": secs,
            "rows_per_s": n / secs,
            "mem_before": mem0,
            "mem": mem1,
            "peak_above_mb": h.peak_above(mem0, mem1),
            "versions": h.versions(),
        }
    )


def main() -> None:
    p = h.arg_parser(__doc__)
    p.add_argument("--max-rows", type=int, default=1_000_000)
    p.add_argument("--max-seconds", type=float, default=4.0)
    p.add_argument("--batch-rows", type=int, default=1000)
    args = p.parse_args()
    if args.task == "batch":
        batch(args.size, "psi" if args.variant == "default" else args.variant)
    elif args.task == "stream_batch":
        stream_batch(args.max_rows, args.max_seconds, args.batch_rows)
    else:
        raise SystemExit(f"unknown task {args.task}")


if __name__ == "__main__":
    main()
