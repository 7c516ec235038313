"""End-to-end: ``redline review list|decide`` through the ``redline`` app."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from redline.services import open_store
from redline.services.review import ReviewRequest, queue_for_review
from redline.store import add_predictions, list_audit, list_labelled_predictions
from rltest.cli import cli_env, invoke_redline


def redline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command with plain output."""
    return invoke_redline(*args, env=cli_env(extra=env))


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A SQLite store holding two pending review items of model "fraud" and one of "credit"."""
    url = f"sqlite:///{tmp_path / 'redline.db'}"
    store = open_store(url)
    served = [(r, "fraud", "primary", datetime(2026, 3, 1, tzinfo=UTC)) for r in ("r1", "r2")]
    try:
        with store.session() as session:
            add_predictions(session, model="fraud", window_id=None, rows=served)
        for model, ids in (("fraud", ["r1", "r2"]), ("credit", ["c1"])):
            requests = [
                ReviewRequest(request_id, "low_confidence", {"amount": 12.5}, "fraud", 0.55, 0.7)
                for request_id in ids
            ]
            queue_for_review(store, model=model, items=requests)
    finally:
        store.dispose()
    return url


def _labels_and_audit(url: str) -> tuple[dict[str, object], list[str]]:
    store = open_store(url)
    try:
        with store.session() as session:
            joined = list_labelled_predictions(session, model="fraud")
            audit = [f"{e.action} {e.target} {e.actor}" for e in list_audit(session)]
            return {p.request_id: p.label for p in joined}, audit
    finally:
        store.dispose()


def _items(url: str, *args: str) -> list[dict[str, object]]:
    done = redline("review", "list", "--json", "--store", url, *args)
    assert done.returncode == 0, done.stderr
    items: list[dict[str, object]] = json.loads(done.stdout)
    return items


def test_list_then_decide_each_way(store_url: str) -> None:
    table = redline("review", "list", "--store", store_url)
    assert table.returncode == 0, table.stderr
    assert "Review items (pending): 3" in table.stdout
    assert "low_confidence" in table.stdout

    fraud = _items(store_url, "--model", "fraud")
    assert [(i["request_id"], i["status"], i["confidence"]) for i in fraud] == [
        ("r1", "pending", 0.55),
        ("r2", "pending", 0.55),
    ]
    first, second = (str(i["id"]) for i in fraud)
    accepted = redline(
        "review", "decide", first, "accept", "--reviewer", "ann", "--store", store_url
    )
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.strip() == f'review item {first}: accept by ann (label "fraud")'
    overridden = redline(
        "review",
        "decide",
        second,
        "override",
        "--reviewer",
        "bo",
        "--output",
        '"legit"',
        "--store",
        store_url,
    )
    assert overridden.returncode == 0, overridden.stderr

    assert [i["request_id"] for i in _items(store_url)] == ["c1"]
    decided = _items(store_url, "--status", "decided")
    assert [(i["decision"], i["final_output"], i["reviewer"]) for i in decided] == [
        ("accept", "fraud", "ann"),
        ("override", "legit", "bo"),
    ]
    labels, audit = _labels_and_audit(store_url)
    assert labels == {"r1": "fraud", "r2": "legit"}
    assert audit == [
        f"review_decided review_item:{first} person:ann",
        f"review_decided review_item:{second} person:bo",
    ]


def test_errors_are_one_red_line_and_exit_2(store_url: str) -> None:
    (item,) = _items(store_url, "--model", "credit")
    item_id = str(item["id"])
    cases = [
        (("override", "--reviewer", "ann"), "override needs the correct output"),
        (("override", "--reviewer", "ann", "--output", "legit"), "is not JSON"),
        (("maybe", "--reviewer", "ann"), "unknown review decision 'maybe'"),
    ]
    for args, message in cases:
        done = redline("review", "decide", item_id, *args, "--store", store_url)
        assert done.returncode == 2, (args, done.stdout)
        assert done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith("Error: ")
        assert message in done.stderr
    assert (
        redline(
            "review", "decide", item_id, "reject", "--reviewer", "ann", "--store", store_url
        ).returncode
        == 0
    )
    twice = redline("review", "decide", item_id, "accept", "--reviewer", "bo", "--store", store_url)
    assert twice.returncode == 2
    assert f"Error: review item {item_id} was already decided: reject by ann" in twice.stderr
    missing = redline(
        "review", "decide", "424242", "accept", "--reviewer", "bo", "--store", store_url
    )
    assert (missing.returncode, missing.stderr.strip()) == (2, "Error: no review item 424242")
    bad_status = redline("review", "list", "--status", "open", "--store", store_url)
    assert bad_status.returncode == 2
    assert "'open' is not one of pending, decided, all" in bad_status.stderr


def test_the_store_defaults_to_the_configured_one(store_url: str) -> None:
    done = redline("review", "list", "--json", env={"REDLINE_STORE__URL": store_url})
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 3
