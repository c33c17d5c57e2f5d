"""The API under load while one client sends the worst inputs: do the others and /healthz stay fast?

Run: .venv/bin/python benchmarks/api_hostile.py [--requests 300] [--concurrency 16] [--workers 1] [--url URL]
Starts ``kb-assistant serve`` on loopback (as benchmarks/api.py does), then runs ``concurrency - 1``
ordinary clients (the public questions on /v1/ask, deterministic, and policies on /v1/check) beside one
hostile client that loops over inputs that once stalled a worker (backtracking wildcards, 100 KB of
spaces, 'User:' runs, unclosed fences, an 8,000-item Resource list, non-finite numbers, lone
surrogates), while /healthz is polled twice a second. Prints p50/p95/max of each group and the
hostile client's status codes. Loopback only; bounded by --requests and --budget-s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import (  # the same server start-up and inputs as benchmarks/api.py
    _policies,
    _questions,
    _start_server,
    _stop_server,
)


def _wild(length: int) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:" + ("*?" * length)[:length] + "Z", "Resource": "*"}]})


def hostile_bodies() -> list[tuple[str, str | bytes]]:
    """(path, raw JSON body) pairs that once stalled a worker or crashed a request."""
    resources = [f"arn:aws:s3:::amzn-s3-demo-bucket/k{n}/*" for n in range(8_000)]
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}]})
    out: list[tuple[str, str | bytes]] = [
        ("/v1/check", json.dumps({"policy": _wild(200)})),
        ("/v1/check", json.dumps({"policy": _wild(129)})),
        ("/v1/ask", json.dumps({"question": "MFA" + " " * 100_000, "mode": "deterministic"})),
        ("/v1/ask", json.dumps({"question": "User: " * 20_000, "mode": "deterministic"})),
        ("/v1/ask", json.dumps({"question": "```json\n{\n" * 10_000, "mode": "deterministic"})),
        ("/v1/check", json.dumps({"policy": "```json\n" * 20_000})),
        ("/v1/check", json.dumps({"policy": big})),
        ("/v1/ask", json.dumps({"question": "Why? " + _wild(200), "mode": "deterministic"})),
        ("/v1/check", '{"policy": {"Version": "2012-10-17", "Statement": [], "Id": NaN}}'),
        ("/v1/check", json.dumps({"policy": '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", '
                                            '"Action": "s3:ListBucket", "Resource": "*", "Condition": '
                                            '{"NumericLessThan": {"s3:max-keys": 1e400}}}}'})),
        ("/v1/ask", '{"question": "\\ud800 MFA", "mode": "deterministic"}'),
        ("/v1/explain-error", json.dumps({"text": "User: arn:aws:iam::1:user/a is not authorized to perform: "
                                          "iam:ListUsers " * 2_000, "policies": [_wild(200)]})),
    ]
    return out


async def _poll_health(http: httpx.AsyncClient, stop: asyncio.Event, latencies: list[float],
                       failures: list[int]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            response = await http.get("/healthz")
            if response.status_code != 200:
                failures.append(response.status_code)
        except httpx.HTTPError:
            failures.append(0)
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.5)


async def _run(url: str, requests: int, concurrency: int, budget: float, headers: dict[str, str],
               hostile_client: bool = True) -> dict[str, Any]:
    asks = [{"question": q, "mode": "deterministic"} for q in _questions()]
    checks = [{"policy": p, "type": "identity"} for p in _policies()]
    normal = [("/v1/check", c) for c in checks] + [("/v1/ask", a) for a in asks]
    hostile = hostile_bodies()
    latencies: list[float] = []
    errors = Counter[int]()
    hostile_latencies: list[float] = []
    hostile_status = Counter[int]()
    health: list[float] = []
    health_failures: list[int] = []
    issued = 0
    deadline = time.monotonic() + budget
    stop = asyncio.Event()

    async def ordinary(http: httpx.AsyncClient) -> None:
        nonlocal issued
        while issued < requests and time.monotonic() < deadline:
            path, body = normal[(issued * 7) % len(normal)]
            issued += 1
            started = time.perf_counter()
            try:
                response = await http.post(path, json=body)
                if response.status_code != 200:
                    errors[response.status_code] += 1
            except httpx.HTTPError:
                errors[0] += 1
            latencies.append(time.perf_counter() - started)

    async def attacker(http: httpx.AsyncClient) -> None:
        number = 0
        while not stop.is_set() and time.monotonic() < deadline:
            path, raw = hostile[number % len(hostile)]
            number += 1
            started = time.perf_counter()
            try:
                response = await http.post(path, content=raw, headers={"Content-Type": "application/json"})
                hostile_status[response.status_code] += 1
            except httpx.HTTPError:
                hostile_status[0] += 1
            hostile_latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits, headers=headers, trust_env=False) as http:
        started = time.perf_counter()
        bad = asyncio.create_task(attacker(http) if hostile_client else asyncio.sleep(0))
        probe = asyncio.create_task(_poll_health(http, stop, health, health_failures))
        await asyncio.gather(*(ordinary(http) for _ in range(concurrency - 1)))
        stop.set()
        await asyncio.gather(bad, probe)
        elapsed = time.perf_counter() - started

    def figures(values: list[float]) -> dict[str, float]:
        ordered = sorted(values) or [0.0]
        return {"n": len(values), "p50_ms": round(statistics.median(ordered) * 1000),
                "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000),
                "max_ms": round(ordered[-1] * 1000)}

    return {"seconds": round(elapsed, 1), "others": {**figures(latencies), "errors": dict(errors)},
            "hostile": {**figures(hostile_latencies), "status": dict(hostile_status)},
            "healthz": {**figures(health), "failures": len(health_failures)}}


def main() -> None:
    """Start a server (unless --url), run the load, print one JSON document of figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests of the ordinary clients in all")
    parser.add_argument("--concurrency", type=int, default=16, help="clients, the hostile one included")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--budget-s", type=float, default=300.0)
    parser.add_argument("--url")
    parser.add_argument("--baseline", action="store_true", help="the same load without the hostile client")
    args = parser.parse_args()
    token = os.environ.get("KB_ASSISTANT_API_TOKEN") or ("bench-token" if not args.url else None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    process = None
    url = args.url
    if url is None:
        process, url, _ = _start_server(args.workers, token)
    try:
        for path, body in (("/v1/check", {"policy": _policies()[0]}), ("/v1/ask", {"question": "MFA"})):
            httpx.post(url + path, json=body, headers=headers, timeout=300, trust_env=False)  # warm up
        print(json.dumps(asyncio.run(_run(url, args.requests, args.concurrency, args.budget_s, headers,
                                          hostile_client=not args.baseline))))
    finally:
        if process is not None:
            _stop_server(process)


if __name__ == "__main__":
    main()
