"""Reports: Markdown and one self-contained HTML page with charts and the failing questions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from evalfix import FakeSystem, answer, question, write_dataset

from assistant.evaluation import Thresholds, load_dataset, run_evaluation
from assistant.evaluation.dataset import EvalQuestion, ExpectedDiagnosis

_DENY = ExpectedDiagnosis("iam:ListVirtualMFADevices", "ExplicitlyDenied", "identity", "0987654321")


def _respond(q: EvalQuestion) -> dict[str, Any]:
    if q.id == "mfa-ja-1":
        return answer("MFA デバイスを登録するには iam:ListVirtualMFADevices を許可します。"
                      "詳しくは https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html を参照。",
                      cited=["mfa-device-registration-denied"], lang="ja",
                      diagnoses=[{"action": "iam:ListVirtualMFADevices", "decision": "ImplicitlyDenied",
                                  "policy_type": "identity", "statement_sid": None}])
    if q.id == "oos-en-1":
        return answer("Here is how to bake bread <script>alert(1)</script>.", cited=["s3-block-public-access"])
    return answer("Register the MFA device.", cited=["mfa-device-registration-denied"])


@pytest.fixture
def run(tmp_path: Path) -> Path:
    questions = [question("mfa-ja-1", lang="ja", article="mfa-device-registration-denied",
                          facts=["iam:ListVirtualMFADevices", "BlockMostAccessUnlessSignedInWithMFA"],
                          diagnoses=[_DENY]),
                 question("mfa-en-1", article="mfa-device-registration-denied", facts=["MFA"]),
                 question("oos-en-1", article=None, text="How do I bake bread?")]
    dataset = load_dataset(write_dataset(tmp_path / "set.jsonl", questions))
    gates = Thresholds(minimum={"key_facts.recall": 0.9, "language.match": 0.5}, source="gates.toml")
    run_evaluation(dataset, FakeSystem(_respond), tmp_path / "run", mode="deterministic", thresholds=gates)
    return tmp_path / "run"


def test_html_is_self_contained(run: Path) -> None:
    page = (run / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", page, re.IGNORECASE)  # no URL at all
    for loader in ("<link", "<img", "<iframe", "src=", "url(", "@import", "xlink:href", "fetch(", "import("):
        assert loader not in page.lower()
    assert page.lower().count("<script") == 1  # the one inline filter script, which loads nothing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # answers are escaped text
    assert "docs.aws.amazon.com" in page  # the link is still readable


def test_html_has_charts_per_metric_language_article_and_latency(run: Path) -> None:
    page = (run / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 5
    for title in ("every metric (black line: threshold)", "per stage, p50 and p95", "every metric per language",
                  "share of questions passing every check", "retrieval hit@3 and key facts per article"):
        assert f'aria-label="{title}"' in page
    assert "ja (n=1)" in page and "en (n=2)" in page
    assert "mfa-device-registration-denied" in page and "(out of scope)" in page
    assert "(out of scope) (0/1)" in page and 'stroke="#c62828"' in page  # a 0% article is outlined, not blank


def test_failures_come_first_grouped_by_check_and_linked(run: Path) -> None:
    page = (run / "report.html").read_text(encoding="utf-8")
    assert page.index('id="failures"') < page.index('id="metrics"')  # before every metric
    for check in ("key_facts", "diagnoses", "selection", "scope"):
        assert f'<a href="#check-{check}">{check}</a>' in page and f'id="check-{check}"' in page
    assert 'data-check="language"' not in page  # no group for a check nobody failed
    group = page[page.index('id="check-key_facts"'):]
    group = group[:group.index("</section>")]
    assert "mfa-ja-1" in group and "oos-en-1" not in group and "BlockMostAccessUnlessSignedInWithMFA" in group
    diagnoses = page[page.index('id="check-diagnoses"'):]
    assert "ImplicitlyDenied" in diagnoses[:diagnoses.index("</section>")]  # the diagnosis that came back
    assert "no citation (out of scope)" in page
    assert 'data-article="mfa-device-registration-denied" data-lang="ja"' in page
    markdown = (run / "report.md").read_text(encoding="utf-8")
    assert markdown.index("## Failures by check (2 questions)") < markdown.index("## Metrics")
    assert "- [key_facts](#key_facts-1-failed): 1" in markdown and "### key_facts (1 failed)" in markdown


def test_the_verdict_counts_gates_and_names_those_not_measured(tmp_path: Path) -> None:
    dataset = load_dataset(write_dataset(tmp_path / "set.jsonl", [question("q1", article="a", facts=["policy"])]))
    gates = Thresholds(minimum={"key_facts.recall": 0.5, "judge.relevance": 0.5, "language.match": 0.5},
                       min_n={"language.match": 2}, source="gates.toml")
    run_evaluation(dataset, FakeSystem(lambda q: answer("Check the policy.", cited=["a"])), tmp_path / "run",
                   mode="deterministic", thresholds=gates)
    markdown = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "**gate**: 1 of 3 gates FAILED; 1 hold; 1 not measured (judge.relevance) (gates.toml)" in markdown
    assert "| language.match | 1.000 | 1 | ≥ 0.5 | too few |" in markdown
    assert "| judge.relevance | – | 0 | ≥ 0.5 | not measured |" in markdown
    assert "all thresholds hold" not in markdown


def test_markdown_lists_metrics_with_their_n(run: Path) -> None:
    markdown = (run / "report.md").read_text(encoding="utf-8")
    assert "| key_facts.recall (key facts found) | 0.750 | 2 | ≥ 0.9 | FAIL |" in markdown
    assert "| language.match (answers in the question's language) | 1.000 | 3 | ≥ 0.5 | ok |" in markdown
    assert "| scope.recall (out-of-scope recall) | 0.000 | 1 |  |  |" in markdown
    assert "1 of 2 gates FAILED; 1 hold (gates.toml)" in markdown
    assert "## Per language" in markdown and "## Per article" in markdown
