"""redline's own labelled injection/jailbreak corpus (JSONL), with its fixed train/test split."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Literal

__all__ = ["CorpusItem", "load_corpus"]

Split = Literal["train", "test"]


@dataclass(frozen=True, slots=True)
class CorpusItem:
    """One labelled prompt: injection (an attack) or benign (including hard negatives)."""

    text: str
    is_attack: bool
    family: str
    split: Split
    # Written after the rules were frozen and never used to change them (all in "test").
    blind: bool = False


def load_corpus(split: Split | None = None) -> list[CorpusItem]:
    """Read the bundled corpus; `split` keeps only the train or the held-out test part."""
    source = resources.files("redline.scanners").joinpath("data/injection_corpus.jsonl")
    items = []
    for line in source.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        item = CorpusItem(
            row["text"],
            row["label"] == "injection",
            row["family"],
            row["split"],
            row.get("blind", False),
        )
        if split is None or item.split == split:
            items.append(item)
    return items
