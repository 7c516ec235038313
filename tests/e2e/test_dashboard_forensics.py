"""The incident page's forensics in real Chromium: snapshots verified, the triage report, data
blame on demand, the post-mortem taken from draft to approved by role, clocks and exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dashboard_support import (
    MODEL,
    Dashboard,
    accept_dialogs,
    browser_fixture,
    dashboard_fixture,
    log_in,
    shot,
)
from playwright.sync_api import Browser

from redline.api.dashboard.evidence import clock_rows, duration, triage_summary
from redline.api.dashboard.forensics import verification_message
from redline.forensics.manifest import FileCheck, Verification
from redline.services.snapshots import list_snapshot_views

pytestmark = pytest.mark.slow


dashboard = dashboard_fixture("forensics", roles=("viewer", "responder", "admin"))

browser = browser_fixture()


def _snapshots(dashboard: Dashboard) -> int:
    return len(list_snapshot_views(dashboard.store, incident_key=dashboard.key))


def test_snapshot_verifies_and_the_triage_report_names_the_cause(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "responder")
    page.goto(f"{dashboard.url}/incidents/{dashboard.key}")
    rows = page.locator("#snapshots tbody tr")
    assert rows.count() == _snapshots(dashboard) >= 1
    assert "declared" in rows.first.inner_text()
    assert page.inner_text("#triage-cause") == "covariate drift"
    assert page.inner_text("#triage-features tbody tr:first-child td:first-child") == "x"
    assert "breach" in page.inner_text("#triage-checks")
    assert page.inner_text("#triage-ood").startswith("0.10%")

    dialogs = accept_dialogs(page)
    with page.expect_navigation():
        page.locator("#snapshots button.verify").first.click()
    assert "Verify snapshot" in dialogs[-1]
    assert "verified: the manifest and all" in page.inner_text("[role=status]")

    before = _snapshots(dashboard)
    with page.expect_navigation():
        page.click("#btn-snapshot")
    assert f"model {MODEL}" in dialogs[-1]
    assert "taken" in page.inner_text("[role=status]")
    assert _snapshots(dashboard) == before + 1
    assert "on demand" in page.locator("#snapshots tbody tr").first.inner_text()
    assert "snapshot_taken" in page.inner_text("#timeline")

    # Data blame is computed only when asked for, then shown in place.
    assert page.locator("#blame-facts").count() == 0
    page.click("#load-blame")
    page.wait_for_selector("#blame-facts")
    assert "/blame" not in page.url  # loaded in place, not navigated to
    assert "window 1" in page.inner_text("#blame-onset")
    assert "by the primary route" in page.inner_text("#blame-decisions")
    shot(page, tmp_path, "incident-forensics")


def test_a_failed_verification_names_the_mismatches() -> None:
    good = FileCheck("environment.json", "a" * 64, "ok")
    changed = FileCheck("windows.json", "b" * 64, "changed", found_sha256="c" * 64)
    ok, message = verification_message(Verification("d" * 64, "d" * 64, (good,)))
    assert ok
    assert message == f"snapshot {'d' * 12} verified: the manifest and all 1 files match"
    ok, message = verification_message(Verification("d" * 64, "e" * 64, (good, changed)))
    assert not ok
    assert (
        "(2 mismatches): the manifest no longer hashes to its id; windows.json changed" in message
    )
    many = tuple(FileCheck(f"f{i}", "b" * 64, "missing") for i in range(5))
    assert verification_message(Verification("d" * 64, "d" * 64, many))[1].endswith(
        "f0 missing; f1 missing; f2 missing; and 2 more"
    )


def test_an_admin_takes_the_postmortem_from_draft_to_approved(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "admin")
    page.goto(f"{dashboard.url}/incidents/{dashboard.key}")
    assert "none yet" in page.inner_text("#postmortem-status")
    assert page.locator("#btn-pm-approve").count() == 0  # nothing to approve yet
    dialogs = accept_dialogs(page)
    with page.expect_navigation():
        page.click("#btn-pm-generate")
    assert "Generate draft" in dialogs[-1]
    assert page.inner_text("#postmortem-status") == "draft"
    assert "postmortem_drafted" in page.inner_text("#timeline")

    with page.expect_navigation():
        page.click("#btn-pm-submit")
    assert page.inner_text("#postmortem-status") == "in review"
    assert page.locator("#btn-pm-generate, #btn-pm-submit").count() == 0

    page.fill("#approve-by", "Ada Lovelace")
    with page.expect_navigation():
        page.click("#btn-pm-approve")
    assert "by = Ada Lovelace" in dialogs[-1]
    assert "post-mortem approved" in page.inner_text("[role=status]")
    assert page.inner_text("#postmortem-status") == "approved"
    assert "person:Ada Lovelace" in page.inner_text("#postmortem")
    assert "postmortem_approve" in page.inner_text("#timeline")
    shot(page, tmp_path, "incident-postmortem-approved")

    with page.expect_popup() as popup:
        page.click("#postmortem-link")
    rendered = popup.value
    rendered.wait_for_load_state()
    assert dashboard.key in rendered.inner_text("body")
    shot(rendered, tmp_path, "postmortem-rendered")


def test_a_viewer_sees_no_forensic_buttons_and_forged_posts_are_refused(
    browser: Browser, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = log_in(browser, dashboard, "viewer")
    page.goto(f"{dashboard.url}/incidents/{dashboard.key}")
    assert (
        page.locator(
            "#snapshots button, #postmortem-section button, form[action*=snapshots]"
        ).count()
        == 0
    )
    assert "Read-only" in page.inner_text("#postmortem-steps")
    assert page.locator("#snapshots tbody tr").count() >= 1
    shot(page, tmp_path, "incident-forensics-as-viewer")

    snapshot = list_snapshot_views(dashboard.store, incident_key=dashboard.key)[0].id
    before = (_snapshots(dashboard), page.inner_text("#postmortem-status"))
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with dashboard.login("responder") as responder:
        forged_csrf = dashboard.csrf(responder)  # a real token, but of another session
        own = dashboard.csrf(responder)
        for step in ("approve", "request_changes"):  # admin only, even with a good token
            refused = responder.post(
                f"/incidents/{dashboard.key}/postmortem/{step}",
                data={"csrf_token": own, "by": "Mallory", "reason": "x"},
            )
            assert refused.status_code == 403, step
            assert "needs an admin" in refused.text
    with dashboard.login("viewer") as client:
        client.cookies.clear()
        client.cookies.update(cookies)
        own_csrf = page.get_attribute("input[name=csrf_token]", "value") or ""
        paths = [
            ("snapshots", {"model": MODEL}),
            (f"snapshots/{snapshot}/verify", {}),
            *(
                (f"postmortem/{s}", {"by": "Mallory", "reason": "x"})
                for s in ("generate", "submit", "approve", "request_changes")
            ),
        ]
        for path, data in paths:
            for csrf in (own_csrf, forged_csrf):
                response = client.post(
                    f"/incidents/{dashboard.key}/{path}", data={**data, "csrf_token": csrf}
                )
                assert response.status_code == 403, path
    with dashboard.login("admin") as admin:
        missing = admin.post(f"/incidents/{dashboard.key}/snapshots", data={"model": MODEL})
        assert missing.status_code == 403
    page.reload()
    assert (_snapshots(dashboard), page.inner_text("#postmortem-status")) == before


def test_clocks_and_exports(dashboard: Dashboard) -> None:
    with dashboard.login("viewer") as client:
        page = client.get(f"/incidents/{dashboard.key}").text
        assert page.count("left</td>") == 3
        assert "Not legal advice" in page
        for kind in ("art73", "nist", "aiid"):
            response = client.get(f"/incidents/{dashboard.key}/exports/{kind}.json")
            assert response.status_code == 200, kind
            assert "attachment" in response.headers["content-disposition"]
            body = response.json()
            assert set(body) >= {"schema_version", "payload", "sha256"}
        assert client.get(f"/incidents/{dashboard.key}/exports/secrets.json").status_code == 404
        csv = client.get(f"/incidents/{dashboard.key}/blame/decisions.csv")
        assert csv.status_code == 200
        assert csv.text.splitlines()[0].startswith("request_id,served_at,route")


def test_a_refused_step_is_a_message_not_a_500(dashboard: Dashboard) -> None:
    with dashboard.login("admin") as admin:
        csrf = dashboard.csrf(admin)
        for step, data in (("request_changes", {"reason": "x"}), ("approve", {"by": "system"})):
            response = admin.post(
                f"/incidents/{dashboard.key}/postmortem/{step}", data={**data, "csrf_token": csrf}
            )
            assert response.status_code == 303, step
            assert "error=" in response.headers["location"], step
        unknown = admin.post(
            f"/incidents/{dashboard.key}/postmortem/publish", data={"csrf_token": csrf}
        )
        assert "is+not+a+post-mortem+step" in unknown.headers["location"]
        bad = admin.post(
            f"/incidents/{dashboard.key}/snapshots", data={"csrf_token": csrf, "model": "other"}
        )
        assert "the+snapshot+was+refused" in bad.headers["location"]
        missing = admin.get("/incidents/RL-2099-0001/postmortem.html")
        assert missing.status_code == 404


def test_the_page_helpers() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert all(c.left.startswith("unknown") for c in clock_rows(None, now=now))
    rows = clock_rows(now - timedelta(days=3, hours=1), now=now)
    assert [(r.days, r.overdue) for r in rows] == [(15, False), (2, True), (10, False)]
    assert rows[0].left == "11d 23h left"
    assert rows[1].left == "overdue by 1d 1h"
    assert rows[1].deadline == now - timedelta(days=1, hours=1)
    assert [duration(s) for s in (30, 600, 7_500, -90_000)] == ["30s", "10m", "2h 5m", "1d 1h"]
    empty = triage_summary({}, cause="unknown", confidence=0.0, created_at=now, reports=1)
    assert (empty.rule, empty.features, empty.checks) == ("—", [], {})
