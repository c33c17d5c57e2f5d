"""The HTML report in headless Debian Chromium, opened as a file and off the network: the summary's links
reach the failure groups, and the filters by article, language and check show exactly the matching
questions. The run-vs-run page lists what changed. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from evalfix import FakeSystem, answer, question, write_dataset

from assistant.evaluation import compare_runs, load_dataset, run_evaluation
from assistant.evaluation.dataset import EvalQuestion
from assistant.evaluation.report import compare_html

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from browser_support import CHROMIUM, REPO, launch  # shared with the UI's browser tests

ARTIFACTS_DIR = REPO / "test-artifacts"


def _respond(broken: set[str]) -> Any:
    def respond(q: EvalQuestion) -> dict[str, Any]:
        if q.id in broken:
            return answer("関係のない記事です。" if q.lang == "ja" else "An unrelated article.", cited=["z"],
                          lang=q.lang)
        text = "MFA を登録するポリシーを直します。" if q.lang == "ja" else "Fix the MFA policy."
        return answer(text, cited=[q.expected_article] if q.expected_article else [], lang=q.lang,
                      in_scope=q.expected_article is not None)
    return respond


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("report-browser")
    questions = [question(f"{article}-{lang}-{n}", lang=lang, article=article, facts=["MFA"])
                 for article in ("mfa", "scp") for lang in ("ja", "en") for n in (1, 2)]
    dataset = load_dataset(write_dataset(root / "set.jsonl", questions))
    before = run_evaluation(dataset, FakeSystem(_respond(set())), root / "a", mode="deterministic").path
    after = run_evaluation(dataset, FakeSystem(_respond({"mfa-ja-1", "scp-en-2"})), root / "b",
                           mode="deterministic").path
    return before, after


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make test' (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        opened = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield opened
        browser.close()


def _shown(page: Any) -> list[tuple[str, str, str]]:
    """(check, question id, language) of every question visible in the failure groups."""
    return [tuple(row) for row in page.evaluate("""() => [...document.querySelectorAll("details.q")]
        .filter((q) => q.offsetParent !== null)
        .map((q) => [q.closest("section").dataset.check, q.querySelector("b").textContent, q.dataset.lang])""")]


def test_links_and_filters_in_the_browser(runs: tuple[Path, Path], page: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((runs[1] / "report.html").as_uri())
    assert requests == [(runs[1] / "report.html").as_uri()]  # one offline file: nothing else is loaded
    every = _shown(page)
    assert sorted(every) == sorted([(check, qid, qid.split("-")[1]) for qid in ("mfa-ja-1", "scp-en-2")
                                    for check in ("retrieval", "selection", "key_facts")])
    page.click('a[href="#check-selection"]')  # the summary links to its group
    top = page.evaluate("() => document.getElementById('check-selection').getBoundingClientRect().top")
    assert 30 < top < 200  # in view, below the sticky filter bar
    page.select_option("#f-lang", "ja")
    assert {(c, q) for c, q, _ in _shown(page)} == {(c, "mfa-ja-1") for c in ("retrieval", "selection", "key_facts")}
    assert page.text_content("#f-count") == "3"
    page.select_option("#f-check", "key_facts")
    assert _shown(page) == [("key_facts", "mfa-ja-1", "ja")]
    page.select_option("#f-lang", "")
    page.select_option("#f-article", "scp")
    assert _shown(page) == [("key_facts", "scp-en-2", "en")]
    page.select_option("#f-article", "mfa")
    page.select_option("#f-check", "")
    page.click("text=mfa-ja-1 >> nth=0")  # a question opens on its answer, passages and problems
    assert page.is_visible("text=関係のない記事です。")
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS_DIR / "eval-report.png"), full_page=True)


def test_the_run_vs_run_page_in_the_browser(runs: tuple[Path, Path], page: Any, tmp_path: Path) -> None:
    target = tmp_path / "compare.html"
    target.write_text(compare_html(compare_runs(*runs)), encoding="utf-8")
    page.goto(target.as_uri())
    assert page.is_visible("text=2 questions regressed")
    page.click("text=mfa-ja-1")
    assert page.is_visible("text=関係のない記事です。") and page.is_visible("text=MFA を登録するポリシーを直します。")
    page.screenshot(path=str(ARTIFACTS_DIR / "eval-compare.png"), full_page=True)
