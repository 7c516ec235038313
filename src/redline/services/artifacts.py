"""Model artifacts: checksums, and loading a verified artifact as a per-row predict callable."""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from redline.errors import RedlineError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ARTIFACT_SUFFIXES",
    "ArtifactError",
    "Predictor",
    "describe_artifact",
    "is_reference",
    "load_artifact",
    "sha256_of",
]

_REFERENCE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


class ArtifactError(RedlineError):
    """A model artifact is missing, changed since it was registered, or cannot be loaded."""


class Predictor:
    """A loaded model: ``p(row)`` answers one dict row, ``p.batch(table)`` a whole table."""

    def __init__(
        self, row: Callable[[Any], Any], batch: Callable[[Any], list[Any]], *, source: str
    ) -> None:
        self._row = row
        self._batch = batch
        self.source = source

    def __call__(self, row: Any) -> Any:
        return self._row(row)

    def batch(self, data: Any) -> list[Any]:
        """Predict a DataFrame, a mapping of columns or a list of row dicts; one value per row."""
        return self._batch(data)

    def __repr__(self) -> str:
        return f"Predictor({self.source!r})"


def sha256_of(path: str | Path) -> str:
    """The hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_reference(artifact: str | Path) -> bool:
    """True for a ``module:function`` reference (and not an existing file of that name)."""
    text = str(artifact)
    return _REFERENCE.match(text) is not None and not Path(text).exists()


def describe_artifact(artifact: str | Path) -> tuple[str, str]:
    """The (uri, sha256) to register: an absolute path and its file hash, or a reference's hash."""
    if is_reference(artifact):
        text = str(artifact)
        return text, hashlib.sha256(text.encode()).hexdigest()
    path = Path(artifact).expanduser().resolve()
    if not path.is_file():
        raise ArtifactError(f"{path}: no such artifact file")
    _loader_for(path)
    return str(path), sha256_of(path)


def load_artifact(path: str | Path, *, sha256: str, trust: bool = False) -> Predictor:
    """Verify the artifact's sha256, then load it as a :class:`Predictor`."""
    uri, actual = describe_artifact(path)
    if actual != sha256:
        raise ArtifactError(
            f"{uri}: sha256 mismatch, expected {sha256} (registered) but the artifact has "
            f"{actual}; it changed since it was registered, so it is not loaded "
            "(register the new artifact as a new version)"
        )
    if is_reference(uri):
        if not trust:
            raise ArtifactError(
                f"loading {uri!r} imports that module, which runs its code; "
                "pass trust=True (--trust-artifacts) only for modules you wrote"
            )
        return _as_predictor(_import_reference(uri), uri)
    resolved = Path(uri)
    return _as_predictor(_loader_for(resolved)(resolved, trust), uri)


def _loader_for(path: Path) -> Callable[[Path, bool], Any]:
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise ArtifactError(
            f"{path}: unsupported artifact type {path.suffix or '(no suffix)'!r}; use one of "
            f"{', '.join(ARTIFACT_SUFFIXES)} or a 'module:function' reference"
        )
    return loader


def _optional(module: str, suffix: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ArtifactError(
            f"loading {suffix} artifacts needs {module.split('.')[0]}: pip install {module}"
        ) from exc


def _load_pickle(path: Path, trust: bool) -> Any:
    if not trust:
        raise ArtifactError(
            f"loading {path.name} runs code inside it (pickle); "
            "pass trust=True only for artifacts you built"
        )
    return importlib.import_module("joblib").load(path)


def _load_skops(path: Path, trust: bool) -> Any:
    sio = _optional("skops.io", ".skops")
    # skops refuses types outside its safe list unless they are named as trusted.
    trusted = sio.get_untrusted_types(file=path) if trust else None
    return sio.load(path, trusted=trusted)


class _OnnxModel:
    """An ONNX session with an estimator's ``predict(X)`` (one float input, first output)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.input_name = str(session.get_inputs()[0].name)

    def predict(self, features: Any) -> Any:
        inputs = {self.input_name: np.asarray(features, dtype=np.float32)}
        out = np.asarray(self.session.run(None, inputs)[0])
        return out.ravel() if out.ndim == 2 and out.shape[1] == 1 else out


def _load_onnx(path: Path, trust: bool) -> Any:
    ort = _optional("onnxruntime", ".onnx")
    return _OnnxModel(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]))


_LOADERS: dict[str, Callable[[Path, bool], Any]] = {
    ".skops": _load_skops,
    ".onnx": _load_onnx,
    **dict.fromkeys(_PICKLE_SUFFIXES, _load_pickle),
}
ARTIFACT_SUFFIXES: tuple[str, ...] = tuple(_LOADERS)


def _import_reference(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for name in attribute.split("."):
            target = getattr(target, name)
    except (ImportError, AttributeError) as exc:
        raise ArtifactError(f"cannot import {reference!r}: {exc}") from exc
    return target


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _frame(data: Any) -> pd.DataFrame:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    return pd.DataFrame(list(data))


def _estimator(model: Any, source: str) -> Predictor:
    names = getattr(model, "feature_names_in_", None)
    columns = None if names is None else [str(n) for n in names]

    def row(r: Mapping[str, Any]) -> Any:
        if columns is None:  # fitted without names: plain values, in the row's own order
            return _scalar(model.predict(np.asarray([list(r.values())]))[0])
        import pandas as pd

        return _scalar(model.predict(pd.DataFrame([[r[c] for c in columns]], columns=columns))[0])

    def batch(data: Any) -> list[Any]:
        frame = _frame(data)
        features = frame.to_numpy() if columns is None else frame[columns]
        return [_scalar(v) for v in model.predict(features)]

    return Predictor(row, batch, source=source)


def _as_predictor(obj: Any, source: str) -> Predictor:
    if hasattr(obj, "predict"):
        return _estimator(obj, source)
    if callable(obj):
        fn: Callable[[Any], Any] = obj

        def batch(data: Any) -> list[Any]:
            return [fn(r) for r in _frame(data).to_dict(orient="records")]

        return Predictor(fn, batch, source=source)
    raise ArtifactError(
        f"{source} holds a {type(obj).__name__}: neither a model with .predict nor a callable"
    )
