"""The evaluation harness: datasets, deterministic metrics, an optional LLM judge, stored runs, reports.

``kb-assistant eval`` and ``eval compare`` are thin over ``run_evaluation`` and ``compare_runs``; the
UI's run browser calls ``session.known_runs`` (``list_runs`` over eval/runs/, the runs it remembers and
the baseline), ``load_summary``, ``load_results`` and ``compare_runs``.
"""

from assistant.evaluation.compare import Comparison, MetricDelta, QuestionChange, compare_runs
from assistant.evaluation.dataset import Dataset, EvalQuestion, ExpectedDiagnosis, load_dataset
from assistant.evaluation.judge import Judge, JudgeConfig
from assistant.evaluation.runner import RunResult, run_evaluation
from assistant.evaluation.runs import RunInfo, list_runs, load_results, load_summary, resolve_run
from assistant.evaluation.scoring import Observation, score_question
from assistant.evaluation.summary import METRICS, MetricInfo, aggregate
from assistant.evaluation.systems import AssistantSystem, RetrievalSystem, System
from assistant.evaluation.thresholds import Thresholds, Violation, load_thresholds

__all__ = [
    "METRICS",
    "AssistantSystem",
    "Comparison",
    "Dataset",
    "EvalQuestion",
    "ExpectedDiagnosis",
    "Judge",
    "JudgeConfig",
    "MetricDelta",
    "MetricInfo",
    "Observation",
    "QuestionChange",
    "RetrievalSystem",
    "RunInfo",
    "RunResult",
    "System",
    "Thresholds",
    "Violation",
    "aggregate",
    "compare_runs",
    "list_runs",
    "load_dataset",
    "load_results",
    "load_summary",
    "load_thresholds",
    "resolve_run",
    "run_evaluation",
    "score_question",
]
