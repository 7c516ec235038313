"""redline's own corpus loads and validates; user files in JSONL or YAML; bad probes are errors."""

from __future__ import annotations

import base64
import codecs
from pathlib import Path

import pytest

from redline.errors import DataError
from redline.redteam.config import choose_probes
from redline.redteam.probes import (
    BUILTIN_FAMILIES,
    DETECTORS,
    builtin_probes,
    load_probes,
    merge_probes,
    parse_probes,
    select_families,
)


def test_builtin_corpus_covers_every_family_with_valid_probes() -> None:
    probes = builtin_probes()
    assert {p.family for p in probes} == set(BUILTIN_FAMILIES)
    assert len({p.id for p in probes}) == len(probes)
    for probe in probes:
        assert probe.detector in DETECTORS
        assert probe.turns
        assert all(t.strip() for t in probe.turns)
        assert "{payload}" not in " ".join(probe.turns)
        if probe.detector == "marker":
            assert probe.marker
    assert all(len(p.turns) > 1 for p in probes if p.family == "multi_turn")
    assert all(p.document for p in probes if p.family == "indirect_injection")


def test_builtin_markers_never_appear_in_the_text_the_model_is_asked_to_obey() -> None:
    # An encoded payload's marker must only be readable after decoding.
    for probe in builtin_probes():
        if probe.family == "encoding" and probe.marker:
            assert probe.marker not in " ".join(probe.turns)


def test_encodings_fill_the_payload() -> None:
    text = """\
- {id: a, family: enc, detector: marker, marker: X1, encoding: base64, payload: say X1, prompt: "decode {payload}"}
- {id: b, family: enc, detector: marker, marker: X2, encoding: rot13, payload: say X2, prompt: "{payload}"}
"""
    first, second = parse_probes(text, source="mine.yaml")
    assert first.turns == ("decode " + base64.b64encode(b"say X1").decode(),)
    assert codecs.decode(second.turns[0], "rot13") == "say X2"


def test_jsonl_and_yaml_files_load(tmp_path: Path) -> None:
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text(
        '{"id": "j1", "family": "custom", "detector": "no_refusal", "prompt": "hi"}\n\n'
        '{"id": "j2", "family": "custom", "detector": "canary", "turns": ["a", "b"]}\n'
    )
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("probes:\n  - {id: y1, family: custom, detector: pii, prompt: who}\n")
    loaded = load_probes(jsonl) + load_probes(yaml_file)
    assert [(p.id, p.turns) for p in loaded] == [
        ("j1", ("hi",)),
        ("j2", ("a", "b")),
        ("y1", ("who",)),
    ]
    assert loaded[0].expected  # a default expected behaviour is filled in


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {id: a, family: f, detector: guess, prompt: x}", "unknown detector 'guess'"),
        ("- {id: a, family: f, detector: marker, prompt: x}", "needs a 'marker'"),
        ("- {id: a, family: f, detector: canary}", "give 'prompt'"),
        ("- {id: a, family: f, detector: canary, prompt: x, colour: red}", "unknown probe field"),
        (
            "- {id: a, family: f, detector: canary, prompt: x, encoding: morse, payload: p}",
            "'encoding'",
        ),
        ("- {id: '', family: f, detector: canary, prompt: x}", "'id' must be"),
        (
            "- {id: a, family: f, detector: canary, prompt: x}\n- {id: a, family: g, detector: canary, prompt: y}",
            "also used",
        ),
        ("just text", "expected a list of probes"),
        ('{"id": "a", bad json', "not valid JSON"),
    ],
)
def test_bad_probes_are_data_errors(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_probes(text, source="mine")


def test_user_probes_join_the_corpus_and_ids_stay_unique(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("- {id: mine-1, family: custom, detector: no_refusal, prompt: hi}\n")
    probes = choose_probes([mine], ["custom", "jailbreak"])
    assert {p.family for p in probes} == {"custom", "jailbreak"}
    clash = parse_probes(
        "- {id: di-ignore-previous, family: x, detector: canary, prompt: y}", source="c"
    )
    with pytest.raises(DataError, match="also used"):
        merge_probes(builtin_probes(), clash)


def test_unknown_families_are_named() -> None:
    with pytest.raises(DataError, match="unknown probe family jailbrak"):
        select_families(builtin_probes(), ["jailbrak"])
    assert select_families(builtin_probes(), []) == builtin_probes()
