"""Policy-engine benchmark: prints simulate throughput, 6 KB validation time and request latency.

Run: .venv/bin/python benchmarks/engine.py [--repeat N] [--peer DIR [--cases N] [--rounds R]]
Throughput is measured the way ``simulate --cases`` works (JSON line in -> JSON line out) over the
conformance tables in tests/engine/cases. With ``--peer DIR`` (a directory where
``npm install @cloud-copilot/iam-simulate`` was run) both simulators run as whole processes, start-up
included, side by side on the same case file (the tables repeated to N cases), best of R rounds each,
and the decisions of the two are compared (``--unsafe``: the peer's unvalidated fast path).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.adapters.iam_catalog import IamDataCatalog
from assistant.engine.cases import parse_case
from assistant.engine.checker import check_text
from assistant.engine.evaluator import evaluate
from assistant.engine.model import PolicyType
from assistant.wire import evaluation_line

CASES = Path(__file__).resolve().parent.parent / "tests" / "engine" / "cases"
CLI = Path(sys.executable).parent / "kb-assistant"


def _timed(command: list[str], cwd: Path | None = None) -> tuple[float, float, list[str]]:
    """Wall seconds, CPU seconds (user + system of the child) and stdout lines of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout.splitlines()


def side_by_side(peer: Path, lines: list[str], total: int, rounds: int, unsafe: bool) -> None:
    """``simulate --cases`` against the peer simulator on the same file, alternating runs."""
    shutil.copy(Path(__file__).with_name("peer_simulate.mjs"), peer / "peer_simulate.mjs")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.jsonl"
        path.write_text("".join(line + "\n" for line in (lines * (total // len(lines) + 1))[:total]))
        ours: list[tuple[float, float]] = []
        theirs: list[tuple[float, float]] = []
        for _ in range(rounds):
            wall, cpu, our_lines = _timed([str(CLI), "simulate", "--cases", str(path), "--json"])
            ours.append((wall, cpu))
            mode = ["--unsafe"] if unsafe else []
            wall, cpu, peer_lines = _timed(["node", "peer_simulate.mjs", str(path), *mode], cwd=peer)
            theirs.append((wall, cpu))
    our_best, peer_best = min(ours), min(theirs)
    print(f"side by side, {total:,} cases, whole process, best of {rounds}:")
    print(f"  kb-assistant simulate --cases: {total / our_best[0]:,.0f} cases/s wall ({our_best[1]:.2f} s CPU)")
    peer_name = "runUnsafeSimulation" if unsafe else "runSimulation"
    print(f"  iam-simulate {peer_name}: {total / peer_best[0]:,.0f} cases/s wall ({peer_best[1]:.2f} s CPU)")
    print(f"  ratio: {peer_best[0] / our_best[0]:.2f}x the peer (wall), {peer_best[1] / our_best[1]:.2f}x (CPU)")
    decided = [(json.loads(a), json.loads(b)) for a, b in zip(our_lines, peer_lines, strict=False)]
    both = [(a, b) for a, b in decided if "decision" in a and "decision" in b]
    same = sum(a["decision"] == b["decision"] for a, b in both)
    print(f"  decisions: the peer decided {len(both):,} of {total:,} (errors on the rest); "
          f"{same:,} agree with ours")


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
    parser.add_argument("--peer", type=Path, help="directory with node_modules/@cloud-copilot/iam-simulate")
    parser.add_argument("--cases", type=int, default=14_800, help="cases in the side-by-side file")
    parser.add_argument("--rounds", type=int, default=3, help="side-by-side runs of each simulator")
    parser.add_argument("--unsafe", action="store_true", help="the peer's runUnsafeSimulation (no validation)")
    args = parser.parse_args()
    lines = [line for path in sorted(CASES.glob("*.jsonl")) for line in path.read_text().splitlines() if line.strip()]
    if args.peer:
        side_by_side(args.peer, lines, args.cases, args.rounds, args.unsafe)
        return
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
