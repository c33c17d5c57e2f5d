"""HTTP API benchmark: throughput and latency of /v1/ask and /v1/check under concurrent clients.

Run: .venv/bin/python benchmarks/api.py [--requests 400] [--concurrency 16] [--workers 1] [--url URL]
Without --url it starts ``kb-assistant serve`` on a free loopback port (data directory from
KB_ASSISTANT_DATA_DIR, else the repository's data/; the index is built there on a first run), waits
until every worker is ready, warms up, then drives it with httpx clients and reads the resident
memory of the serving processes from /proc. Questions are the public evaluation set, deterministic mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "kb-assistant")
SEED = REPO / "examples" / "seed-mfa-ja.txt"


def _questions() -> list[str]:
    parts = sorted((REPO / "eval" / "datasets" / "parts").glob("*.jsonl"))
    questions = [json.loads(line)["question"] for path in parts
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [SEED.read_text(encoding="utf-8"), *questions]


def _policies() -> list[Any]:
    policies: list[Any] = [SEED.read_text(encoding="utf-8")]
    for index in range(8):
        policies.append({"Version": "2012-10-17", "Statement": [
            {"Sid": f"S{index}", "Effect": "Allow",
             "Action": ["s3:GetObject", "s3:PutObjec", "iam:ListUsers"][: index % 3 + 1],
             "Resource": f"arn:aws:s3:::bucket-{index}/*"},
            {"Effect": "Deny", "NotAction": "iam:ChangePassword", "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]})
    return policies


def _rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants (the uvicorn supervisor and its workers)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration):
            continue
    return total


async def _drive(url: str, path: str, bodies: list[dict[str, Any]], total: int, concurrency: int,
                 headers: dict[str, str]) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    issued = 0

    async def client_loop(http: httpx.AsyncClient) -> None:
        nonlocal issued, errors
        while issued < total:
            body = bodies[issued % len(bodies)]
            issued += 1
            started = time.perf_counter()
            try:
                response = await http.post(path, json=body)
                if response.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits, headers=headers, trust_env=False) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, errors


def _report(name: str, elapsed: float, latencies: list[float], errors: int, concurrency: int) -> None:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(f"{name}: {len(latencies)} requests, {concurrency} concurrent clients: "
          f"{len(latencies) / elapsed:,.1f} req/s, "
          f"p50 {statistics.median(ordered) * 1000:,.0f} ms, p95 {p95 * 1000:,.0f} ms, "
          f"max {ordered[-1] * 1000:,.0f} ms, errors {errors}")


def _start_server(workers: int, token: str | None) -> tuple[subprocess.Popen[bytes], str, Path]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    if token:
        env["KB_ASSISTANT_API_TOKEN"] = token
    with tempfile.NamedTemporaryFile("w", prefix="kb-api-bench-", suffix=".log", delete=False) as stderr:
        process = subprocess.Popen([CLI, "serve", "--port", str(port), "--workers", str(workers)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    log = Path(stderr.name)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 900
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise SystemExit("the server did not become healthy in 15 minutes")
        try:
            health = httpx.get(f"{url}/healthz", trust_env=False)
            if health.status_code == 200 and log.read_text().count('"assistant ready"') >= workers:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    return process, url, log


def _stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server as Ctrl-C would, and kill it if it has not gone within 30 s."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the started server")
    parser.add_argument("--url", help="benchmark a running server instead (no memory figure)")
    args = parser.parse_args()

    token = os.environ.get("KB_ASSISTANT_API_TOKEN") or ("bench-token" if not args.url else None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    process = None
    if args.url:
        url = args.url
    else:
        started = time.perf_counter()
        process, url, log = _start_server(args.workers, token)
        print(f"server ready in {time.perf_counter() - started:.1f} s ({args.workers} worker(s)), "
              f"RSS {_rss_kib(process.pid) / 1024:,.0f} MiB")
    try:
        asks = [{"question": q, "mode": "deterministic"} for q in _questions()]
        checks = [{"policy": p, "type": "identity"} for p in _policies()]
        warm = min(len(asks), 4 * args.concurrency)
        asyncio.run(_drive(url, "/v1/ask", asks[:warm], warm, args.concurrency, headers))
        asyncio.run(_drive(url, "/v1/check", checks, 2 * args.concurrency, args.concurrency, headers))
        for name, path, bodies in (("POST /v1/check", "/v1/check", checks), ("POST /v1/ask", "/v1/ask", asks)):
            elapsed, latencies, errors = asyncio.run(_drive(url, path, bodies, args.requests, args.concurrency,
                                                            headers))
            _report(name, elapsed, latencies, errors, args.concurrency)
        if process is not None:
            print(f"serving process RSS after the run: {_rss_kib(process.pid) / 1024:,.0f} MiB "
                  f"({args.workers} worker(s){' + supervisor' if args.workers > 1 else ''}); server log: {log}")
    finally:
        if process is not None:
            _stop_server(process)


if __name__ == "__main__":
    main()
