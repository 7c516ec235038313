"""End-to-end: ``redline gateway --config FILE`` as a child process, the real openai client, SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest

from redline.llm import fit_llm_reference
from redline.services.ingest import list_window_profiles
from redline.store import Store
from rltest.cli import cli_env, redline_script, run_redline
from rltest.llm import reference_calls
from rltest.openai_upstream import OpenAIUpstream

openai = pytest.importorskip("openai")

ANSWER = "Orders ship in two days."


def _config(tmp_path: Path, upstream_url: str) -> Path:
    fit_llm_reference(reference_calls(), window_sizes=[50]).save(tmp_path / "support.json")
    path = tmp_path / "gateway.yaml"
    path.write_text(
        f"""
upstreams:
  local: {{base_url: "{upstream_url}"}}
models:
  support-bot:
    upstream: local
    upstream_model: tiny
    reference: support.json   # relative to this file
    scanners: {{use: [injection, secrets]}}
window_s: 3600
"""
    )
    return path


def test_the_gateway_serves_an_openai_client_and_flushes_its_window_on_sigterm(
    tmp_path: Path,
) -> None:
    store = f"sqlite:///{tmp_path / 'redline.db'}"
    with OpenAIUpstream(ANSWER) as upstream:
        config = _config(tmp_path, upstream.url)
        command = [redline_script(), "gateway", "--config", str(config), "--port", "0"]
        with subprocess.Popen(
            [*command, "--store", store],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(prefix="REDLINE_"),
        ) as process:
            assert process.stdout is not None
            assert process.stderr is not None
            line = process.stdout.readline()
            printed = re.match(r"redline gateway on (http://\S+/v1) ", line)
            assert printed is not None, line + process.stderr.read()
            client = openai.OpenAI(base_url=printed.group(1), api_key="x", max_retries=0)
            reply = client.chat.completions.create(
                model="support-bot", messages=[{"role": "user", "content": "when?"}]
            )
            client.close()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, process.stderr.read()
    assert reply.choices[0].message.content == ANSWER
    # The window of the one request, flushed at shutdown, is in the store.
    opened = Store.from_url(store)
    try:
        (window,) = list_window_profiles(opened, model="support-bot")
    finally:
        opened.dispose()
    assert window.n_rows == 1


def test_a_bad_config_is_one_line_with_its_position(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text("upstreams:\n  local: {base_url: 'http://127.0.0.1:1/v1'}\nmodel: {}\n")
    result = run_redline("gateway", "--config", str(config))
    assert result.returncode == 2
    assert f"{config}:3:1: unknown key 'model' — did you mean 'models'?" in result.stderr
