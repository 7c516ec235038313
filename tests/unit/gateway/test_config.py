"""Gateway files: valid ones load with paths under their folder; problems name line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from redline.gateway import GatewayConfigError, load_gateway_config, parse_gateway_config

GOOD = """
upstreams:
  openai: {base_url: "https://api.openai.com/v1", api_key_env: OPENAI_API_KEY}
models:
  support:
    upstream: openai
    upstream_model: gpt-4o-mini
    reference: refs/support.json
    fallback: {upstream: openai, model: gpt-4o}
    scanners: {use: [injection, secrets], thresholds: {secrets: [0.5, block]}}
api_keys:
  - {name: alice, env: ALICE_KEY}
source: [key, "header:X-Tenant", ip]
server: https://redline.example
token: ${REDLINE_TOKEN}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(GatewayConfigError) as failed:
        parse_gateway_config(text, source="gw.yaml", env={})
    return [str(p) for p in failed.value.problems]


def test_a_good_file_loads_with_references_under_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(GOOD)
    config = load_gateway_config(path, env={"REDLINE_TOKEN": "rl_secret"})
    support = config.models["support"]
    assert support.reference == tmp_path / "refs" / "support.json"
    assert support.scanners.thresholds["secrets"][1] == "block"
    assert (config.token, config.source) == ("rl_secret", ["key", "header:X-Tenant", "ip"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("upstreams: {}\nmodel: {}\n", "gw.yaml:2:1: unknown key 'model' — did you mean 'models'?"),
        (
            "upstreams:\n  a: {base_url: 'http://x'}\nmodels:\n  m:\n    upstream: b\n"
            "    reference: r.json\n",
            "gw.yaml:5:15: unknown upstream 'b'. Fix: use one of: a",
        ),
        (
            "upstreams:\n  a: {base_url: 'http://x', timeout: 3}\nmodels: {}\n",
            "gw.yaml:2:29: unknown key 'timeout' — did you mean 'timeout_s'?",
        ),
        (
            "upstreams:\n  a: {base_url: 'http://x'}\nmodels:\n  m: {upstream: a}\n",
            "gw.yaml:4:3: missing required key 'reference'",
        ),
        (
            "upstreams:\n  a: {base_url: 'http://x'}\nmodels:\n  m: {upstream: a, reference: r}\n"
            "source: [key, cookie]\n",
            "gw.yaml:5:15: unknown source 'cookie'",
        ),
        ("upstreams: [a\n", "gw.yaml:2:1: invalid YAML"),
    ],
)
def test_problems_give_the_line_column_and_a_fix(text: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in _problems(text)), _problems(text)


def test_an_unset_variable_is_named_not_guessed() -> None:
    (problem,) = [p for p in _problems(GOOD) if "REDLINE_TOKEN" in p]
    assert problem.startswith("gw.yaml:15:8: environment variable 'REDLINE_TOKEN' is not set")


def test_an_api_key_needs_exactly_one_secret() -> None:
    text = GOOD.replace("{name: alice, env: ALICE_KEY}", "{name: alice}")
    problems = _problems(text.replace("${REDLINE_TOKEN}", "t"))
    assert problems == [
        "gw.yaml:12:5: api key 'alice' needs exactly one of 'env' and 'sha256'. Fix: write "
        "'env: VAR' (the key is read from $VAR) or 'sha256: <hex digest>'"
    ]
