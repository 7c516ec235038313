"""The HTML report: one self-contained file, every answer escaped (attack text is hostile)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib import resources

from redline.errors import MissingExtraError
from redline.redteam.attempts import Attempt
from redline.redteam.summary import RunSummary

__all__ = ["render_html"]


def _percent(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.1%}"


def render_html(summary: RunSummary, attempts: Sequence[Attempt]) -> str:
    """Render the report; Jinja2 autoescapes every value and the page allows no scripts."""
    try:
        import jinja2
    except ImportError as exc:
        raise MissingExtraError("redteam", needed_for="the HTML red-team report") from exc
    source = resources.files("redline.redteam").joinpath("data/report.html.j2").read_text("utf-8")
    # autoescape=True for every template (not select_autoescape): the source has no file name.
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(source)
    ordered = sorted(attempts, key=lambda a: (not a.success, a.family, a.probe_id))
    targets = sorted({a.target for a in attempts})
    return template.render(
        summary=summary,
        attempts=ordered,
        target=", ".join(targets),
        runs=sorted({a.run_id for a in attempts}),
        total=len(attempts),
        pct=_percent,
    )
