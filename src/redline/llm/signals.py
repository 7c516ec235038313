"""The signals an LLMGuard raises per window beside the metric columns' monitors: its watches,
calibrated on the reference, and the canaries a playbook plants."""

from __future__ import annotations

from typing import Any

from redline.llm.campaigns import CampaignRule, InjectionCampaigns, ToxicOutputs
from redline.llm.columns import score_column
from redline.llm.runaway import RunawayRule, RunawayWatch
from redline.llm.watch import CallWatch, flag_rate
from redline.profiles.reference import Reference

__all__ = ["playbook_canaries", "window_watches"]


def window_watches(
    reference: Reference,
    campaign: CampaignRule,
    runaway: RunawayRule | None,
    toxic_threshold: float,
    toxic_many: int,
) -> list[CallWatch]:
    """The per-window watches beside the metric columns, calibrated on the reference."""
    injection = score_column("prompt", "injection")
    return [
        InjectionCampaigns(
            injection,
            rule=campaign,
            base_rate=flag_rate(reference, injection, campaign.threshold),
        ),
        ToxicOutputs(
            score_column("output", "toxicity"), threshold=toxic_threshold, many=toxic_many
        ),
        RunawayWatch(reference, runaway),
    ]


def playbook_canaries(playbook: Any) -> tuple[Any, dict[str, str]]:
    """The playbook loaded once (the Guard takes it as is) and its planted canaries."""
    from redline.playbook import Playbook, load_playbook  # pydantic: only with a playbook

    loaded = playbook if isinstance(playbook, Playbook) else load_playbook(playbook)
    return loaded, dict(loaded.leak_canaries)
