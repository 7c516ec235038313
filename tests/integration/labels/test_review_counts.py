"""The review queue's exact counts beside a limited list (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from labels_data import MODEL
from typer.testing import CliRunner

from redline.cli.main import app
from redline.services.review import decide_review, list_review_page, queue_for_review
from redline.store import Store, count_review_items


def _queue(store: Store, model: str, n: int) -> None:
    items = [{"request_id": f"{model}-{i}", "reason": "low_confidence"} for i in range(n)]
    queue_for_review(store, model=model, items=items)


def test_a_page_lists_the_oldest_items_and_counts_them_all(store: Store) -> None:
    _queue(store, MODEL, 7)
    _queue(store, "other", 3)
    page = list_review_page(store, model=MODEL, limit=5)
    assert [i.request_id for i in page.items] == [f"{MODEL}-{i}" for i in range(5)]
    assert (page.total, page.truncated) == (7, True)
    assert list_review_page(store, model=None, limit=100).total == 10
    whole = list_review_page(store, model="other", limit=3)
    assert (whole.total, whole.truncated) == (3, False)

    decide_review(store, item_id=page.items[0].id, decision="reject", reviewer="ana")
    assert list_review_page(store, model=MODEL, limit=5).total == 6
    assert list_review_page(store, status="decided", model=MODEL).total == 1
    assert list_review_page(store, status=None, model=MODEL).total == 7


def test_an_unknown_status_is_refused_by_the_count_too(store: Store) -> None:
    with store.reading() as session, pytest.raises(ValueError, match="not one of"):
        count_review_items(session, status="waiting")


def test_the_cli_table_says_how_many_it_shows_of_how_many(migrated_url: str) -> None:
    store = Store.from_url(migrated_url)
    try:
        _queue(store, MODEL, 4)
    finally:
        store.dispose()
    runner = CliRunner()
    cut = runner.invoke(app, ["review", "list", "--limit", "2", "--store", migrated_url])
    assert cut.exit_code == 0, cut.output
    assert "Review items (pending): 4, the oldest 2 shown" in cut.output
    whole = runner.invoke(app, ["review", "list", "--store", migrated_url])
    assert "Review items (pending): 4" in whole.output
    assert "shown" not in whole.output
