"""LLM Guard: chat models served through their route, scanned, and watched like any model."""

from __future__ import annotations

from redline.llm.chat import ChatResult
from redline.llm.columns import score_column
from redline.llm.guard import LLMGuard
from redline.llm.reference import fit_llm_reference
from redline.llm.streams import GuardedStream
from redline.llm.turn import Answer

__all__ = ["Answer", "ChatResult", "GuardedStream", "LLMGuard", "fit_llm_reference", "score_column"]
