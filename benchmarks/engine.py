"""Policy-engine benchmark: prints simulate throughput, 6 KB validation time and request latency.

Run: .venv/bin/python benchmarks/engine.py [--repeat N]
Throughput is measured the way ``simulate --cases`` works (JSON line in -> JSON line out, every
policy of the case parsed for that case) over the conformance tables in tests/engine/cases.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from assistant.adapters.iam_catalog import IamDataCatalog
from assistant.engine.cases import parse_case
from assistant.engine.checker import check_text
from assistant.engine.evaluator import evaluate
from assistant.engine.model import PolicyType
from assistant.wire import evaluation_line

CASES = Path(__file__).resolve().parent.parent / "tests" / "engine" / "cases"


def _six_kb_policy() -> str:
    statements = []
    index = 0
    while len(json.dumps({"Version": "2012-10-17", "Statement": statements})) < 6000:
        statements.append({"Sid": f"S{index}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                           "Resource": f"arn:aws:s3:::bucket-{index}/*",
                           "Condition": {"StringEquals": {"aws:PrincipalTag/team": f"team-{index}"}}})
        index += 1
    return json.dumps({"Version": "2012-10-17", "Statement": statements[:-1]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20, help="passes over the case tables")
    args = parser.parse_args()
    lines = [line for path in sorted(CASES.glob("*.jsonl")) for line in path.read_text().splitlines() if line.strip()]
    start = time.perf_counter()
    for _ in range(args.repeat):
        for line in lines:
            case = json.loads(line)
            json.dumps(evaluation_line(case.get("id"), evaluate(*parse_case(case))))
    elapsed = time.perf_counter() - start
    total = len(lines) * args.repeat
    print(f"simulate --cases: {total / elapsed:,.0f} cases/s ({len(lines)} conformance cases x {args.repeat}, "
          "policies parsed per case)")

    catalog = IamDataCatalog()
    text = _six_kb_policy()
    check_text(text, PolicyType.IDENTITY, catalog)  # warm the catalog's service files
    timings = []
    for _ in range(20):
        t0 = time.perf_counter()
        check_text(text, PolicyType.IDENTITY, catalog)
        timings.append(time.perf_counter() - t0)
    print(f"validate a {len(text):,}-character policy: median {statistics.median(timings) * 1000:.1f} ms")

    parsed = [parse_case(json.loads(line)) for line in lines]
    latencies = []
    for _ in range(max(1, 20000 // max(1, len(parsed)))):
        for policies, request in parsed:
            t0 = time.perf_counter()
            evaluate(policies, request)
            latencies.append(time.perf_counter() - t0)
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1e6
    p99 = latencies[int(len(latencies) * 0.99)] * 1e6
    print(f"single request (parsed policies): p50 {p50:.1f} us, p99 {p99:.1f} us over {len(latencies):,} requests")


if __name__ == "__main__":
    main()
