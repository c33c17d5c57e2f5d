"""One evaluation from settings: resolve the defaults, build the system under test once, run, report.

This is what ``kb-assistant eval`` calls (and what a UI button would call): defaults are the repo's
eval/datasets/public.jsonl (else eval/datasets/parts/), eval/thresholds.toml and a new directory
under eval/runs/. The judge is used when it is configured, unless turned off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import UsageError
from assistant.evaluation.dataset import load_dataset
from assistant.evaluation.judge import Judge, JudgeConfig
from assistant.evaluation.runner import REPO_ROOT, Progress, RunResult, run_evaluation
from assistant.evaluation.runs import RunStore
from assistant.evaluation.systems import AssistantSystem, RetrievalSystem, System
from assistant.evaluation.thresholds import Thresholds, load_thresholds

__all__ = ["MODES", "RUNS_DIR", "default_dataset", "default_thresholds", "evaluate_from_settings"]

MODES = ("auto", "deterministic", "llm", "retrieval")
RUNS_DIR = REPO_ROOT / "eval" / "runs"
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


def _passages(settings: Settings) -> Callable[[Mapping[str, Any]], list[str]]:
    """The text of the articles an answer cites, for the judge."""
    from assistant.adapters.articles import load_articles

    texts = {(a.id, a.lang): f"[{a.id}] {a.title}\n{a.body}" for a in load_articles(settings.kb_dir)}

    def cited(record: Mapping[str, Any]) -> list[str]:
        answer = record.get("answer") or {}
        lang = answer.get("lang") or record.get("lang")
        keys = [(str(c.get("id")), str(c.get("lang") or lang)) for c in answer.get("citations") or []]
        return [texts[key] for key in keys if key in texts]

    return cited


def _system(settings: Settings, mode: str, k: int, index_progress: Callable[[int, int], None] | None) -> System:
    from assistant.retrieval import Retriever

    if mode == "retrieval":
        retriever = Retriever(settings)
        retriever.generation(progress=index_progress)
        retriever.search("warm-up", 1)  # load the corpus once, before the worker threads share it
        return RetrievalSystem(retriever, k)
    from assistant.pipeline.answer import Assistant

    assistant = Assistant.from_settings(settings)
    assistant.retriever.generation(progress=index_progress)
    assistant.retriever.search("warm-up", 1)
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
    if out is None:
        out = RUNS_DIR / f"{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{mode}"
    RunStore(out).check_same_run({"dataset_sha256": questions.sha256, "mode": mode})  # before the slow build
    system = _system(settings, mode, k, index_progress)
    return run_evaluation(questions, system, out, mode=mode, concurrency=concurrency, thresholds=gates,
                          judge=Judge(judge_config) if judge_config else None,
                          passages=_passages(settings) if judge_config else None, progress=progress,
                          settings=_settings_json(settings))
