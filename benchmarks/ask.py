"""Deterministic ``ask`` latency, warm: prints p50/p95 per stage and in total over the public set.

Run: .venv/bin/python benchmarks/ask.py [--limit N]   (builds or reuses the index under data/)
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from assistant.config import Settings
from assistant.pipeline.answer import Assistant

PARTS = Path(__file__).resolve().parent.parent / "eval" / "datasets" / "parts"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="questions to ask (0: all)")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for path in sorted(PARTS.glob("*.jsonl"))
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = questions[: args.limit] if args.limit else questions
    started = time.perf_counter()
    assistant = Assistant.from_settings(Settings.from_env())
    assistant.ask(questions[0], mode="deterministic")  # warm: index loaded, models hot
    print(f"start-up and first answer: {time.perf_counter() - started:.1f} s")
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    for question in questions:
        t0 = time.perf_counter()
        answer = assistant.ask(question, mode="deterministic")
        totals.append((time.perf_counter() - t0) * 1000)
        for stage, value in answer.timings_ms.items():
            stages.setdefault(stage, []).append(value)
    print(f"deterministic ask over {len(totals)} questions: p50 {statistics.median(totals):.0f} ms, "
          f"p95 {_percentile(totals, 0.95):.0f} ms")
    for stage, values in stages.items():
        print(f"  {stage}: p50 {statistics.median(values):.1f} ms, p95 {_percentile(values, 0.95):.1f} ms")


if __name__ == "__main__":
    main()
