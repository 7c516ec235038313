"""``redline.LLMGuard`` without a store stays light: no database code, no client library."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import redline
calls = [{"prompt": "hi", "answer": "hello there", "latency_ms": 10.0 + i % 5} for i in range(100)]
ref = redline.fit_llm_reference(calls, window_sizes=[50])
with redline.LLMGuard(model="m", chat=lambda m: "hello", reference=ref, store=False) as guard:
    guard.chat([{"role": "user", "content": "hi"}])
    guard.flush()
heavy = ("sqlalchemy", "alembic", "redline.store", "openai", "fastapi", "presidio_analyzer")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
"""


def test_an_llm_guard_without_a_store_loads_no_database_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
