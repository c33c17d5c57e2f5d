"""One evaluation from settings: resolve the defaults, build the system under test once, run, report.

This is what ``kb-assistant eval`` calls (and what a UI button would call): defaults are the repo's
eval/datasets/public.jsonl (else eval/datasets/parts/), eval/thresholds.toml and a new directory
under eval/runs/. The judge is used when it is configured, unless turned off.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import UsageError
from assistant.evaluation.dataset import load_dataset
from assistant.evaluation.judge import Judge, JudgeConfig
from assistant.evaluation.runner import REPO_ROOT, Progress, RunResult, run_evaluation, run_pins
from assistant.evaluation.runs import RunInfo, RunStore, list_runs, remember_run
from assistant.evaluation.systems import AssistantSystem, RetrievalSystem, System
from assistant.evaluation.thresholds import Thresholds, load_thresholds

__all__ = ["BASELINE_DIR", "MODES", "RUNS_DIR", "default_dataset", "default_thresholds", "evaluate_from_settings",
           "known_runs", "new_run_dir"]

MODES = ("auto", "deterministic", "llm", "retrieval")
RUNS_DIR = REPO_ROOT / "eval" / "runs"
BASELINE_DIR = REPO_ROOT / "eval" / "baseline"  # the committed run CI compares against (make eval-baseline)
_DATASETS = REPO_ROOT / "eval" / "datasets"
_SECRETS = ("openai_api_key", "api_token")


def default_dataset() -> Path:
    """eval/datasets/public.jsonl when it exists, else the directory of its parts."""
    merged = _DATASETS / "public.jsonl"
    return merged if merged.is_file() else _DATASETS / "parts"


def default_thresholds() -> Path | None:
    """eval/thresholds.toml (or .json) when it exists."""
    for name in ("thresholds.toml", "thresholds.json"):
        if (REPO_ROOT / "eval" / name).is_file():
            return REPO_ROOT / "eval" / name
    return None


def _settings_json(settings: Settings) -> dict[str, Any]:
    values = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items() if k not in _SECRETS}
    return {**values, "llm_enabled": settings.llm_enabled}


def new_run_dir(mode: str) -> Path:
    """A new run directory under eval/runs/, named by the time and the mode."""
    return RUNS_DIR / f"{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{mode}"


def known_runs() -> list[RunInfo]:
    """Every run ``eval list`` and the UI show: eval/runs/, the runs it remembers elsewhere, the baseline."""
    return list_runs(RUNS_DIR, [BASELINE_DIR])


def _passages(settings: Settings) -> Callable[[Mapping[str, Any]], list[str]]:
    """What an answer was built from, for the judge: the whole articles it cites (both modes compose
    from the whole article) and the checker's findings it carries (diagnoses, verified fixes)."""
    from assistant.adapters.articles import load_articles

    texts = {(a.id, a.lang): f"[article {a.id}] {a.title}\n{a.body}" for a in load_articles(settings.kb_dir)}

    def grounds(record: Mapping[str, Any]) -> list[str]:
        answer = record.get("answer") or {}
        lang = answer.get("lang") or record.get("lang")
        keys = [(str(c.get("id")), str(c.get("lang") or lang)) for c in answer.get("citations") or []]
        passages = [texts[key] for key in keys if key in texts]
        checker = {"diagnoses": [{k: d.get(k) for k in ("action", "resource", "decision", "policy_type",
                                                       "statement_sid", "explanation")}
                                 for d in answer.get("diagnoses") or []],
                   "verified_fixes": [{"json": p.get("json"), "newly_granted": p.get("newly_granted")}
                                      for p in answer.get("policies") or []
                                      if p.get("source") == "suggested" and p.get("verified") is True]}
        if checker["diagnoses"] or checker["verified_fixes"]:
            passages.append("[policy checker]\n" + json.dumps(checker, ensure_ascii=False, indent=1))
        return passages

    return grounds


