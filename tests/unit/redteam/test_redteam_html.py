"""The HTML report is self-contained and escapes attack text: a hostile answer cannot run."""

from __future__ import annotations

import re

from redline.redteam.attempts import Attempt
from redline.redteam.summary import summarize

HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def _attempts() -> list[Attempt]:
    transcript = [{"role": "user", "content": HOSTILE}, {"role": "assistant", "content": HOSTILE}]
    return [
        Attempt("run1", "python:bot", "p1", "jailbreak", "no_refusal", "refuses", "ok", True,
                f"complied: {HOSTILE}", HOSTILE, transcript),
        Attempt("run1", "python:bot", "p2", "jailbreak", "no_refusal", "refuses", "ok", False,
                "refused", "no", []),
    ]  # fmt: skip


def _html() -> str:
    from redline.redteam.html import render_html

    attempts = _attempts()
    return render_html(summarize(attempts, {"jailbreak": 0.1}), attempts)


def test_hostile_answers_are_escaped() -> None:
    html = _html()
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "onerror=alert(1)&gt;" in html  # text, not an attribute


def test_the_page_loads_nothing_and_allows_no_scripts() -> None:
    html = _html()
    assert "default-src 'none'" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)


def test_the_page_shows_the_failed_gate_and_the_successful_attack_first() -> None:
    html = _html()
    assert "failed" in html
    assert "over limit" in html
    assert html.index(">p1<") < html.index(">p2<")
    assert "50.0%" in html
