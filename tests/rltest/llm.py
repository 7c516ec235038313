"""LLM guard test helpers: a tiny scanner pipeline (emails are PII, one phrase is an
injection) and known-good reference calls."""

from __future__ import annotations

import re
from dataclasses import dataclass

from redline.scanners.base import Action, Evidence, Finding, ScanContext, Verdict, most_severe

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
INJECTION = "ignore previous instructions"


@dataclass
class FakeScanners:
    """PII (emails) redacted or blocked as ``pii_action`` says; the injection phrase blocked."""

    pii_action: Action = Action.REDACT

    def scan(self, text: str, context: ScanContext) -> Verdict:
        """Score the text with both rules; the most severe action wins."""
        spans = [m.span() for m in EMAIL.finditer(text)]
        pii = Finding(
            "pii",
            1.0 if spans else 0.0,
            tuple(Evidence("EMAIL_ADDRESS", a, b, "<email>") for a, b in spans),
            EMAIL.sub("<EMAIL_ADDRESS>", text) if spans else None,
        )
        injected = context.direction == "prompt" and INJECTION in text.lower()
        injection = Finding("injection", 1.0 if injected else 0.0)
        actions = [self.pii_action if spans else Action.ALLOW]
        actions.append(Action.BLOCK if injected else Action.ALLOW)
        action = most_severe(actions)
        out = pii.redacted if action is Action.REDACT and pii.redacted else text
        return Verdict(action, max(pii.score, injection.score), (pii, injection), out)


def reference_calls(n: int = 400) -> list[dict[str, object]]:
    """Known-good calls: short answers with usage, and both scanners' scores."""
    answers = ["Your refund is on its way.", "Orders ship in two days.", "Happy to help!"]
    return [
        {
            "prompt": f"question {i}",
            "answer": answers[i % 3],
            "usage": {"prompt_tokens": 10 + i % 5, "completion_tokens": 6 + i % 4},
            "latency_ms": 100.0 + i % 17,
            "finish_reason": "stop",
            "llm_model": "tiny",
            "scores": {
                "prompt_pii_score": 0.0,
                "prompt_injection_score": 0.0,
                "output_pii_score": 0.0,
                "output_injection_score": 0.0,
            },
        }
        for i in range(n)
    ]
