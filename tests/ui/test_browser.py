"""End to end in headless Debian Chromium: the app started with ``kb-assistant ui`` on loopback answers
the seed question (both diagnoses, the verified fix, the seed article's citation and its link),
stores a thumbs-down in SQLite, and the checker page shows the finding of an invalid policy.
Screenshots and the measured times go to test-artifacts/.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM, REPO, UiServer, ask, build_index, copy_data, launch, load, new_page, screenshot

pytestmark = pytest.mark.timeout(2400)  # the first run on a machine builds the index (minutes)

ARTIFACTS = REPO / "test-artifacts"
INVALID_POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                  '"Action": "iam:ListVirtualMFADevice", "Resource": "*"}]}')


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           embedding_cache: Path) -> Iterator[UiServer]:
    """The UI on a free loopback port, over a copy of the real knowledge base's index."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make test' (it installs Debian's chromium)")
    cached = Path(request.config.cache.mkdir("ui-browser-index"))  # kept between runs; ingest is incremental
    build_index(cached, embedding_cache)
    data = copy_data(cached, tmp_path_factory.mktemp("ui-data"))
    with UiServer(data, ARTIFACTS / "ui-server.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    opened = new_page(browser)
    yield opened
    opened.context.close()


def test_the_server_runs_headless_on_loopback_without_usage_statistics(server):
    assert server.process is not None
    command = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")
    flags = dict(itertools.pairwise(command))
    assert b"streamlit" in command and command[command.index(b"run") + 1].endswith(b"ui/app.py")
    assert flags[b"--server.headless"] == b"true" and flags[b"--server.address"] == b"127.0.0.1"
    assert flags[b"--browser.gatherUsageStats"] == b"false"


def test_the_seed_question_in_the_browser(server, page, seed_text):
    load_ms = load(page, server.url)
    times = ask(page, seed_text)
    assert times.pop("locked_while_streaming"), "the chat input must be locked while the answer streams"
    screenshot(page, ARTIFACTS / "ui-chat-seed-answer.png")
    reply = page.get_by_test_id("stChatMessage").last

    diagnoses = reply.locator("[class*='st-key-diag_']")
    assert diagnoses.count() == 2
    first, second = diagnoses.nth(0).inner_text(), diagnoses.nth(1).inner_text()
    assert "iam:ListVirtualMFADevices" in first and "明示的な拒否" in first and "0987654321" in first
    assert "iam:CreateVirtualMFADevice" in second and "暗黙的な拒否" in second

    fix = reply.locator("[class*='st-key-policy_']").filter(has_text="修正案")
    assert fix.count() == 1 and "検証済みの修正" in fix.inner_text()
    corrected = fix.locator("[class*='st-key-fix_']")
    assert "arn:aws:iam::123456789012:mfa/*" in corrected.inner_text()
    assert corrected.locator("[data-testid='stCode']").count() == 3  # the policy, then both sides of the diff

    citation = reply.locator("[class*='st-key-cite_']").first
    assert "mfa-device-registration-denied" in citation.inner_text()
    (ARTIFACTS / "ui-timings.json").write_text(json.dumps({"page_load_ms": round(load_ms), **{
        k: round(v) for k, v in times.items()}}, indent=2) + "\n", encoding="utf-8")

    feedback = reply.locator("[class*='st-key-feedback_']")
    feedback.get_by_role("radio", name="Thumbs down").click()
    page.get_by_text("フィードバックを保存しました").wait_for(timeout=30_000)
    with sqlite3.connect(server.data_dir / "feedback.sqlite3") as db:
        rows = db.execute("SELECT rating, question, answer, citations, mode FROM feedback").fetchall()
    db.close()
    ((rating, question, answer, citations, mode),) = rows
    assert (rating, question, mode) == ("down", seed_text, "deterministic")
    assert "iam:ListVirtualMFADevices" in answer
    assert json.loads(citations)[0]["id"] == "mfa-device-registration-denied"

    citation.get_by_role("link").click()  # the article, rendered in the app's knowledge-base page
    page.locator(".st-key-article_body").wait_for(timeout=60_000)
    assert "knowledge-base?article=mfa-device-registration-denied&lang=ja" in page.url
    assert "MFA" in page.get_by_test_id("stHeading").filter(has_text="MFA").first.inner_text()
    screenshot(page, ARTIFACTS / "ui-knowledge-base-article.png")


def test_the_checker_page_shows_the_finding_of_an_invalid_policy(server, page):
    load(page, server.url)
    page.get_by_test_id("stSidebarNav").get_by_role("link").nth(1).click()
    policy = page.locator(".st-key-checker_policy textarea")
    policy.wait_for(timeout=60_000)
    policy.fill(INVALID_POLICY)
    page.locator(".st-key-checker_submit button").click()
    finding = page.get_by_text("UNKNOWN_ACTION")
    finding.wait_for(timeout=60_000)
    shown = page.locator(".st-key-policy_checker_1").inner_text()
    assert "iam:ListVirtualMFADevice" in shown and "iam:ListVirtualMFADevices" in shown  # the did-you-mean hint
    screenshot(page, ARTIFACTS / "ui-checker-invalid-policy.png")
