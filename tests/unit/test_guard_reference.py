"""``redline.Guard(reference=...)`` takes a Reference or the path of a saved one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import redline
from redline.errors import ReferenceFileError
from redline.profiles.reference import Reference


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Reference, Path]:
    rng = np.random.default_rng(8)
    reference = redline.fit_reference({"x": rng.normal(size=2_000)}, window_sizes=[100, 1_000])
    return reference, reference.save(tmp_path_factory.mktemp("ref") / "ref.json")


@pytest.mark.parametrize("as_str", [True, False])
def test_a_path_loads_the_saved_reference(saved: tuple[Reference, Path], as_str: bool) -> None:
    reference, path = saved
    given = str(path) if as_str else path
    with redline.Guard(
        model="m", predict=lambda row: row["x"], reference=given, store=False
    ) as guard:
        assert isinstance(guard.reference, Reference)
        assert guard.reference.content_hash == reference.content_hash
        assert guard.predict({"x": 0.5}).value == 0.5


def test_a_missing_reference_file_is_a_reference_file_error(tmp_path: Path) -> None:
    with pytest.raises(ReferenceFileError, match=r"gone\.json: no such reference file"):
        redline.Guard(model="m", predict=float, reference=tmp_path / "gone.json", store=False)


def test_a_file_that_is_not_a_reference_says_so(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('{"x": [1, 2, 3]}', encoding="utf-8")
    with pytest.raises(ReferenceFileError, match="not a redline reference file"):
        redline.Guard(model="m", predict=float, reference=str(path), store=False)


def test_other_reference_types_name_what_to_pass() -> None:
    with pytest.raises(TypeError, match=r"reference must be a Reference or the path .* got dict"):
        redline.Guard(model="m", predict=float, reference={"x": [1.0]}, store=False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'reference'"):
        redline.Guard(model="m", predict=float, store=False)  # type: ignore[call-arg]
