"""Stored JSON documents as the short phrases a post-mortem's tables show."""

from __future__ import annotations

from redline.forensics.postmortem_readable import describe

DRIFT = {
    "calibrated_threshold": 0.1241,
    "floor": 0.1,
    "statistics": {"psi": 9.1, "kl": 5.1},
    "top_moves": [
        {"bin": ">= 84.02", "reference": 5e-05, "current": 0.311},
        {"bin": "[69.98, 78.98)", "reference": 0.007549, "current": 0.312},
        {"bin": "[78.98, 82.94)", "reference": 0.00175, "current": 0.227},
        {"bin": "[82.94, 84.02)", "reference": 0.0011, "current": 0.052},
    ],
    "consecutive_windows": 2,
}


def test_drift_evidence_names_the_bins_that_moved_and_leaves_the_calibration_out() -> None:
    text = describe(DRIFT)
    assert text == (
        "top moves: >= 84.02: 0.0% → 31.1%; [69.98, 78.98): 0.8% → 31.2%; "
        "[78.98, 82.94): 0.2% → 22.7% (+1 more) · consecutive windows: 2"
    )


def test_no_json_and_no_long_hash_survives() -> None:
    opened = {
        "severity": "SEV1",
        "signals": [
            {
                "kind": "canary_failure",
                "column": "golden-1",
                "statistic": "canary_mismatch",
                "value": 1.0,
                "threshold": 0.0,
                "evidence": {"expected": 0, "got": 1},
            },
        ],
        "snapshot_id": "8018ef09e9aeb8fc223cf4fc1db447581b570e6913e9e339b2f32c0147fce687",
        "nested": {"routes": {"primary": 91}},
    }
    text = describe(opened)
    assert "{" not in text
    assert '"' not in text
    assert "canary_failure on golden-1: canary_mismatch 1 vs 0" in text
    assert "snapshot id: 8018ef09e9ae…" in text
    assert "8018ef09e9aeb8fc2" not in text


def test_scalars_and_empty_values() -> None:
    assert describe(None) == "—"
    assert describe({}) == "—"
    assert describe({"ok": False, "empty": [], "n": 3}) == "ok: no · n: 3"
    assert describe(["a", "b", "c", "d"]) == "a, b, c (+1 more)"
