"""The toxicity scanner: same probabilities as alt-profanity-check, evidence, hard negatives."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from redline.errors import MissingExtraError
from redline.scanners.base import ScanContext, Scanner

pytest.importorskip("profanity_check")

from redline.scanners.toxicity import ToxicityScanner, load_profanity_model

OUTPUT = ScanContext(direction="output")

OFFENSIVE = [
    ("You are a fucking idiot.", "fucking"),
    ("Shut up, you stupid bitch.", "bitch"),
    ("What a load of bullshit.", "bullshit"),
    ("Go to hell, moron", "hell"),
]

# Words that contain or sit near offensive ones without being offensive.
HARD_NEGATIVES = [
    "Please kill the process with SIGTERM and restart it.",
    "The Scunthorpe problem is a classic filtering failure.",
    "The assassin in the novel was a classic villain.",
    "Sussex and Essex are counties in England.",
    "Have a nice day, the report is attached.",
]


@pytest.fixture
def fresh_model() -> Iterator[None]:
    """Load the model anew inside the test and drop what the test loaded afterwards."""
    load_profanity_model.cache_clear()
    yield
    load_profanity_model.cache_clear()


def test_the_scanner_obeys_the_protocol() -> None:
    assert isinstance(ToxicityScanner(), Scanner)
    assert ToxicityScanner().name == "toxicity"


def test_probabilities_match_the_package() -> None:
    from profanity_check import predict_prob

    texts = [text for text, _ in OFFENSIVE] + HARD_NEGATIVES
    texts += ["", "the and of", "İstanbul DAMN it", "word " * 300, "fuck fuck fuck nice"]
    ours = [load_profanity_model().probability(text) for text in texts]
    np.testing.assert_allclose(ours, predict_prob(texts), rtol=0, atol=1e-9)


@pytest.mark.parametrize(("text", "word"), OFFENSIVE)
def test_offensive_text_scores_high_and_names_the_word(text: str, word: str) -> None:
    finding = ToxicityScanner().scan(text, OUTPUT)
    assert finding.score > 0.9
    assert word in [text[e.start : e.end] for e in finding.evidence]
    assert all(e.rule == "offensive_word" for e in finding.evidence)


def test_the_heaviest_word_comes_first() -> None:
    text = "Thanks for the report, you fucking idiot."
    first = ToxicityScanner().scan(text, OUTPUT).evidence[0]
    assert text[first.start : first.end] == "fucking"


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_stay_below_one_half_without_evidence(text: str) -> None:
    finding = ToxicityScanner().scan(text, OUTPUT)
    assert finding.score < 0.5
    assert finding.evidence == ()


def test_blank_text_scores_zero() -> None:
    assert ToxicityScanner().scan("  \n", OUTPUT).score == 0.0


def test_evidence_threshold_is_a_setting() -> None:
    text = "I hate it when the build breaks."
    assert ToxicityScanner().scan(text, OUTPUT).evidence == ()
    words = ToxicityScanner(evidence_from=0.0).scan(text, OUTPUT).evidence
    assert text[words[0].start : words[0].end] == "hate"


@pytest.mark.usefixtures("fresh_model")
def test_a_scikit_learn_version_mismatch_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import joblib
    import sklearn.base
    from sklearn.exceptions import InconsistentVersionWarning

    # Unpickling compares the pickle's scikit-learn version with this one.
    monkeypatch.setattr(sklearn.base, "__version__", "0.0.0")
    load_uncached = load_profanity_model.__wrapped__
    with pytest.warns(InconsistentVersionWarning):  # what a bare load does under this mismatch
        joblib.load(_package_data() / "model.joblib")
    model = load_uncached()  # filterwarnings=error turns any warning that escapes into a failure
    assert model.probability("You are a fucking idiot.") > 0.9


@pytest.mark.usefixtures("fresh_model")
def test_a_missing_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "profanity_check", None)
    with pytest.raises(MissingExtraError, match=r"redline\[llm\]"):
        ToxicityScanner().scan("hello", OUTPUT)


def _package_data() -> Path:
    spec = importlib.util.find_spec("profanity_check")
    assert spec is not None
    assert spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data"
