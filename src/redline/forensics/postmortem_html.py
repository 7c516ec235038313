"""A post-mortem's Markdown as one self-contained HTML page, with its chart as inline SVG.

The Markdown is the source of truth (people edit it), so the page is rendered from it: the
subset redline writes (headings, paragraphs, lists, tables, fenced code, bold, code spans).
Everything is escaped; no script, no external asset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

from redline.forensics.postmortem_chart import drift_chart_svg

__all__ = ["CHART_PLACEHOLDER", "render_postmortem_html"]

CHART_PLACEHOLDER = "_Chart: the window statistic against its threshold (in the HTML rendering)._"

_STYLE = """
body { font-family: system-ui, sans-serif; color: #222; margin: 0; background: #f6f7f9; }
main { max-width: 980px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 1.45rem; } h2 { font-size: 1.15rem; margin-top: 28px; border-bottom: 1px solid #e3e6ea; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 0.85rem; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #e3e6ea; vertical-align: top; }
main p, main li, td { overflow-wrap: anywhere; }
pre { background: #f3f4f6; padding: 8px; overflow-x: auto; font-size: 0.8rem; }
.note { color: #666; font-size: 0.85rem; } svg { width: 100%; height: auto; }
"""


def _inline(value: str) -> str:
    out = escape(value, quote=True)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"<em>\1</em>", out)


def _row(line: str, tag: str) -> str:
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return (
        "<tr>"
        + "".join(f"<{tag}>{_inline(c.strip().replace(chr(92) + '|', '|'))}</{tag}>" for c in cells)
        + "</tr>"
    )


def _table(lines: list[str]) -> str:
    body = "".join(_row(line, "td") for line in lines[2:])
    return f"<table><thead>{_row(lines[0], 'th')}</thead><tbody>{body}</tbody></table>"


def _blocks(markdown: str, chart: str) -> list[str]:
    out: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines)
            )
            out.append(f"<pre><code>{escape(chr(10).join(lines[i + 1 : end]))}</code></pre>")
            i = end + 1
            continue
        group = [line]
        while i + 1 < len(lines) and lines[i + 1].strip() and not lines[i + 1].startswith("```"):
            if lines[i + 1][:1] != line[:1]:
                break
            i += 1
            group.append(lines[i])
        i += 1
        out.append(_group(group, chart))
    return out


def _group(group: list[str], chart: str) -> str:
    first = group[0]
    if not first.strip():
        return ""
    if first.startswith("#"):
        level = min(len(first) - len(first.lstrip("#")), 3)
        return "".join(f"<h{level}>{_inline(g.lstrip('#').strip())}</h{level}>" for g in group)
    if first.startswith("- "):
        return "<ul>" + "".join(f"<li>{_inline(g[2:])}</li>" for g in group) + "</ul>"
    if first.startswith("|") and len(group) >= 2:
        return _table(group)
    if first.strip() == CHART_PLACEHOLDER:
        return chart
    return f"<p>{_inline(' '.join(group))}</p>"


def render_postmortem_html(
    markdown: str, content: Mapping[str, Any], *, title: str | None = None
) -> str:
    """One HTML page: the Markdown rendered, the chart in place of its placeholder."""
    chart = drift_chart_svg(content.get("chart") or {})
    body = "".join(_blocks(markdown, chart))
    if CHART_PLACEHOLDER not in markdown and (content.get("chart") or {}).get("points"):
        body += f"<h2>Window statistic</h2>{chart}"
    heading = escape(title or f"Post-mortem {content.get('incident', '')}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{heading}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
