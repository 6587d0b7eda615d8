"""The report in a real headless browser (Debian's chromium driven by Playwright): pages load with
no console errors, images render, links work (report → trajectory list → trajectory → report),
hostile text stays text; screenshots are saved under the test's tmp dir (paths printed)."""

from __future__ import annotations

import os
import shutil

import pytest
from report_runfolder import make_full_run

from agentmt.report import build_report

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture
def browser_page():
    if not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail("no chromium in CI: make test runs scripts/ensure-browser.sh")
        pytest.skip("no chromium (run scripts/ensure-browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"requestfailed: {r.url}"))
        yield page, errors
        browser.close()


def _images_ok(page) -> None:
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert broken == []


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_report_in_chromium(tmp_path, browser_page):
    page, errors = browser_page
    index = build_report(make_full_run(tmp_path / "run"), tmp_path / "report")
    page.goto(index.as_uri())
    assert page.title() == "agentmt report"
    # tokens, drops, environments, gold validity, rollouts, loss, Pass@1
    assert page.locator("img").count() == 7
    _images_ok(page)
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")

    # report → the rollouts' trajectory list → the 100-step trajectory
    page.locator("#rollouts a[href='trajectories/rollouts/index.html']").click()
    page.wait_for_load_state()
    assert page.url.endswith("trajectories/rollouts/index.html")
    page.locator("a", has_text="t1/0").click()
    page.wait_for_load_state()
    assert page.locator("section.step").count() == 100
    # the observation holding <script> is shown as text and never ran
    assert page.evaluate("window.__pwned") is None
    assert page.locator("pre", has_text="<script>window.__pwned").count() == 1
    folded = page.locator("details").first
    assert not folded.locator("pre").is_visible()
    folded.locator("summary").click()
    assert folded.locator("pre").is_visible()  # a long observation unfolds
    page.locator("a[href='#step-100']").click()
    shot = tmp_path / "trajectory.png"
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    page.locator("#next").click()
    page.wait_for_load_state()
    assert "t1/1" in page.title()

    # back to the report, then from Pass@1's per-task table into an eval trajectory and back
    page.locator("#back").click()
    page.wait_for_load_state()
    assert page.title() == "agentmt report"
    page.locator("#evaluation td a").first.click()
    page.wait_for_load_state()
    assert "eval-base_runs" in page.url and page.locator("#tests").count() == 1
    page.go_back()
    assert page.title() == "agentmt report"
    assert errors == []
    assert shot.stat().st_size > 10_000
