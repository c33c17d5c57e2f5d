"""Running an evaluation: answer every pending question on a bounded thread pool, score it, store it.

Deterministic checks run first for every question; the optional judge runs after them, as a second
pass over the stored answers. Each record is appended as soon as it is done, so an interrupted run
resumes with the same --out (questions that raised are retried). The summary and the reports are
written at the end.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, UsageError
from assistant.evaluation.dataset import Dataset, EvalQuestion
from assistant.evaluation.judge import Judge
from assistant.evaluation.report import html_report, markdown_report
from assistant.evaluation.runs import SUMMARY, RunStore, git_revision
from assistant.evaluation.scoring import Observation, score_question
from assistant.evaluation.summary import aggregate
from assistant.evaluation.systems import System
from assistant.evaluation.thresholds import Thresholds

__all__ = ["REPO_ROOT", "Progress", "RunResult", "run_evaluation"]

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
Progress = Callable[[str, int, int], None]  # (phase, done, total)
_EMPTY_ANSWER: dict[str, Any] = {"answer": "", "citations": [], "diagnoses": [], "policies": []}


@dataclass(frozen=True)
class RunResult:
    """A finished run: where it is stored, its summary and its records in dataset order."""

    path: Path
    summary: dict[str, Any]
    records: list[dict[str, Any]]
    resumed: bool

    @property
    def ok(self) -> bool:
        """True when every threshold holds."""
        return bool(self.summary["thresholds"]["ok"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _answer_one(question: EvalQuestion, system: System) -> dict[str, Any]:
    started = time.perf_counter()
    error: str | None = None
    try:
        observation = system(question)
    except AssistantError as exc:
        error = str(exc)
    except Exception as exc:  # a bug in the system under test fails its question, not the run
        error = f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000
    if error is not None:
        observation = Observation(_EMPTY_ANSWER if system.answers else None, (), None, None)
    scored = score_question(question, observation)
    return {**question.to_json(), "ranking": list(observation.ranking),
            "retrieved": None if observation.retrieved is None else list(observation.retrieved),
            "in_scope": observation.in_scope,
            "answer": None if observation.answer is None else dict(observation.answer),
            "scores": scored["scores"], "checks": scored["checks"],
            "timings_ms": {**scored["timings_ms"], "total": round(elapsed, 2)}, "judge": None, "error": error}


def _judge_one(record: Mapping[str, Any], judge: Judge, passages: Callable[[Mapping[str, Any]], list[str]]) -> dict:
    try:
        verdict: dict[str, Any] = judge.grade(record["question"], record["answer"]["answer"], passages(record))
    except AssistantError as exc:
        verdict = {"error": str(exc)}
    return {**record, "judge": verdict}


def _pool(items: Sequence[Any], work: Callable[[Any], dict[str, Any]], store: RunStore, concurrency: int,
          phase: str, progress: Progress | None) -> None:
    """Run ``work`` on every item with at most ``concurrency`` threads, appending each record."""
    if not items:
        return
    done = 0
    if progress:
        progress(phase, 0, len(items))
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval")
    futures: list[Future[dict[str, Any]]] = [executor.submit(work, item) for item in items]
    written: set[Future[dict[str, Any]]] = set()
    try:
        for future in as_completed(futures):
            store.append(future.result())
            written.add(future)
            done += 1
            if progress:
                progress(phase, done, len(items))
    except BaseException:
        # Interrupted: drop what has not started; what is in flight finishes anyway (the interpreter
        # waits for its threads), so keep it. A second Ctrl-C while waiting stops at once.
        for future in futures:
            future.cancel()
        for future in futures:
            if future not in written and not future.cancelled() and future.exception() is None:
                store.append(future.result())
        raise
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _needs_judge(record: Mapping[str, Any]) -> bool:
    answer = record.get("answer")
    verdict = record.get("judge")
    return (not record.get("error") and isinstance(answer, Mapping) and bool(str(answer.get("answer") or "").strip())
            and (verdict is None or bool(verdict.get("error"))))


def run_evaluation(dataset: Dataset, system: System, out: Path, *, mode: str, concurrency: int = 4,
                   thresholds: Thresholds | None = None, judge: Judge | None = None,
                   passages: Callable[[Mapping[str, Any]], list[str]] | None = None,
                   progress: Progress | None = None, settings: Mapping[str, Any] | None = None,
                   repo: Path = REPO_ROOT) -> RunResult:
    """Evaluate ``system`` on ``dataset`` into the run directory ``out`` (resuming a run stored there)."""
    if concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, got {concurrency}")
    thresholds = thresholds or Thresholds()
    started, clock = _now(), time.perf_counter()
    store = RunStore(out)
    config = {"format": 1, "started_at": started, "mode": mode,
              "dataset": ", ".join(str(p) for p in dataset.sources), "dataset_sha256": dataset.sha256,
              "questions": len(dataset), "git": git_revision(repo), "system": system.describe(),
              "concurrency": concurrency, "settings": dict(settings or {}),
              "judge": judge.config.to_json() if judge else None, "thresholds": thresholds.to_json(),
              "python": sys.version.split()[0], "platform": platform.platform()}
    resumed = store.open(config)
    stored = store.records()
    pending = [q for q in dataset.questions if q.id not in stored or stored[q.id].get("error")]
    _pool(pending, lambda q: _answer_one(q, system), store, concurrency, "answering", progress)
    if judge is not None:
        to_judge = [r for r in store.records().values() if _needs_judge(r)]
        grounds = passages or (lambda _record: [])
        _pool(to_judge, lambda r: _judge_one(r, judge, grounds), store, concurrency, "judging", progress)
    latest = store.records()
    records = [latest[q.id] for q in dataset.questions if q.id in latest]
    summary = aggregate(records)
    violations, skipped = thresholds.check(summary["metrics"])
    run_config = RunStore(out).path / "config.json"
    summary = {"run": {"path": str(out), "config": str(run_config), "mode": mode, "dataset": config["dataset"],
                       "dataset_sha256": dataset.sha256, "git": config["git"], "started_at": started,
                       "finished_at": _now(), "seconds": round(time.perf_counter() - clock, 1), "resumed": resumed,
                       "answered_now": len(pending)},
               **summary,
               "thresholds": {"source": thresholds.source, "ok": not violations,
                              "violations": [v.to_json() for v in violations], "skipped": skipped}}
    store.write_json(SUMMARY, summary)
    store.write_text("report.md", markdown_report(summary, records, thresholds))
    store.write_text("report.html", html_report(summary, records, thresholds))
    return RunResult(out, summary, records, resumed)
