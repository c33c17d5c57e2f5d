"""``kb-assistant serve`` as an operator runs it: a real process with two workers, JSON logs on stderr."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import assistant.api as api

# the first test to run builds the session's index (minutes on a busy machine)
pytestmark = pytest.mark.timeout(900)

CLI = str(Path(sys.executable).parent / "kb-assistant")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_public_names_are_exported() -> None:
    assert sorted(api.__all__) == ["MAX_BODY_BYTES", "create_app", "create_app_from_env", "log_config"]
    assert all(hasattr(api, name) for name in api.__all__)


def test_serve_rejects_bad_options() -> None:
    done = subprocess.run([CLI, "serve", "--workers", "0"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "--workers must be at least 1" in done.stderr


def test_serve_with_two_workers(assistant: Any, api_data_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(api_data_dir, data)  # the index the session built, in a directory of its own
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "KB_ASSISTANT_"))}
    env.update(KB_ASSISTANT_DATA_DIR=str(data), KB_ASSISTANT_KB_DIR=str(assistant.settings.kb_dir),
               KB_ASSISTANT_API_TOKEN="serve-secret", ANONYMIZED_TELEMETRY="False")
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen([CLI, "serve", "--port", str(port), "--workers", "2"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while log.read_text().count('"assistant ready"') < 2:  # each worker builds its own assistant
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert httpx.get(f"{url}/healthz", trust_env=False).status_code == 200
        headers = {"Authorization": "Bearer serve-secret"}
        for number in range(8):
            response = httpx.post(f"{url}/v1/ask", json={"question": "MFA デバイスを登録できません"},
                                  headers={**headers, "X-Request-ID": f"serve-{number}"}, trust_env=False,
                                  timeout=120)
            assert response.status_code == 200, response.text
        assert httpx.post(f"{url}/v1/check", json={"policy": "{}"}, trust_env=False).status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    requests = [line for line in lines if line["message"] == "request"]
    assert {r["request_id"] for r in requests} >= {f"serve-{n}" for n in range(8)}
    assert {r["path"] for r in requests} >= {"/healthz", "/v1/ask", "/v1/check"}
    assert all(r["status"] in (200, 401) and r["duration_ms"] >= 0 for r in requests)
    assert "serve-secret" not in log.read_text()
    assert len({line["pid"] for line in lines if "pid" in line}) >= 2, "two worker processes and the supervisor"


@pytest.mark.parametrize("level", ["debug", "info"])
def test_log_config_is_json(level: str) -> None:
    config = api.log_config(level)
    assert config["formatters"]["json"]["()"].endswith("JsonFormatter")
    assert config["loggers"]["assistant"]["level"] == level.upper()
