"""Running an evaluation: answer every pending question on a bounded thread pool, score it, store it.

Deterministic checks run first for every question; the optional judge runs after them, as a second
pass over the stored answers. Each record is appended as soon as it is done, so an interrupted run
resumes with the same --out (questions that raised, answers the model should have written and did
not, and failed gradings are retried). An outage never passes for a result: when the model or the
judge fails ``_OUTAGE_STREAK`` times in a row the phase stops, and the run fails with a one-line
reason. The summary and the reports are written at the end.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, UsageError
from assistant.evaluation.dataset import Dataset, EvalQuestion
from assistant.evaluation.judge import PROMPT_VERSION, Judge
from assistant.evaluation.report import html_report, markdown_report
from assistant.evaluation.runs import SUMMARY, RunStore, git_revision
from assistant.evaluation.scoring import Observation, score_question
from assistant.evaluation.summary import aggregate, judge_eligible
from assistant.evaluation.systems import System
from assistant.evaluation.thresholds import Thresholds

__all__ = ["REPO_ROOT", "Progress", "RunResult", "run_evaluation", "run_pins"]

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
Progress = Callable[[str, int, int], None]  # (phase, done, total)
_EMPTY_ANSWER: dict[str, Any] = {"answer": "", "citations": [], "diagnoses": [], "policies": []}
_OUTAGE_STREAK = 5  # failures in a row that stop a phase: an outage, not bad luck


@dataclass(frozen=True)
class RunResult:
    """A finished run: where it is stored, its summary and its records in dataset order."""

    path: Path
    summary: dict[str, Any]
    records: list[dict[str, Any]]
    resumed: bool

    @property
    def ok(self) -> bool:
        """True when every threshold holds and neither the model nor the judge failed."""
        return bool(self.summary["thresholds"]["ok"]) and not self.summary.get("outage")


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
        observation = Observation(_EMPTY_ANSWER if system.answers else None, None, None, None)
    scored = score_question(question, observation)
    return {**question.to_json(), "ranking": None if observation.ranking is None else list(observation.ranking),
            "retrieved": None if observation.retrieved is None else list(observation.retrieved),
            "in_scope": observation.in_scope, "passages": [dict(p) for p in observation.passages],
            "answer": None if observation.answer is None else dict(observation.answer),
            "scores": scored["scores"], "checks": scored["checks"],
            "timings_ms": {**scored["timings_ms"], "total": round(elapsed, 2)}, "judge": None, "error": error}


def _judge_one(record: Mapping[str, Any], judge: Judge, passages: Callable[[Mapping[str, Any]], list[str]]) -> dict:
    answer = record["answer"]
    try:
        verdict: dict[str, Any] = judge.grade(record["question"], answer["answer"], passages(record))
    except AssistantError as exc:
        return {**record, "judge": {"error": str(exc)}}
    if not answer.get("citations") and record.get("expected_article"):
        # Built on no passage, the answer has nothing to be faithful to, whatever its claims.
        verdict = {**verdict, "faithfulness": 0.0, "reason": "the answer cites no article; " + verdict["reason"]}
    elif not answer.get("citations"):
        verdict = {**verdict, "faithfulness": None}  # a refusal: nothing was to be grounded
    return {**record, "judge": verdict}


def _fallback(record: Mapping[str, Any]) -> str | None:
    return ((record.get("scores") or {}).get("llm") or {}).get("fallback")


def _judge_failed(record: Mapping[str, Any]) -> str | None:
    verdict = record.get("judge")
    return str(verdict["error"]) if isinstance(verdict, Mapping) and verdict.get("error") else None


def _pool(items: Sequence[Any], work: Callable[[Any], dict[str, Any]], store: RunStore, concurrency: int,
          phase: str, progress: Progress | None, failure: Callable[[Mapping[str, Any]], str | None] | None = None,
          ) -> str | None:
    """Run ``work`` on every item with at most ``concurrency`` threads, appending each record; stop when
    ``failure`` reports ``_OUTAGE_STREAK`` failures in a row and return the last one's reason.

    Only ``concurrency`` items are submitted at a time, so a stop (or a Ctrl-C) leaves nothing queued.
    """
    if not items:
        return None
    done = streak = 0
    if progress:
        progress(phase, 0, len(items))
    queue = iter(items)
    running: set[Future[dict[str, Any]]] = set()
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval")

    def fill() -> None:
        for item in queue:
            running.add(executor.submit(work, item))
            if len(running) >= concurrency:
                break

    try:
        fill()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.discard(future)  # before the write: an interruption during it must not write it twice
                record = future.result()
                store.append(record)
                done += 1
                if progress:
                    progress(phase, done, len(items))
                reason = failure(record) if failure else None
                streak = streak + 1 if reason else 0
                if reason and streak >= _OUTAGE_STREAK:
                    for future_left in running:
                        store.append(future_left.result())
                    running.clear()
                    return reason
            fill()
    except BaseException:
        # Interrupted: what is in flight finishes anyway (threads cannot be stopped), so keep it.
        # A second Ctrl-C while waiting stops at once.
        for future in running:
            store.append(future.result())
        raise
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    return None


def _needs_judge(record: Mapping[str, Any]) -> bool:
    verdict = record.get("judge")
    return judge_eligible(record) and (verdict is None or bool(verdict.get("error")))


def run_pins(system: System | None, judge: Judge | None, repo: Path, llm_model: str | None = None,
             ) -> dict[str, Any]:
    """What a resumed run must share with the stored one: the code and knowledge base (pinned by their git
    trees, so an unrelated commit does not block a resume), the model and the judge."""
    uses_llm = bool(getattr(system, "uses_llm", False)) if system is not None else llm_model is not None
    revision = git_revision(repo) or {}
    return {"code": revision.get("code"), "llm_model": llm_model if uses_llm else None,
            "judge_model": judge.config.model if judge else None,
            "judge_prompt": PROMPT_VERSION if judge else None}


def _outage(records: Sequence[Mapping[str, Any]], total: int, answers: str | None, grades: str | None,
            ) -> str | None:
    """The one-line reason a run failed for want of its model or judge (None when both worked)."""
    fallbacks = [r for r in records if _fallback(r)]
    expected = [r for r in records if ((r.get("scores") or {}).get("llm") or {}).get("expected")]
    if answers:
        return (f"model outage: the run stopped after {_OUTAGE_STREAK} answers in a row fell back to the "
                f"deterministic composer; {len(records)} of {total} questions answered, {len(fallbacks)} of "
                f"them without the model (last: {answers})")
    if expected and len(fallbacks) == len(expected):
        return (f"model outage: {len(fallbacks)} of {len(expected)} answers the model should have written fell "
                f"back to the deterministic composer (first: {_fallback(fallbacks[0])})")
    failed = [r for r in records if _judge_failed(r)]
    eligible = [r for r in records if judge_eligible(r)]
    graded = sum(1 for r in eligible if isinstance(r.get("judge"), Mapping) and not _judge_failed(r))
    if grades:
        return (f"judge outage: grading stopped after {_OUTAGE_STREAK} failures in a row; {graded} of "
                f"{len(eligible)} answers graded (last: {grades})")
    if failed and len(failed) == len(eligible):
        return f"judge outage: {len(failed)} of {len(eligible)} gradings failed (first: {_judge_failed(failed[0])})"
    return None


def run_evaluation(dataset: Dataset, system: System, out: Path, *, mode: str, concurrency: int = 4,
                   thresholds: Thresholds | None = None, judge: Judge | None = None,
                   passages: Callable[[Mapping[str, Any]], list[str]] | None = None,
                   progress: Progress | None = None, settings: Mapping[str, Any] | None = None,
                   repo: Path = REPO_ROOT, pins: Mapping[str, Any] | None = None) -> RunResult:
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
              "pins": dict(pins) if pins is not None else run_pins(system, judge, repo),
              "python": sys.version.split()[0], "platform": platform.platform()}
    resumed = store.open(config)
    stored = store.records()
    pending = [q for q in dataset.questions
               if q.id not in stored or stored[q.id].get("error") or _fallback(stored[q.id])]
    answers = _pool(pending, lambda q: _answer_one(q, system), store, concurrency, "answering", progress, _fallback)
    grades = None
    if judge is not None and answers is None:
        to_judge = [r for r in store.records().values() if _needs_judge(r)]
        grounds = passages or (lambda _record: [])
        grades = _pool(to_judge, lambda r: _judge_one(r, judge, grounds), store, concurrency, "judging", progress,
                       _judge_failed)
    latest = store.records()
    records = [latest[q.id] for q in dataset.questions if q.id in latest]
    summary = aggregate(records, judged=judge is not None)
    violations, skipped = thresholds.check(summary["metrics"], summary["counts"])
    run_config = RunStore(out).path / "config.json"
    summary = {"run": {"path": str(out), "config": str(run_config), "mode": mode, "dataset": config["dataset"],
                       "dataset_sha256": dataset.sha256, "git": config["git"], "started_at": started,
                       "finished_at": _now(), "seconds": round(time.perf_counter() - clock, 1), "resumed": resumed,
                       "answered_now": len(pending), "dataset_questions": len(dataset)},
               "outage": _outage(records, len(dataset), answers, grades),
               **summary,
               "thresholds": {"source": thresholds.source, "ok": not violations,
                              "violations": [v.to_json() for v in violations], "skipped": skipped}}
    store.write_json(SUMMARY, summary)
    store.write_text("report.md", markdown_report(summary, records, thresholds))
    store.write_text("report.html", html_report(summary, records, thresholds))
    return RunResult(out, summary, records, resumed)
