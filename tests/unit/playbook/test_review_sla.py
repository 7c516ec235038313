"""The playbook's review SLA: a default for every model and an override per model."""

from __future__ import annotations

import pytest

from redline.playbook import PlaybookError, parse_playbook
from redline.services.response import ResponsePlan

PLAYBOOK = """\
models:
  credit:
    reference: reference.json
    primary: credit:v3
    review: {decide_within: 15m}
  fraud:
    reference: reference.json
    primary: fraud:v1
review:
  decide_within: 2h
"""


def test_each_model_waits_by_its_own_limit_or_the_default() -> None:
    plan = ResponsePlan.from_playbook(parse_playbook(PLAYBOOK, env={}))
    assert plan.review_sla.limit_s("credit") == 15 * 60
    assert plan.review_sla.limit_s("fraud") == 2 * 3600


def test_without_a_playbook_a_review_may_wait_a_day() -> None:
    assert ResponsePlan().review_sla.limit_s("anything") == 86_400


def test_a_model_review_needs_a_positive_limit() -> None:
    with pytest.raises(PlaybookError):
        parse_playbook(PLAYBOOK.replace("decide_within: 15m", "decide_within: 0s"), env={})