def _check_index(retriever: Any, settings: Settings, index_progress: Callable[[int, int], None] | None) -> None:
    """Refuse an index that is not the knowledge base's: a missing article would read as a retrieval failure."""
    from assistant.adapters.articles import load_articles
    from assistant.retrieval.ingest import article_hash

    generation = retriever.generation(progress=index_progress)
    indexed = {str(r.metadata.get("article_key")): str(r.metadata.get("article_hash"))
               for r in retriever.store.records(generation)}
    stale = sorted(f"{a.lang}/{a.id}" for a in load_articles(settings.kb_dir)
                   if indexed.get(f"{a.lang}/{a.id}") != article_hash(a))
    if stale:
        shown = ", ".join(stale[:5]) + (f" and {len(stale) - 5} more" if len(stale) > 5 else "")
        raise UsageError(f"the index is out of date with the knowledge base ({len(stale)} article files added or "
                         f"changed since it was built: {shown})", hint="run 'kb-assistant ingest', then the same eval")
    retriever.search("warm-up", 1)  # load the corpus once, before the worker threads share it


def _system(settings: Settings, mode: str, k: int, index_progress: Callable[[int, int], None] | None) -> System:
    from assistant.retrieval import Retriever

    if mode == "retrieval":
        retriever = Retriever(settings)
        _check_index(retriever, settings, index_progress)
        return RetrievalSystem(retriever, k)
    from assistant.pipeline.answer import Assistant

    assistant = Assistant.from_settings(settings)
    _check_index(assistant.retriever, settings, index_progress)
    return AssistantSystem(assistant, mode)


def evaluate_from_settings(settings: Settings, env: Mapping[str, str], *, dataset: str | Path | None = None,
                           out: Path | None = None, mode: str = "auto", concurrency: int = 4,
                           thresholds: Path | None = None, limit: int | None = None, judge: bool | None = None,
                           judge_repeats: int = 3, k: int = 10, progress: Progress | None = None,
                           index_progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run (or resume) one evaluation with the given options; see ``kb-assistant eval --help``."""
    if mode not in MODES:
        raise UsageError(f"unknown mode '{mode}'", hint=f"use one of: {', '.join(MODES)}")
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    questions = load_dataset(dataset if dataset is not None else default_dataset()).limited(limit)
    threshold_file = thresholds if thresholds is not None else default_thresholds()
    gates = load_thresholds(threshold_file) if threshold_file is not None else Thresholds()
    judge_config = JudgeConfig.from_env(env, judge_repeats) if judge is not False and mode != "retrieval" else None
    if judge and judge_config is None:
        raise UsageError("--judge needs a judge model" if mode != "retrieval" else "retrieval mode has no answers "
                         "to judge", hint="set KB_ASSISTANT_JUDGE_MODEL and OPENAI_API_KEY or OPENAI_BASE_URL")
    if mode == "llm" and not settings.llm_enabled:
        raise UsageError("--mode llm needs a model: none is configured",
                         hint="set OPENAI_API_KEY or OPENAI_BASE_URL (and KB_ASSISTANT_LLM_MODEL)")
    if out is None:
        out = new_run_dir(mode)
    grader = Judge(judge_config) if judge_config else None
    uses_llm = mode == "llm" or (mode == "auto" and settings.llm_enabled)
    pins = run_pins(None, grader, REPO_ROOT, settings.llm_model if uses_llm else None)
    # Refuse a mismatched resume before the slow build.
    RunStore(out).check_same_run({"dataset_sha256": questions.sha256, "mode": mode, "pins": pins})
    system = _system(settings, mode, k, index_progress)
    remember_run(RUNS_DIR, out)
    return run_evaluation(questions, system, out, mode=mode, concurrency=concurrency, thresholds=gates,
                          judge=grader, passages=_passages(settings) if judge_config else None, progress=progress,
                          settings=_settings_json(settings), pins=pins)
