"""``redline.Guard`` without a store stays light: no SQLAlchemy, Alembic or services loaded."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import numpy as np
import redline
ref = redline.fit_reference({"x": np.arange(500.0)}, window_sizes=[100])
with redline.Guard(model="m", predict=lambda r: r["x"], reference=ref, store=False) as guard:
    guard.predict({"x": 1.0})
    guard.flush()
heavy = ("sqlalchemy", "alembic", "redline.store", "redline.services.ingest")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
"""


def test_a_guard_without_a_store_loads_no_database_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
