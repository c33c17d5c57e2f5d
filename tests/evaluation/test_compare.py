"""``eval compare``: deltas, changed questions, and the exit status CI gates on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import invoke
from evalfix import FakeSystem, answer, question, write_dataset

from assistant.errors import UsageError
from assistant.evaluation import Thresholds, compare_runs, list_runs, load_dataset, load_summary, run_evaluation
from assistant.evaluation.compare import wilson_interval
from assistant.evaluation.dataset import EvalQuestion


def _run(tmp_path: Path, name: str, failing: set[str], thresholds: Thresholds | None = None) -> Path:
    """Four questions about article a; those in ``failing`` miss their key fact."""
    dataset = load_dataset(write_dataset(tmp_path / "set.jsonl", [question(f"q{i}", facts=["policy"])
                                                                  for i in range(1, 5)]))

    def respond(q: EvalQuestion) -> dict[str, Any]:
        return answer("Nothing." if q.id in failing else "Check the policy.", cited=["a"])

    run_evaluation(dataset, FakeSystem(respond), tmp_path / name, mode="deterministic", thresholds=thresholds)
    return tmp_path / name


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    stored = Thresholds(minimum={"key_facts.recall": 0.1}, default_tolerance=0.5)
    return _run(tmp_path, "a", {"q1"}), _run(tmp_path, "b", {"q3", "q4"}, stored)  # 0.75 → 0.50


def _cli(*args: str) -> tuple[int, str, str]:
    return invoke("eval", "compare", *args)


def _gates(tmp_path: Path, text: str) -> str:
    path = tmp_path / "gates.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_deltas_and_changed_questions(runs: tuple[Path, Path]) -> None:
    comparison = compare_runs(*runs, Thresholds(minimum={"key_facts.recall": 0.1, "retrieval.hit_at_1": 0.9},
                                                default_tolerance=0.2))
    deltas = {d.metric: d for d in comparison.deltas}
    facts = deltas["key_facts.recall"]
    assert (facts.a, facts.b, facts.delta) == (0.75, 0.5, -0.25)
    assert facts.gated and facts.tolerance == 0.2 and facts.regressed and not facts.improved
    hit = deltas["retrieval.hit_at_1"]
    assert (hit.a, hit.b, hit.delta, hit.regressed) == (1.0, 1.0, 0.0, False)
    passed = deltas["questions.passed"]  # not gated: reported, never fails the comparison
    assert (passed.a, passed.b, passed.gated, passed.regressed) == (0.75, 0.5, False, True)
    assert [(q.id, q.lost, q.gained) for q in comparison.regressed] == [("q3", ("key_facts",), ()),
                                                                        ("q4", ("key_facts",), ())]
    assert [(q.id, q.lost, q.gained) for q in comparison.improved] == [("q1", (), ("key_facts",))]
    assert comparison.same_dataset and not comparison.ok
    assert [d.metric for d in comparison.gate_failures] == ["key_facts.recall"]


def test_thresholds_default_to_those_stored_with_run_b(runs: tuple[Path, Path]) -> None:
    comparison = compare_runs(*runs)  # b was run with a tolerance of 0.5: a drop of 0.25 is tolerated
    assert comparison.ok
    assert next(d for d in comparison.deltas if d.metric == "key_facts.recall").tolerance == 0.5


def test_exit_status(runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = (str(p) for p in runs)
    loose = _gates(tmp_path, '[min]\n"key_facts.recall" = 0.1\n[compare]\ndefault_tolerance = 0.3\n')
    code, out, _ = _cli(a, b, "--thresholds", loose, "--json")
    assert code == 0
    document = json.loads(out)
    assert document["ok"] is True and document["gate_failures"] == []
    assert [q["id"] for q in document["regressed_questions"]] == ["q3", "q4"]

    strict = _gates(tmp_path, '[min]\n"key_facts.recall" = 0.1\n[compare.tolerance]\n"key_facts.recall" = 0.2\n')
    code, out, err = _cli(a, b, "--thresholds", strict)
    assert code == 1
    assert "key_facts.recall" in out and "REGRESSED" in out and "2 questions regressed" in out
    assert "gate failed: key_facts.recall" in err
    code, _, _ = _cli(b, a, "--thresholds", strict)  # the other way round it improved
    assert code == 0


def test_a_metric_that_stops_being_measured_regresses(tmp_path: Path) -> None:
    a, b = _run(tmp_path, "a", set()), _run(tmp_path, "b", set())
    summary = json.loads((b / "summary.json").read_text(encoding="utf-8"))
    summary["metrics"]["key_facts.recall"] = None
    (b / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    comparison = compare_runs(a, b, Thresholds(minimum={"key_facts.recall": 0.5}))
    assert [d.metric for d in comparison.gate_failures] == ["key_facts.recall"]


def test_bad_runs_are_usage_errors(runs: tuple[Path, Path], tmp_path: Path) -> None:
    code, _, err = _cli(str(tmp_path / "nowhere"), str(runs[1]))
    assert code == 2 and "not an evaluation run" in err
    (runs[0] / "summary.json").unlink()  # an interrupted run
    with pytest.raises(UsageError, match=r"has no summary\.json yet"):
        compare_runs(*runs)


def test_the_run_browser_api(runs: tuple[Path, Path], tmp_path: Path) -> None:
    listed = list_runs(tmp_path)
    assert sorted(r.name for r in listed) == ["a", "b"]
    assert all(r.complete and r.questions == 4 and r.mode == "deterministic" for r in listed)
    assert {r.name: r.passed for r in listed} == {"a": 3, "b": 2}
    assert load_summary("b", root=tmp_path)["metrics"]["key_facts.recall"] == 0.5
    assert load_summary(runs[0] / "summary.json")["questions"] == 4
    assert list_runs(tmp_path / "missing") == []


@pytest.mark.parametrize(("rate", "n", "low", "high"), [
    # worked out from the Wilson formula with z = 1.96
    (0.5, 10, 0.2366, 0.7634),
    (1.0, 10, 0.7225, 1.0),
    (0.0, 4, 0.0, 0.4899),
    (0.9, 100, 0.8256, 0.9448),
])
def test_wilson_intervals(rate: float, n: int, low: float, high: float) -> None:
    assert wilson_interval(rate, n) == pytest.approx((low, high), abs=1e-4)


def test_rates_carry_their_interval_and_n(runs: tuple[Path, Path]) -> None:
    facts = next(d for d in compare_runs(*runs).deltas if d.metric == "key_facts.complete")
    assert (facts.n_a, facts.n_b) == (4, 4)
    assert facts.interval("b") == pytest.approx(wilson_interval(0.5, 4))
    latency = next(d for d in compare_runs(*runs).deltas if d.metric == "latency.total.p50_ms")
    assert latency.interval("a") is None  # not a rate
    recall = next(d for d in compare_runs(*runs).deltas if d.metric == "key_facts.recall")
    assert recall.interval("b") is None  # a mean of per-question recalls, not a proportion


def test_runs_of_different_questions_are_compared_on_those_they_share(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", {"q4"})  # q4 misses its key fact in A
    grown = load_dataset(write_dataset(tmp_path / "grown.jsonl", [question(f"q{i}", facts=["policy"])
                                                                  for i in range(1, 8)]))
    run_evaluation(grown, FakeSystem(lambda q: answer("Nothing." if q.id in ("q4", "q6", "q7") else
                                                      "Check the policy.", cited=["a"])), tmp_path / "b",
                   mode="deterministic")
    comparison = compare_runs(a, tmp_path / "b", Thresholds(minimum={"key_facts.recall": 0.1}, default_tolerance=0))
    facts = next(d for d in comparison.deltas if d.metric == "key_facts.recall")
    assert (facts.a, facts.b, facts.n_b) == (0.75, 0.75, 4)  # the new questions q5-q7 are left out
    assert comparison.ok and comparison.only_in_b == ("q5", "q6", "q7")
    assert any("compared on the 4 questions both answered" in w for w in comparison.warnings)


def test_comparing_across_modes_warns(tmp_path: Path) -> None:
    dataset = load_dataset(write_dataset(tmp_path / "set.jsonl", [question("q1", facts=["policy"])]))
    for mode in ("deterministic", "llm"):
        run_evaluation(dataset, FakeSystem(lambda q: answer("Check the policy.", cited=["a"])), tmp_path / mode,
                       mode=mode)
    comparison = compare_runs(tmp_path / "deterministic", tmp_path / "llm")
    assert comparison.warnings == ("the runs were made in different modes (deterministic and llm): the deltas mix "
                                   "the modes' differences with any regression",)
    code, _, err = _cli(str(tmp_path / "deterministic"), str(tmp_path / "llm"))
    assert code == 0 and "warning: the runs were made in different modes" in err
    assert (tmp_path / "llm" / "compare.html").is_file()  # the run-vs-run page, next to run B


def test_runs_outside_the_runs_directory_are_listed(tmp_path: Path) -> None:
    from assistant.evaluation.runs import remember_run

    root, elsewhere = tmp_path / "runs", tmp_path / "elsewhere" / "mine"
    dataset = load_dataset(write_dataset(tmp_path / "set.jsonl", [question("q1", facts=["policy"])]))
    run_evaluation(dataset, FakeSystem(lambda q: answer("Check the policy.")), root / "inside", mode="deterministic")
    run_evaluation(dataset, FakeSystem(lambda q: answer("Check the policy.")), elsewhere, mode="deterministic")
    remember_run(root, elsewhere)
    remember_run(root, elsewhere)  # once is enough
    baseline = tmp_path / "baseline"
    run_evaluation(dataset, FakeSystem(lambda q: answer("Check the policy.")), baseline, mode="deterministic")
    assert sorted(r.name for r in list_runs(root, [baseline])) == ["baseline", "inside", "mine"]
    assert (root / "elsewhere.txt").read_text(encoding="utf-8").count("\n") == 1
