"""Toxicity: alt-profanity-check's linear SVM (weights inside the package, no download)."""

from __future__ import annotations

import importlib.util
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from redline.errors import MissingExtraError
from redline.scanners.base import Evidence, Finding, ScanContext, excerpt_of

__all__ = ["ProfanityModel", "ToxicityScanner", "load_profanity_model"]

_MAX_EVIDENCE = 3


@dataclass(frozen=True, slots=True)
class ProfanityModel:
    """alt-profanity-check's tf-idf weights and calibrated linear SVMs, as plain arrays."""

    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float64]
    coefficients: npt.NDArray[np.float64]  # one row per calibrated SVM
    intercepts: npt.NDArray[np.float64]
    sigmoid_slopes: npt.NDArray[np.float64]
    sigmoid_offsets: npt.NDArray[np.float64]
    token_pattern: re.Pattern[str]

    def probability(self, text: str) -> float:
        """Return the probability that `text` is offensive, as the package's `predict_prob`."""
        # scikit-learn's per-call validation costs ~10 ms for one short text; the same sums
        # over the few words present take microseconds.
        counts = Counter(
            self.vocabulary[word]
            for word in self.token_pattern.findall(text.lower())
            if word in self.vocabulary
        )
        decision = self.intercepts
        if counts:
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tfidf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            tfidf *= self.idf[columns]
            tfidf /= np.linalg.norm(tfidf)
            decision = self.coefficients[:, columns] @ tfidf + self.intercepts
        # scikit-learn's sigmoid calibration is expit(-(a * d + b)); tanh keeps it overflow-free.
        calibrated = 0.5 * (
            1.0 - np.tanh(0.5 * (self.sigmoid_slopes * decision + self.sigmoid_offsets))
        )
        return float(np.clip(np.mean(calibrated), 0.0, 1.0))

    def offensive_words(self, text: str) -> list[tuple[float, int, int]]:
        """Return (weight, start, end) of words that push the score up, heaviest first."""
        found: dict[str, tuple[float, int, int]] = {}
        for match in self.token_pattern.finditer(text):
            word = match.group().lower()
            column = self.vocabulary.get(word)
            if column is None or word in found:
                continue
            weight = float(self.coefficients[:, column].mean())
            if weight > 0:
                found[word] = (weight, match.start(), match.end())
        return sorted(found.values(), key=lambda item: -item[0])


class ToxicityScanner:
    """Scores offensive language; evidence names the words that weigh most once the model leans toxic."""

    name = "toxicity"
    cost = 20

    def __init__(self, *, evidence_from: float = 0.5) -> None:
        # Below this probability the model does not lean toxic, and naming its heaviest words
        # would only put noise in the evidence.
        self.evidence_from = evidence_from

    def warm_up(self) -> None:
        """Load the model now rather than on the first scan."""
        load_profanity_model()

    def scan(self, text: str, context: ScanContext) -> Finding:
        """Return the offensive-language probability, with the heaviest words as evidence."""
        if not text.strip():
            return Finding(self.name, 0.0)
        model = load_profanity_model()
        score = model.probability(text)
        if score < self.evidence_from:
            return Finding(self.name, score)
        evidence = tuple(
            Evidence("offensive_word", start, end, excerpt_of(text, start, end))
            for _, start, end in model.offensive_words(text)[:_MAX_EVIDENCE]
        )
        return Finding(self.name, score, evidence)


@lru_cache(maxsize=1)
def load_profanity_model() -> ProfanityModel:
    """Load alt-profanity-check's bundled model once, without importing its module."""
    spec = importlib.util.find_spec("profanity_check")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("llm", needed_for="the toxicity scanner")
    # Neither joblib nor scikit-learn ships type information.
    import joblib  # type: ignore[import-untyped]
    from sklearn.exceptions import InconsistentVersionWarning  # type: ignore[import-untyped]

    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    # The pickles were written by the scikit-learn release the package was built against;
    # a tf-idf vectorizer and linear SVMs load and score the same under neighbouring releases,
    # so that one warning is expected noise. Any other warning still surfaces.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        vectorizer = joblib.load(data / "vectorizer.joblib")
        model = joblib.load(data / "model.joblib")
    return _as_arrays(vectorizer, model)


def _as_arrays(vectorizer: Any, model: Any) -> ProfanityModel:
    calibrated = model.calibrated_classifiers_
    if list(model.classes_) != [0, 1] or any(c.method != "sigmoid" for c in calibrated):
        raise ValueError("alt-profanity-check's model is not the binary sigmoid-calibrated SVM")
    return ProfanityModel(
        vocabulary={word: int(column) for word, column in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        coefficients=np.vstack([c.estimator.coef_[0] for c in calibrated]).astype(np.float64),
        intercepts=np.array([c.estimator.intercept_[0] for c in calibrated], dtype=np.float64),
        sigmoid_slopes=np.array([c.calibrators[0].a_ for c in calibrated], dtype=np.float64),
        sigmoid_offsets=np.array([c.calibrators[0].b_ for c in calibrated], dtype=np.float64),
        token_pattern=re.compile(vectorizer.token_pattern),
    )
