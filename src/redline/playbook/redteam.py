"""The red-team gate: per-family limits on attack success rates, and extra probe files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field

from redline.playbook.fields import Strict

__all__ = ["RedteamConfig"]

SuccessRate = Annotated[float, Field(ge=0, le=1)]


class RedteamConfig(Strict):
    """``redteam:`` — ``limits`` (family or ``*`` → highest allowed success rate), ``probes``."""

    unknown_key: ClassVar[str] = "unknown redteam key '{name}'"
    limits: dict[str, SuccessRate] = Field(default_factory=dict)
    probes: list[Path] = Field(default_factory=list)
