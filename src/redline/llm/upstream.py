"""A chat callable or an OpenAI-compatible client behind one call shape, sync or async.

The Router chooses between upstreams without calling them: an `Upstream` used as a predict
function answers with itself, and the LLM guard makes the call it was handed.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import Any

from redline.llm.chat import ChatResult, StreamTally, read_chunk, read_completion

__all__ = [
    "LIMIT_KEYWORDS",
    "Messages",
    "Upstream",
    "chunks_of",
    "collect",
    "collect_async",
    "is_client",
    "limit_keywords",
]

Messages = Sequence[Mapping[str, Any]]


def is_client(target: Any) -> bool:
    """Whether ``target`` looks like an OpenAI client (``client.chat.completions.create``)."""
    completions = getattr(getattr(target, "chat", None), "completions", None)
    return callable(getattr(completions, "create", None))


#: The generation limits a route may cap (`redline.llm.limits`).
LIMIT_KEYWORDS = ("max_tokens", "temperature")


def limit_keywords(target: Any) -> tuple[str, ...]:
    """The limit keywords a chat callable accepts (all of them with ``**kwargs``)."""
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        return ()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return LIMIT_KEYWORDS
    names = {p.name for p in parameters if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    return tuple(k for k in LIMIT_KEYWORDS if k in names)


class Upstream:
    """One chat target: ``fn(messages)`` or ``client.chat.completions.create(model=...)``.

    A callable gets the ``max_tokens``/``temperature`` options it accepts as keywords (the
    route's generation limits); an OpenAI client gets every option.
    """

    def __init__(self, target: Any, *, name: str, llm_model: str | None = None) -> None:
        if not (callable(target) or is_client(target)):
            raise TypeError(
                "chat must be a callable fn(messages) or an OpenAI-compatible client with "
                f"chat.completions.create; got {type(target).__name__}"
            )
        self.target = target
        self.name = name
        self.llm_model = llm_model
        self._client = is_client(target)
        if self._client and llm_model is None:
            raise TypeError("an OpenAI-compatible client needs llm_model= (the model to call)")
        self._keywords = LIMIT_KEYWORDS if self._client else limit_keywords(target)

    @property
    def takes_limits(self) -> bool:
        """Whether a cap on ``max_tokens`` and ``temperature`` reaches this upstream."""
        return self._keywords == LIMIT_KEYWORDS

    def __call__(self, row: Any) -> Upstream:
        """As a predict function: the Router's choice is this upstream itself, not yet called."""
        return self

    def __repr__(self) -> str:
        return f"Upstream({self.name!r})"

    def invoke(self, messages: Messages, *, stream: bool, options: Mapping[str, Any]) -> Any:
        """Start the call; the result may be awaitable, an answer, or an iterator of chunks."""
        if not self._client:
            given = {k: options[k] for k in self._keywords if k in options}
            return self.target(list(messages), **given)
        kwargs = dict(options)
        if stream:
            kwargs.setdefault("stream_options", {"include_usage": True})
        create = self.target.chat.completions.create
        return create(model=self.llm_model, messages=list(messages), stream=stream, **kwargs)


def _is_answer(value: Any) -> bool:
    return isinstance(value, str | Mapping | ChatResult) or hasattr(value, "choices")


def collect(value: Any) -> ChatResult:
    """A whole answer from what a call returned (a stream is read to its end)."""
    if _is_answer(value) or not isinstance(value, Iterable):
        return read_completion(value)
    tally = StreamTally()
    for chunk in value:
        read_chunk(chunk, tally)
    return tally.finish()


async def collect_async(value: Any) -> ChatResult:
    """`collect` for an async call: awaits, and reads an async stream to its end."""
    if inspect.isawaitable(value):
        value = await value
    if isinstance(value, AsyncIterator) or hasattr(value, "__aiter__"):
        tally = StreamTally()
        async for chunk in value:
            read_chunk(chunk, tally)
        return tally.finish()
    return collect(value)


def chunks_of(value: Any) -> Iterator[Any]:
    """The chunks of a sync stream (a whole answer is one chunk)."""
    if _is_answer(value) or not isinstance(value, Iterable):
        yield read_completion(value).text
        return
    yield from value
