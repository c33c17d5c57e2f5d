"""Thresholds files: TOML or JSON, checked strictly; the repository's own file is valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import UsageError
from assistant.evaluation import Thresholds, load_thresholds

REPO = Path(__file__).resolve().parents[2]


def test_the_repository_thresholds_load() -> None:
    thresholds = load_thresholds(REPO / "eval" / "thresholds.toml")
    assert thresholds.minimum["retrieval.hit_at_3"] > 0
    assert thresholds.maximum["run.error_rate"] == 0.0
    # an outage of the model or the judge is gated, and every reader-visible check is
    for metric in ("llm.fallback_rate", "judge.coverage", "judge.errors", "reader.no_placeholders",
                   "reader.no_dangling", "reader.one_language", "reader.no_leaks", "key_facts.recall"):
        assert metric in thresholds.gated
    assert thresholds.min_n_of("key_facts.recall") >= 30 and thresholds.min_n_of("diagnoses.match") == 10
    redteam = load_thresholds(REPO / "eval" / "redteam-thresholds.toml")
    assert redteam.gated == ("redteam.passed", "run.error_rate")


def test_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "t.toml"
    toml.write_text('[min]\n"retrieval.mrr" = 0.8\n[max]\n"latency.total.p95_ms" = 900\n'
                    '[compare]\ndefault_tolerance = 0.05\n[compare.tolerance]\n"retrieval.mrr" = 0.1\n',
                    encoding="utf-8")
    from_json = tmp_path / "t.json"
    from_json.write_text(json.dumps({"min": {"retrieval.mrr": 0.8}, "max": {"latency.total.p95_ms": 900},
                                     "compare": {"default_tolerance": 0.05,
                                                 "tolerance": {"retrieval.mrr": 0.1}}}), encoding="utf-8")
    for path in (toml, from_json):
        thresholds = load_thresholds(path)
        assert thresholds.minimum == {"retrieval.mrr": 0.8}
        assert thresholds.maximum == {"latency.total.p95_ms": 900.0}
        assert thresholds.tolerance_of("retrieval.mrr") == 0.1
        assert thresholds.tolerance_of("latency.total.p95_ms") == 0.05
        assert thresholds.gated == ("retrieval.mrr", "latency.total.p95_ms")
        assert Thresholds.from_json(thresholds.to_json()) == thresholds


def test_min_n_per_metric_with_a_default(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[min]\n"retrieval.mrr" = 0.5\n"diagnoses.match" = 0.5\n[min_n]\ndefault = 30\n'
                    '"diagnoses.match" = 10\n', encoding="utf-8")
    thresholds = load_thresholds(path)
    assert (thresholds.min_n_of("retrieval.mrr"), thresholds.min_n_of("diagnoses.match")) == (30, 10)
    violations, _ = thresholds.check({"retrieval.mrr": 1.0, "diagnoses.match": 1.0},
                                     {"retrieval.mrr": 29, "diagnoses.match": 10})
    assert [str(v) for v in violations] == [
        "retrieval.mrr is measured on 29 questions; its gate needs at least 30"]
    assert Thresholds.from_json(thresholds.to_json()) == thresholds


def test_check_reports_violations_and_skips_what_was_not_measured() -> None:
    thresholds = Thresholds(minimum={"retrieval.mrr": 0.8, "judge.relevance": 0.7, "language.match": 0.9},
                            maximum={"latency.total.p95_ms": 900.0})
    violations, skipped = thresholds.check({"retrieval.mrr": 0.79, "judge.relevance": None, "language.match": 0.9,
                                            "latency.total.p95_ms": 901.0})
    assert [str(v) for v in violations] == ["retrieval.mrr = 0.79 is below the minimum 0.8",
                                            "latency.total.p95_ms = 901 is above the maximum 900"]
    assert skipped == ["judge.relevance"]


@pytest.mark.parametrize(("text", "message"), [
    ('[min]\n"retrieval.hit@1" = 0.9\n', "unknown metric 'retrieval.hit@1' in [min]"),
    ('[min]\n"retrieval.mrr" = "high"\n', "must be a number"),
    ('[gates]\n"retrieval.mrr" = 0.9\n', "unknown section 'gates'"),
    ("[min\n", "is not valid TOML"),
    ('[compare]\ndefault_tolerance = -1\n', "default_tolerance must be a number >= 0"),
    ('[compare]\nslack = 1\n', "[compare] takes default_tolerance"),
])
def test_mistakes_are_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_thresholds(path)
    assert message in str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="thresholds file not found"):
        load_thresholds(tmp_path / "none.toml")
