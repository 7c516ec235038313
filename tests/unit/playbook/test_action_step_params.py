"""A playbook's action parameters are checked like the CLI's and the API's."""

from __future__ import annotations

from textwrap import dedent

import pytest

from redline.playbook import PlaybookError, parse_playbook

PLAYBOOK = """\
models:
  credit:
    reference: reference.json
    primary: credit:v3
severity:
  rules:
    - match: {kinds: [confidence_drop]}
      severity: SEV2
      actions:
        - threshold_change: {threshold: %s}
    - match: {}
      severity: SEV3
"""


def test_a_threshold_in_the_unit_interval_loads() -> None:
    assert parse_playbook(PLAYBOOK % "0.8", env={}) is not None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.7", "threshold must be between 0 and 1 (a minimum confidence), got 1.7"),
        ("high", "threshold must be a number, got 'high'"),
    ],
)
def test_a_bad_threshold_is_a_playbook_error(value: str, message: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(dedent(PLAYBOOK % value), env={})
    assert message in str(caught.value)
