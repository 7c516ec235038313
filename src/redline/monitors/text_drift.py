"""Text drift: a text column's hashed token distribution against the reference's."""

from __future__ import annotations

from redline.monitors.columns import ColumnVerdict, judge_text
from redline.monitors.drift import PooledState, _ColumnDriftMonitor
from redline.profiles.text_sketch import TextState
from redline.profiles.window import WindowProfile

__all__ = ["TextDriftMonitor"]


class TextDriftMonitor(_ColumnDriftMonitor):
    """Jensen-Shannon distance of each text feature's hashed word buckets.

    Catches what length and word counts miss: a change of topic or of writing source, words
    garbled at the same lengths. ``columns`` takes sketch names (``review.tokens``) or the
    text columns themselves (``review``). Windows count texts, not tokens, against the
    calibrated sizes; evidence names the buckets that moved by the reference's words there.
    """

    name = "text_drift"
    kind = "feature_drift"

    def _selected(self) -> list[str]:
        wanted = self.columns
        return [
            t.name
            for t in self.reference.texts.values()
            if wanted is None or t.name in wanted or t.source in wanted
        ]

    def _state(self, window: WindowProfile, name: str) -> PooledState:
        return window.texts[name]

    def _judge(self, name: str, state: PooledState) -> ColumnVerdict:
        assert isinstance(state, TextState)
        return judge_text(
            self.reference.texts[name],
            state,
            window_sizes=self.reference.window_sizes,
            floors=self._floors(),
            min_rows=self.min_rows,
        )
