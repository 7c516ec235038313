"""The retrain hand-off: a command (a tiny Python script) and a webhook receive the files."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import httpx
import pandas as pd
import pytest
from postmortem_world import fit, resolved_incident

from redline.playbook import RetrainConfig
from redline.profiles.reference import Reference
from redline.services.retrain import trigger_retrain
from redline.store import Store, get_incident, list_timeline

RECEIVER = """
import json, os, pathlib, sys
import pandas
d = pathlib.Path(os.environ["REDLINE_RETRAIN_DIR"])
manifest = json.loads((d / "manifest.json").read_text())
incident = json.loads((d / "incident.json").read_text())
read = pandas.read_parquet if manifest["labels"]["format"] == "parquet" else pandas.read_csv
rows = read(d / manifest["labels"]["path"])
(d / "received.json").write_text(json.dumps({
    "argv": sys.argv[1:], "incident": incident["key"], "rows": len(rows),
    "snapshot": os.environ["REDLINE_SNAPSHOT_ID"], "columns": list(rows.columns),
    "recommendation": incident["recommendation"]["decision"],
}))
sys.exit(int(sys.argv[3]))
"""


@pytest.fixture(scope="module")
def reference() -> Reference:
    return fit()


def retrain_events(store: Store, key: str) -> list[dict[str, object]]:
    with store.session() as session:
        row = get_incident(session, key=key)
        assert row is not None
        return [
            e.details
            for e in list_timeline(session, incident_id=row.id)
            if e.kind == "retrain_triggered"
        ]


def test_a_command_and_a_webhook_receive_the_incident_snapshot_and_labels(
    migrated_url: str, reference: Reference, tmp_path: Path
) -> None:
    key = resolved_incident(migrated_url, reference)
    script = tmp_path / "receiver.py"
    script.write_text(RECEIVER, "utf-8")
    store = Store.from_url(migrated_url)
    try:
        command = [sys.executable, str(script), "{dir}", "{incident}", "0"]
        config = RetrainConfig.model_validate(
            {"command": command, "directory": str(tmp_path / "out")}
        )
        result = trigger_retrain(store, key=key, config=config, actor="person:ana")
        assert (result.ok, result.exit_code, result.labelled_rows) == (True, 0, 160)
        received = json.loads((result.directory / "received.json").read_text("utf-8"))
        assert received["argv"] == [str(result.directory), key, "0"]
        assert received["incident"] == key
        assert received["rows"] == 160
        assert received["columns"] == ["request_id", "prediction", "route", "label", "window_id"]
        assert received["snapshot"] == result.snapshot_id
        assert result.snapshot_id is not None
        assert received["recommendation"] == "retrain"

        failing = RetrainConfig.model_validate(
            {"command": [*command[:-1], "3"], "directory": str(tmp_path / "out"), "format": "csv"}
        )
        assert trigger_retrain(store, key=key, config=failing, actor="person:ana").exit_code == 3

        seen: list[httpx.Request] = []

        def receive(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(202, text="queued")

        hook = RetrainConfig.model_validate(
            {
                "webhook": "https://retrain.example/hook?token=s3cret",
                "format": "csv",
                "directory": str(tmp_path / "hook"),
            }
        )
        with httpx.Client(transport=httpx.MockTransport(receive)) as client:
            posted = trigger_retrain(store, key=key, config=hook, actor="person:ana", client=client)
        assert (posted.ok, posted.http_status, posted.target) == (
            True,
            202,
            "webhook retrain.example",
        )
        (request,) = seen
        body = request.read()
        assert b'filename="incident.json"' in body
        assert b'filename="labels.csv"' in body
        assert b'filename="manifest.json"' in body
        labels = pd.read_csv(io.StringIO((posted.directory / "labels.csv").read_text("utf-8")))
        assert len(labels) == 160

        events = retrain_events(store, key)
        assert [(e["ok"], e["exit_code"], e["http_status"]) for e in events] == [
            (True, 0, None),
            (False, 3, None),
            (True, None, 202),
        ]
        assert "s3cret" not in json.dumps(events)
    finally:
        store.dispose()


def test_the_playbook_refuses_a_retrain_section_without_exactly_one_target() -> None:
    from redline.playbook import PlaybookError, parse_playbook

    text = "version: 1\nmodels:\n  m:\n    reference: r.json\n    primary: a:b\nretrain:\n  format: csv\n"
    with pytest.raises(
        PlaybookError, match=r"7:3: retrain needs exactly one of 'command' and 'webhook'"
    ):
        parse_playbook(text)
    with pytest.raises(PlaybookError, match="format"):
        parse_playbook(text.replace("csv", "xlsx") + "  command: [python]\n")
